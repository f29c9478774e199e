// The most a parallelism-2 runtime can gain on q5 on this machine, measured in the same run:
// copies of the one-thread job (parallelism 1, events generated inside the source), each in
// a worker thread of its own, run at once with nothing shared and nothing exchanged. Two
// copies do twice the work of one, so 2 x (one copy's time alone) / (two copies' time
// together) is what the machine gives for this work: the cores' contention, the garbage
// collector's and compiler's helper threads (which a lone thread gets on the idle core) and
// each fresh thread's warm-up, as a p2 job's workers pay them. A p2 job does the same work
// split in two, plus routing records between the threads, so its ratio cannot exceed this.
// Imports node built-ins and this folder (the copies run scaling-bound-worker.ts).
import { Worker } from 'node:worker_threads';
import { median } from '../lib/runner.js';

const WORKER = new URL('./scaling-bound-worker.ts', import.meta.url).href;

interface CopiesRun {
  /** From the start signal until the last copy finished. */
  readonly ms: number;
  /** Each copy's number of results. */
  readonly outputs: number[];
}

/** Runs `copies` q5 jobs over `events` events each, at once, one per worker thread. */
async function runCopies(copies: number, events: number): Promise<CopiesRun> {
  // The bench runs from TypeScript through tsx, whose loader hooks do not follow worker threads.
  const code = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(WORKER)}); })`;
  const workers = Array.from({ length: copies }, () => new Worker(code, { eval: true, workerData: { events } }));
  const next = <M>(w: Worker): Promise<M> =>
    new Promise<M>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  try {
    // Every copy has loaded the job's modules before any starts: start-up is not measured.
    await Promise.all(workers.map(next));
    const t0 = performance.now();
    const done = workers.map((w) => next<{ outputs: number }>(w));
    for (const w of workers) w.postMessage('go');
    const reports = await Promise.all(done);
    return { ms: performance.now() - t0, outputs: reports.map((m) => m.outputs) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export interface ScalingBound {
  /** Median ms of one copy alone. */
  readonly oneMs: number;
  /** Median ms of two copies at once. */
  readonly twoMs: number;
  /** 2 x oneMs / twoMs. */
  readonly scaling: number;
  /** Every copy's number of results, in every run (each copy computes the whole q5 result). */
  readonly outputs: number[];
}

/** Alternates one copy alone and two at once, `runs` times each. */
export async function measureScalingBound(events: number, runs: number): Promise<ScalingBound> {
  const one: number[] = [];
  const two: number[] = [];
  const outputs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const alone = await runCopies(1, events);
    const pair = await runCopies(2, events);
    one.push(alone.ms);
    two.push(pair.ms);
    outputs.push(...alone.outputs, ...pair.outputs);
  }
  const oneMs = median(one);
  const twoMs = median(two);
  return { oneMs, twoMs, scaling: (2 * oneMs) / twoMs, outputs };
}
