// Nexmark benchmark: `npm run bench -- nexmark [--quick] [--json]`.
// First q5 at parallelism 2 (worker threads) against 1, on a heap with no pre-generated events.
// Then, for each query q0-q5, q7, q8 in a process of its own (query-process.ts), events per
// second per core (events divided by the process's CPU seconds) on the engine without
// checkpoints and with a checkpoint every 10 s of stream time, and the hand-written loop over
// the same events; each engine output is CHECKED against the loop's (exit code 1 on any
// mismatch). Also the stamping pass (runStampingPass): loop + that pass bounds an engine
// with event time on the queries marked floorIsBound. Then, here, the generator's own rate and
// a windowed count against RxJS. Medians over several runs, after a full warm-up run.
// Imports bench/lib and this folder.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Reporter, median, parseBenchFlags } from '../lib/runner.js';
import { sampleThreadCpu, type ThreadCpu } from '../lib/thread-cpu.js';
import { NexmarkGenerator } from './generator.js';
import type { NexmarkEvent } from './model.js';
import { QUERIES } from './queries/index.js';
import { compareResults, type NexmarkQuery } from './query.js';
import { runLoop, runOnEngine } from './measure.js';
import type { QueryMeasurement } from './query-process.js';
import { buildWindowedCount, windowCountKey, windowedCountLoop, windowedCountRx, type WindowCount } from './windowed-count.js';
import { q5, type Q5Out } from './queries/q5.js';
import { buildQ5Job, q5Outputs } from './worker-job.js';
import { measureScalingBound } from './scaling-bound.js';

const flags = parseBenchFlags();
const rep = new Reporter('nexmark', flags);
const EVENTS = flags.quick ? 100_000 : 1_000_000;
const RUNS = flags.quick ? 1 : 3;

/** Targets from the issue, events/s per core. */
const TARGETS: Record<string, number> = { q0: 1e6, q1: 1e6, q2: 1e6, q3: 4e5, q8: 4e5, q4: 2e5, q5: 2e5, q7: 2e5 };
/** nexmark repository, Flink 2.0 example, events/s per core (for comparison only). */
const FLINK: Record<string, number> = { q0: 379e3, q1: 395e3, q2: 414e3, q3: 219e3, q4: 28e3, q5: 75e3, q7: 23e3, q8: 162e3 };

const mismatches: string[] = [];
const summary: string[] = [];
const say = (s: string): void => {
  if (!flags.json) console.log(s);
};

function rate(events: number, ms: number): number {
  return ms > 0 ? (events / ms) * 1000 : 0;
}

function check<OUT>(q: NexmarkQuery<OUT>, what: string, engine: readonly OUT[], loop: readonly OUT[], ordered: boolean): void {
  const diff = compareResults(q, engine, loop, ordered);
  if (diff !== undefined) {
    mismatches.push(`${what}: ${diff}`);
    console.error(`MISMATCH ${what}: ${diff}`);
  }
}

function cpuModel(): string {
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

/** Measures one query in a process of its own (query-process.ts says why) and reports it. */
function benchQuery(q: NexmarkQuery<unknown>): void {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./query-process.ts', import.meta.url)), q.name, String(EVENTS), String(RUNS)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) {
    mismatches.push(`${q.name}: its measuring process failed (exit ${child.status ?? child.signal})`);
    return;
  }
  // Its last line: anything the runtime printed before it (a warning) is not the measurement.
  const m = JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as QueryMeasurement;
  for (const x of m.mismatches) {
    mismatches.push(x);
    console.error(`MISMATCH ${x}`);
  }
  const n = EVENTS;
  const loopRate = rate(n, median(m.loopMs));
  const engineRate = rate(n, median(m.engineMs));
  const cpRate = rate(n, median(m.withCheckpointsMs));
  rep.report(`${q.name} ${q.description}`, 'events/s/core', engineRate, 'events/s', loopRate);
  rep.report(`${q.name} with checkpoints (${m.checkpoints} per ${n} events)`, 'events/s/core', cpRate, 'events/s', loopRate);
  // The event-time floor (measure.ts, runStampingPass): the loop plus the stamping pass.
  const floorRate = rate(n, median(m.loopMs) + median(m.stampingMs));
  rep.report(`${q.name} event-time floor (loop + stamping pass)`, 'events/s/core', floorRate, 'events/s', loopRate);
  const floor = (floorRate / loopRate).toFixed(3);
  const bound = m.floorIsBound
    ? `; the event-time floor (loop + stamping pass) is at ${floor} of the loop, the most an engine with event time can reach`
    : `; loop + stamping pass at ${floor} of the loop (not a bound for this query, see floorIsBound)`;
  const target = TARGETS[q.name] ?? 0;
  const flink = FLINK[q.name] ?? 0;
  summary.push(
    `${q.name.padEnd(3)} engine ${fmt(engineRate)}  with checkpoints ${fmt(cpRate)}  loop ${fmt(loopRate)}  ` +
      `ratio ${(engineRate / loopRate).toFixed(3)}  target ${fmt(target)}: ${engineRate >= target ? 'met' : 'NOT met'}; ` +
      `half the loop: ${engineRate >= loopRate / 2 ? 'met' : 'NOT met'}; Flink 2.0 example ${fmt(flink)}  (${m.results} results)${bound}`,
  );
}

function fmt(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

async function benchWindowedCount(events: readonly NexmarkEvent[]): Promise<void> {
  // Warm-up as in query-process.ts: each side once over all the events.
  windowedCountRx(events);
  windowedCountLoop(events);
  await runOnEngine('windowed-count', buildWindowedCount, events);
  const rx: number[] = [];
  const loop: number[] = [];
  const eng: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const x = runLoop(windowedCountRx, events);
    const l = runLoop(windowedCountLoop, events);
    const e = await runOnEngine('windowed-count', buildWindowedCount, events);
    rx.push(x.cpuMs);
    loop.push(l.cpuMs);
    eng.push(e.cpuMs);
    if (r === 0) {
      const key = (o: readonly WindowCount[]): string => o.map(windowCountKey).sort().join('\n');
      const lk = key(l.outputs);
      if (key(e.outputs) !== lk) mismatches.push('windowed count: engine differs from the loop');
      if (key(x.outputs) !== lk) mismatches.push('windowed count: RxJS differs from the loop');
    }
  }
  const n = events.length;
  const rxRate = rate(n, median(rx));
  const engRate = rate(n, median(eng));
  const loopRate = rate(n, median(loop));
  rep.report('count per auction per 10 s window vs RxJS', 'events/s/core', engRate, 'events/s', rxRate);
  rep.report('count per auction per 10 s window: RxJS vs loop', 'events/s/core', rxRate, 'events/s', loopRate);
  summary.push(`windowed count: engine ${fmt(engRate)}  RxJS ${fmt(rxRate)}  loop ${fmt(loopRate)}  engine/RxJS ${(engRate / rxRate).toFixed(3)}`);
}

/**
 * q5 at parallelism 1 (one thread) against parallelism 2 on the worker-thread runtime (one
 * worker per subtask). Workers rebuild the job from worker-job.ts, so events are generated
 * inside the source on both sides. Two ratios: wall clock from start to end, and throughput
 * while running (from the moment every worker runs its subtasks, i.e. without the workers'
 * start-up, as a long-running job sees it). CPU is split by thread (see bench/lib/thread-cpu.ts).
 * Then the machine's bound for the ratio once running (scaling-bound.ts).
 */
async function benchParallelism(n: number): Promise<void> {
  const firstOutputs: Record<number, Q5Out[]> = {};
  const module = new URL('./worker-job.ts', import.meta.url).href;
  const wall: Record<number, number[]> = { 1: [], 2: [] };
  const running: Record<number, number[]> = { 1: [], 2: [] };
  const startup: number[] = [];
  const cpu: Record<number, ThreadCpu[]> = { 1: [], 2: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const p of [1, 2]) {
      const job = buildQ5Job(p, n);
      const threads = sampleThreadCpu();
      const t0 = performance.now();
      const handle = job.start(p === 1 ? {} : { workers: { module, export: 'buildQ5Job', args: [p, n] } });
      let tRunning = t0;
      if (p > 1) {
        const starting = new Set(['created', 'initializing']);
        while (starting.has(handle.status().state)) await new Promise((resolve) => setTimeout(resolve, 2));
        tRunning = performance.now();
        startup.push(tRunning - t0);
      }
      await handle.done;
      const t1 = performance.now();
      wall[p]!.push(t1 - t0);
      running[p]!.push(t1 - tRunning);
      cpu[p]!.push(threads.stop());
      if (r === 0) firstOutputs[p] = q5Outputs(job);
    }
  }
  // The loop's reference result is computed after the timed runs: its n events in memory
  // would otherwise sit in the main thread's heap and slow p1's garbage collection.
  const loop = runLoop((e) => q5.loop(e), new NexmarkGenerator().events(n));
  for (const p of [1, 2]) check(q5, `q5 parallelism ${p}`, firstOutputs[p] ?? [], loop.outputs, false);
  const w1 = rate(n, median(wall[1]!));
  const w2 = rate(n, median(wall[2]!));
  const r1 = rate(n, median(running[1]!));
  const r2 = rate(n, median(running[2]!));
  rep.report('q5 parallelism 2 (worker threads) vs 1, wall clock incl. worker start-up', 'events/s', w2, 'events/s', w1);
  rep.report('q5 parallelism 2 (worker threads) vs 1, while running', 'events/s', r2, 'events/s', r1);
  rep.report('q5 parallelism 2: worker start-up', 'ms', median(startup), 'ms');
  // What the machine allows any p2 runtime: two independent copies of the p1 job at once.
  const bound = await measureScalingBound(n, RUNS);
  const expected = firstOutputs[1]?.length;
  if (bound.outputs.some((k) => k !== expected)) mismatches.push(`q5 copies for the machine bound: result counts ${bound.outputs.join(', ')}, p1 had ${expected}`);
  rep.report('q5 machine bound: two independent p1 copies at once vs one (worker threads)', 'events/s', rate(2 * n, bound.twoMs), 'events/s', rate(n, bound.oneMs));
  const split = (p: number): string => {
    const c = cpu[p]!;
    const m = (f: (t: ThreadCpu) => number): string => fmt(median(c.map(f)));
    return `main ${m((t) => t.mainMs)} ms, threads started for the run ${m((t) => t.startedMs)} ms, V8/Node background threads ${m((t) => t.backgroundMs)} ms`;
  };
  summary.push(
    `q5 parallelism (${n.toLocaleString('en-US')} events, generator inside the source): p1 ${fmt(w1)} events/s; p2 on worker threads ${fmt(w2)} events/s wall clock ` +
      `(ratio ${(w2 / w1).toFixed(3)}), ${fmt(r2)} events/s once running (ratio ${(r2 / r1).toFixed(3)}, start-up ${fmt(median(startup))} ms); target 1.6x: ${r2 >= 1.6 * r1 ? 'met' : 'NOT met'}`,
    `  machine bound for any p2 runtime (two independent p1 copies in two worker threads vs one, nothing exchanged): ${bound.scaling.toFixed(3)}x ` +
      `(one copy ${fmt(bound.oneMs)} ms, two at once ${fmt(bound.twoMs)} ms)`,
    `  CPU p1: ${split(1)}`,
    `  CPU p2: ${split(2)}`,
  );
}

rep.header();
say(`# machine: ${cpus().length} CPUs (nproc), ${cpuModel()}, node ${process.version}; ${EVENTS.toLocaleString('en-US')} events, median of ${RUNS} run(s)`);
say('# events generated ahead of timing (the generator is not in the measured runs); checkpoints: every 10 s of stream time');
// First, while the heap holds no pre-generated events (p1 runs on this thread, p2 in workers).
await benchParallelism(flags.quick ? 500_000 : 3_000_000);
for (const q of QUERIES) benchQuery(q);
const gen = new NexmarkGenerator();
const g0 = performance.now();
const events = gen.events(EVENTS);
const genMs = performance.now() - g0;
rep.report('generator (not part of the query figures)', 'events/s', rate(EVENTS, genMs), 'events/s');

await benchWindowedCount(events);

say('\n# summary (events/s per core; targets from the issue)');
for (const s of summary) say(s);
if (mismatches.length > 0) {
  console.error(`\n${mismatches.length} MISMATCH(ES): the engine's results differ from the hand-written loop's`);
  for (const m of mismatches) console.error(`  ${m}`);
  process.exitCode = 1;
} else say('# all engine results equal the hand-written loops\' results');
