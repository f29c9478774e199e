// Runs a query on the engine or as its hand-written loop over pre-generated events and
// measures CPU time with process.cpuUsage() (user + system of the whole process, so garbage
// collection and any worker threads count), plus wall time. The pipeline is built before the
// clock starts; the run covers source, operators, state, timers, checkpoints and the sink.
// Imports the engine's public pieces and this folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from '../../src/engine/api/pipeline.js';
import type { DataStream } from '../../src/engine/api/data-stream.js';
import { collectSink } from '../../src/engine/sinks/collect-sink.js';
import { monotonous } from '../../src/engine/time/watermark-strategy.js';
import type { NexmarkEvent } from './model.js';
import type { NexmarkQuery } from './query.js';
import { StreamClock, nexmarkSource } from './source.js';

export interface Measured<OUT> {
  readonly outputs: OUT[];
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly checkpoints: number;
}

export interface EngineRunOptions {
  readonly parallelism?: number;
  /** Checkpoint every this many ms of stream time (see source.ts); undefined: no checkpoints. */
  readonly checkpointEveryMs?: number;
  readonly batchSize?: number;
}

function cpuMsNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Builds `build(events stream)` into a pipeline over `events`, runs it, returns what the sink got. */
export async function runOnEngine<OUT>(
  name: string,
  build: (events: DataStream<NexmarkEvent>) => DataStream<OUT>,
  events: readonly NexmarkEvent[],
  options: EngineRunOptions = {},
): Promise<Measured<OUT>> {
  const parallelism = options.parallelism ?? 1;
  const first = events[0];
  const clock = new StreamClock(first === undefined ? 0 : first.dateTime);
  const dir = options.checkpointEveryMs !== undefined ? mkdtempSync(join(tmpdir(), 'sluice-nexmark-')) : undefined;
  try {
    const job = pipeline(`nexmark-${name}`, {
      parallelism,
      clock,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(dir !== undefined ? { checkpoints: { every: options.checkpointEveryMs as number, dir, keep: 2 } } : {}),
    });
    const stream = job.from(nexmarkSource(events, { partitions: parallelism, clock })).withWatermarks((e) => e.dateTime, monotonous());
    const sink = collectSink<OUT>();
    build(stream).to(sink);
    const c0 = cpuMsNow();
    const t0 = performance.now();
    const result = await job.run({ fresh: true });
    const wallMs = performance.now() - t0;
    const cpuMs = cpuMsNow() - c0;
    return { outputs: sink.collected.values, cpuMs, wallMs, checkpoints: result.checkpoints };
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

export function runQueryOnEngine<OUT>(q: NexmarkQuery<OUT>, events: readonly NexmarkEvent[], options: EngineRunOptions = {}): Promise<Measured<OUT>> {
  return runOnEngine(q.name, (s) => q.build(s), events, options);
}

export function runLoop<OUT>(loop: (events: readonly NexmarkEvent[]) => OUT[], events: readonly NexmarkEvent[]): Measured<OUT> {
  const c0 = cpuMsNow();
  const t0 = performance.now();
  const outputs = loop(events);
  const wallMs = performance.now() - t0;
  return { outputs, cpuMs: cpuMsNow() - c0, wallMs, checkpoints: 0 };
}
