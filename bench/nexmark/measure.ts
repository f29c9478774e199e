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
    // Read inside the measurement: the collect sink may copy its batches into one array on read.
    const outputs = sink.collected.values;
    const wallMs = performance.now() - t0;
    const cpuMs = cpuMsNow() - c0;
    return { outputs, cpuMs, wallMs, checkpoints: result.checkpoints };
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

/**
 * The work any engine that processes batches with event time (design decisions 4 and 5) does
 * on top of a query's own: the events taken `batchSize` at a time, each batch copied (a source
 * hands its batch over), every event's time read into a fresh array and the batch's maximum
 * taken (the watermark). Where a query's loop reads no event time and does only what any
 * engine must (NexmarkQuery.floorIsBound), the loop's time plus this pass's is the least such
 * an engine can spend on it, and loop / (loop + this pass) bounds the engine's ratio to the
 * loop: main.ts reports it as the event-time floor. The watermark is returned so the work
 * that computes it is observable.
 */
export function runStampingPass(events: readonly NexmarkEvent[], batchSize = 1024): Measured<never> & { watermark: number } {
  const c0 = cpuMsNow();
  const t0 = performance.now();
  let watermark = Number.NEGATIVE_INFINITY;
  for (let at = 0; at < events.length; at += batchSize) {
    const batch = events.slice(at, at + batchSize);
    const times = new Array<number>(batch.length);
    for (let i = 0; i < batch.length; i++) times[i] = (batch[i] as NexmarkEvent).dateTime;
    for (let i = 0; i < times.length; i++) if ((times[i] as number) > watermark) watermark = times[i] as number;
  }
  const wallMs = performance.now() - t0;
  return { outputs: [], cpuMs: cpuMsNow() - c0, wallMs, checkpoints: 0, watermark };
}
