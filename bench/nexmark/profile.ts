// Profiles ONE query's engine run (not the generator, not the loop) for the engine owners:
//   node --import tsx bench/nexmark/profile.ts <q0..q8|count> [events] [--parallelism=2]
// Prints the functions with the most self CPU time (inspector CPU profile of the measured run)
// and the allocation sites with the most bytes per input event (sampling heap profiler).
// Not part of `npm run bench`; the figures it prints are diagnostic, not results.
// Imports node:inspector and this folder.
import { Session } from 'node:inspector/promises';
import { NexmarkGenerator } from './generator.js';
import { QUERIES } from './queries/index.js';
import { runOnEngine } from './measure.js';
import { buildWindowedCount } from './windowed-count.js';
import type { DataStream } from '../../src/engine/api/data-stream.js';
import type { NexmarkEvent } from './model.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  selfSize?: number;
}

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const parallelism = Number(/--parallelism=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 1);
const name = args[0] ?? 'q5';
const n = Number(args[1] ?? 300_000);
const build: ((s: DataStream<NexmarkEvent>) => DataStream<unknown>) | undefined =
  name === 'count' ? (buildWindowedCount as (s: DataStream<NexmarkEvent>) => DataStream<unknown>) : QUERIES.find((q) => q.name === name)?.build.bind(undefined);
if (build === undefined) {
  console.error(`unknown query ${name}; one of ${QUERIES.map((q) => q.name).join(', ')}, count`);
  process.exit(2);
}
const events = new NexmarkGenerator().events(n);
await runOnEngine(name, build, events.slice(0, 50_000), { parallelism });

const where = (f: ProfileNode['callFrame']): string => `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}`;
const session = new Session();
session.connect();

await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
const r = await runOnEngine(name, build, events, { parallelism });
const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
console.log(`${name}: ${Math.round((n / r.cpuMs) * 1000).toLocaleString('en-US')} events/s/core while profiling, ${r.outputs.length} results`);
const byId = new Map(profile.nodes.map((x) => [x.id, x]));
const self = new Map<string, number>();
let total = 0;
// The inspector's own dispatch (Profiler.stop) and idle time are not the engine's work.
const skip = new Set(['dispatch ', '(idle) ', '(program) ']);
profile.samples.forEach((id, i) => {
  const d = profile.timeDeltas[i] ?? 0;
  const k = where((byId.get(id) as ProfileNode).callFrame);
  if (skip.has(k)) return;
  total += d;
  self.set(k, (self.get(k) ?? 0) + d);
});
console.log('\nself CPU time of the run (top 25; idle and the profiler excluded):');
for (const [k, d] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((d / total) * 100).toFixed(1).padStart(6)}%  ${k}`);

await session.post('HeapProfiler.enable');
// Count objects the GC already reclaimed too: the question is how much each record allocates.
await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
await runOnEngine(name, build, events, { parallelism });
const { profile: heap } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
const bytes = new Map<string, number>();
let allBytes = 0;
const walk = (node: ProfileNode): void => {
  const s = node.selfSize ?? 0;
  if (s > 0) {
    const k = where(node.callFrame);
    bytes.set(k, (bytes.get(k) ?? 0) + s);
    allBytes += s;
  }
  for (const c of (node as unknown as { children: ProfileNode[] }).children ?? []) walk(c);
};
walk(heap.head);
console.log(`\nallocated during the run (sampled): ~${(allBytes / n).toFixed(0)} bytes per input event; top 15 sites:`);
for (const [k, b] of [...bytes].sort((a, b2) => b2[1] - a[1]).slice(0, 15)) console.log(`${(b / n).toFixed(1).padStart(8)} B/event  ${k}`);
session.disconnect();
