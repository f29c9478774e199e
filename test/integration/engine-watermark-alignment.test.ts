// Watermark alignment: a source subtask more than maxDrift ahead (in event time) of the
// slowest aligned one is held back, on one thread and across worker threads, so records never
// lead the downstream watermark by much more than the drift; without alignment they lead it by
// minutes. A source that ends, and subtasks that own no partition (idle), hold no one back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignmentJob, leads, BATCH, FAST_STEP, MAX_DRIFT_MS, PER_PARTITION, SHORT } from './fixtures/engine-alignment-job.js';

const MODULE = new URL('./fixtures/engine-alignment-job.ts', import.meta.url).href;
/** The drift, plus one batch of the fast partition past the check, plus announcements' lag and a batch in flight on each side. */
const BOUND = MAX_DRIFT_MS + 2 * BATCH * FAST_STEP + MAX_DRIFT_MS;

function maxOf(xs: number[]): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of xs) if (x > m) m = x;
  return m;
}

test('one thread: aligned sources stay within the drift; unaligned ones run minutes ahead', { timeout: 60_000 }, async () => {
  const aligned = alignmentJob('align-one-thread', 2, true, 'skewed');
  await aligned.run();
  const a = leads(aligned);
  assert.equal(a.length, 2 * PER_PARTITION, 'every record arrives');
  assert.ok(maxOf(a) <= BOUND, `lead ${maxOf(a)} ms with alignment (bound ${BOUND})`);

  const free = alignmentJob('align-one-thread-off', 2, false, 'skewed');
  await free.run();
  const f = leads(free);
  assert.equal(f.length, 2 * PER_PARTITION);
  assert.ok(maxOf(f) > 60_000, `without alignment the fast partition leads by ${maxOf(f)} ms`);
});

test('worker threads: each worker keeps its source within the drift of the other worker\'s', { timeout: 120_000 }, async () => {
  const job = alignmentJob('align-workers', 2, true, 'skewed');
  await job.run({ workers: { module: MODULE, export: 'alignmentJob', args: ['align-workers', 2, true, 'skewed'] } });
  const a = leads(job);
  assert.equal(a.length, 2 * PER_PARTITION, 'every record arrives');
  assert.ok(maxOf(a) <= BOUND, `lead ${maxOf(a)} ms with alignment across workers (bound ${BOUND})`);
});

test('a source that ends and subtasks that are idle do not stall the aligned ones (both runtimes)', { timeout: 120_000 }, async () => {
  const one = alignmentJob('align-end-one', 2, true, 'early-end');
  await one.run();
  assert.equal(leads(one).length, SHORT + PER_PARTITION);
  const workers = alignmentJob('align-end-workers', 2, true, 'early-end');
  await workers.run({ workers: { module: MODULE, export: 'alignmentJob', args: ['align-end-workers', 2, true, 'early-end'] } });
  assert.equal(leads(workers).length, SHORT + PER_PARTITION);
});
