import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OperatorContext } from './operator.js';
import type { AsyncFailure, AsyncIoOptions, AsyncTimers } from './async-io-options.js';
import type { OutputTag } from '../api/output-tag.js';
import { AsyncIoOperator, ASYNC_IO_STATE } from './async-io.js';
import { isAsyncBoundary } from './async-io-boundary.js';
import { outputTag } from '../api/output-tag.js';
import { ManualClock } from '../time/clock.js';
import { createOperatorStateStore } from '../state/operator-state.js';
import { SluiceError, isSluiceError } from '../../errors.js';
import type { OperatorStateSnapshot } from '../state/types.js';

type Event = { v: unknown; ts: number } | { w: number } | { side: string; v: unknown; ts: number };

/** Timers that fire only when the test says so. */
class ManualTimers implements AsyncTimers {
  armed = new Map<number, { fn: () => void; ms: number }>();
  private next = 0;
  set(fn: () => void, ms: number): unknown {
    const id = ++this.next;
    this.armed.set(id, { fn, ms });
    return id;
  }
  clear(handle: unknown): void {
    this.armed.delete(handle as number);
  }
  fireAll(): void {
    const all = [...this.armed.values()];
    this.armed.clear();
    for (const t of all) t.fn();
  }
}

interface Call<IN> {
  input: IN;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** Drives the operator as the runtime does: batches in, drain() when woken, a manual clock. */
function harness<IN, OUT>(options: AsyncIoOptions<IN, OUT>, restored?: OperatorStateSnapshot) {
  const clock = new ManualClock(1000);
  const timers = new ManualTimers();
  const calls: Call<IN>[] = [];
  const events: Event[] = [];
  const metrics: Record<string, number> = {};
  let wakes = 0;
  const fn = (input: IN): Promise<OUT> =>
    new Promise<OUT>((resolve, reject) => {
      calls.push({ input, resolve: resolve as (v: unknown) => void, reject });
    });
  const op = new AsyncIoOperator<IN, OUT>(fn, { timers, random: () => 0, ...options });
  const operatorState = createOperatorStateStore(restored);
  const ctx: OperatorContext<OUT> = {
    output: {
      collect: (v, ts) => events.push({ v, ts }),
      collectBatch: (vs, tss) => vs.forEach((v, i) => events.push({ v, ts: tss[i] as number })),
      collectSide: (tag, v, ts) => events.push({ side: tag.id, v, ts }),
      emitWatermark: (w) => events.push({ w }),
    },
    operatorName: 'async-test',
    subtaskIndex: 0,
    parallelism: 1,
    maxParallelism: 128,
    clock,
    keyed: undefined,
    operatorState,
    count: (m, n = 1) => (metrics[m] = (metrics[m] ?? 0) + n),
    currentWatermark: () => Number.NEGATIVE_INFINITY,
  };
  op.attachWake(() => wakes++);
  op.open(ctx);
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return {
    op,
    clock,
    timers,
    calls,
    events,
    metrics,
    operatorState,
    wakes: () => wakes,
    push: (values: IN[], ts?: number[]) => op.processBatch(values, ts ?? values.map((_v, i) => i)),
    /** Lets callbacks run, then drains as the runtime loop would. */
    async drain(): Promise<void> {
      await settle();
      op.drain(clock.now());
    },
    values: () => events.filter((e): e is { v: unknown; ts: number } => 'v' in e && !('side' in e)).map((e) => e.v),
  };
}

test('the operator implements the runtime boundary contract', () => {
  const h = harness<number, number>({});
  assert.ok(isAsyncBoundary(h.op));
});

test('ordered: results leave in input order, with the input timestamps, watermarks held behind earlier elements', async () => {
  const h = harness<number, number>({ ordered: true, capacity: 10 });
  h.push([1, 2, 3], [10, 20, 30]);
  h.op.processWatermark(30);
  h.push([4], [40]);
  assert.equal(h.calls.length, 4);
  h.calls[2]!.resolve(300);
  h.calls[3]!.resolve([400, 401]);
  await h.drain();
  assert.deepEqual(h.events, [], 'nothing leaves before element 1');
  assert.ok(h.wakes() >= 1, 'a completion wakes the runtime');
  h.calls[0]!.resolve(100);
  await h.drain();
  assert.deepEqual(h.events, [{ v: 100, ts: 10 }]);
  h.calls[1]!.resolve([]);
  await h.drain();
  assert.deepEqual(h.events, [{ v: 100, ts: 10 }, { v: 300, ts: 30 }, { w: 30 }, { v: 400, ts: 40 }, { v: 401, ts: 40 }]);
  assert.equal(h.op.hasPendingWork(), false);
});

test('unordered: results leave as they complete, never across a watermark', async () => {
  const h = harness<number, number>({ ordered: false, capacity: 10 });
  h.push([1, 2]);
  h.op.processWatermark(5);
  h.push([3]);
  h.calls[1]!.resolve(2);
  h.calls[2]!.resolve(3);
  await h.drain();
  assert.deepEqual(h.values(), [2], 'element 3 is behind the watermark, element 1 still runs');
  h.calls[0]!.resolve(1);
  await h.drain();
  assert.deepEqual(h.events.map((e) => ('w' in e ? `w${e.w}` : String(e.v))), ['2', '1', 'w5', '3']);
});

test('capacity: at most `capacity` calls in flight; the rest waits and the operator reports backpressure', async () => {
  const h = harness<number, number>({ capacity: 3 });
  h.push([0, 1, 2, 3, 4, 5, 6]);
  assert.equal(h.calls.length, 3);
  assert.equal(h.op.inFlight, 3);
  assert.equal(h.op.isBackpressured(), true);
  h.calls[1]!.resolve(1);
  await h.drain();
  assert.equal(h.calls.length, 3, 'ordered: a completed element keeps its slot until it leaves');
  h.calls[0]!.resolve(0);
  await h.drain();
  assert.equal(h.calls.length, 5);
  assert.deepEqual(h.values(), [0, 1]);
  for (let i = 2; i < 7; i++) {
    h.calls[i]!.resolve(i);
    await h.drain();
    assert.ok(h.op.inFlight <= 3);
  }
  assert.equal(h.calls.length, 7);
  assert.deepEqual(h.values(), [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(h.op.isBackpressured(), false);
});

test('retries with exponential backoff on the job clock, then succeeds', async () => {
  const h = harness<string, string>({ retry: { maxAttempts: 4, backoff: { initial: 100, multiplier: 2, max: 150, jitter: 0 } }, timeout: '10s' });
  h.push(['a']);
  h.calls[0]!.reject(new Error('503'));
  await h.drain();
  assert.equal(h.calls.length, 1);
  assert.equal(h.timers.armed.size, 1, 'a timer wakes the runtime for the retry');
  h.clock.advance(99);
  await h.drain();
  assert.equal(h.calls.length, 1, 'not before the backoff');
  h.clock.advance(1);
  h.timers.fireAll();
  await h.drain();
  assert.equal(h.calls.length, 2);
  h.calls[1]!.reject(new Error('503'));
  await h.drain();
  h.clock.advance(149);
  await h.drain();
  assert.equal(h.calls.length, 2, 'second backoff is 200 capped at 150');
  h.clock.advance(1);
  await h.drain();
  assert.equal(h.calls.length, 3);
  h.calls[2]!.resolve('A');
  await h.drain();
  assert.deepEqual(h.values(), ['A']);
  assert.equal(h.metrics['async-io-retries'], 2);
  assert.equal(h.timers.armed.size, 0, 'no timer left once nothing is in flight');
});

test('retry on a result predicate; after the last attempt the result is taken as it is', async () => {
  const h = harness<number, number[]>({ retry: { maxAttempts: 2, backoff: { initial: 10, jitter: 0 }, ifResult: (rs) => rs.length === 0 } });
  h.push([1]);
  h.calls[0]!.resolve([]);
  await h.drain();
  h.clock.advance(10);
  await h.drain();
  assert.equal(h.calls.length, 2);
  h.calls[1]!.resolve([]);
  await h.drain();
  assert.deepEqual(h.values(), []);
  assert.equal(h.op.hasPendingWork(), false);
});

test('a function failing after its retries fails with ASYNC_IO_FAILED; ifError can refuse retries', async () => {
  const h = harness<number, number>({ retry: { maxAttempts: 3, backoff: { initial: 5, jitter: 0 }, ifError: (e) => (e as Error).message !== 'fatal' } });
  h.push([1]);
  h.calls[0]!.reject(new Error('fatal'));
  await Promise.resolve();
  await Promise.resolve();
  assert.throws(
    () => h.op.drain(h.clock.now()),
    (e: unknown) => isSluiceError(e, 'ASYNC_IO_FAILED') && /1 attempt\(s\): fatal/.test(e.message),
  );
});

test('with an errors side output, a failed element goes there (in its turn) and the job goes on', async () => {
  const errors: OutputTag<AsyncFailure<number>> = outputTag('async-errors');
  const h = harness<number, number>({ errors });
  h.push([1, 2], [11, 22]);
  h.calls[0]!.reject(new Error('boom'));
  h.calls[1]!.resolve(20);
  await h.drain();
  assert.equal(h.events.length, 2);
  const first = h.events[0] as { side: string; v: AsyncFailure<number>; ts: number };
  assert.equal(first.side, 'async-errors');
  assert.equal(first.v.input, 1);
  assert.equal(first.ts, 11);
  assert.ok(isSluiceError(first.v.error, 'ASYNC_IO_FAILED'));
  assert.deepEqual(h.events[1], { v: 20, ts: 22 });
});

test('timeout: fallback result, late answers ignored; drop; fail with TIMEOUT', async () => {
  const fb = harness<number, string>({ timeout: 500, onTimeout: (x) => `fallback-${x}` });
  fb.push([7]);
  fb.clock.advance(499);
  await fb.drain();
  assert.deepEqual(fb.values(), []);
  fb.clock.advance(1);
  await fb.drain();
  assert.deepEqual(fb.values(), ['fallback-7']);
  fb.calls[0]!.resolve('too late');
  await fb.drain();
  assert.deepEqual(fb.values(), ['fallback-7']);
  assert.equal(fb.metrics['async-io-timeouts'], 1);

  const drop = harness<number, number>({ timeout: 100, onTimeout: 'drop' });
  drop.push([1, 2]);
  drop.calls[1]!.resolve(2);
  drop.clock.advance(100);
  await drop.drain();
  assert.deepEqual(drop.values(), [2]);

  const fail = harness<number, number>({ timeout: 100 });
  fail.push([1]);
  fail.clock.advance(100);
  assert.throws(() => fail.op.drain(fail.clock.now()), (e: unknown) => isSluiceError(e, 'TIMEOUT') && e.retriable === false);

  const thrower = harness<number, number>({ timeout: 100, onTimeout: () => { throw new Error('no fallback'); } });
  thrower.push([1]);
  thrower.clock.advance(100);
  assert.throws(() => thrower.op.drain(thrower.clock.now()), (e: unknown) => e instanceof SluiceError && e.code === 'TIMEOUT' && /no fallback/.test(e.message));
});

test('the timeout covers the retries: an element backing off past its deadline times out', async () => {
  const h = harness<number, number>({ timeout: 150, onTimeout: () => -1, retry: { maxAttempts: 10, backoff: { initial: 100, jitter: 0 } } });
  h.push([1]);
  h.calls[0]!.reject(new Error('x'));
  await h.drain();
  h.clock.advance(100);
  await h.drain();
  assert.equal(h.calls.length, 2);
  h.calls[1]!.reject(new Error('x'));
  await h.drain();
  h.clock.advance(50);
  await h.drain();
  assert.deepEqual(h.values(), [-1]);
  assert.equal(h.calls.length, 2);
});

test('snapshot holds every element not yet emitted, in order; a restored operator re-issues them first', async () => {
  const h = harness<number, number>({ capacity: 2 });
  h.push([1, 2, 3, 4], [10, 20, 30, 40]);
  h.calls[1]!.resolve(2); // completed but waits behind 1: still not emitted
  await h.drain();
  h.op.snapshotInFlight();
  const snap = h.operatorState.snapshot();
  assert.deepEqual(snap.states[ASYNC_IO_STATE]?.elements, [[1, 10], [2, 20], [3, 30], [4, 40]]);

  const r = harness<number, number>({ capacity: 2 }, snap);
  assert.equal(r.wakes(), 1, 'restored work wakes the runtime');
  assert.equal(r.op.hasPendingWork(), true);
  r.op.drain(r.clock.now());
  assert.deepEqual(r.calls.map((c) => c.input), [1, 2]);
  r.push([5], [50]);
  for (let i = 0; i < 5; i++) {
    r.calls[i]!.resolve(r.calls[i]!.input * 10);
    await r.drain();
  }
  assert.deepEqual(r.events, [
    { v: 10, ts: 10 },
    { v: 20, ts: 20 },
    { v: 30, ts: 30 },
    { v: 40, ts: 40 },
    { v: 50, ts: 50 },
  ]);
});

test('bad options fail at definition with INVALID_ARGUMENT', () => {
  for (const o of [{ capacity: 0 }, { timeout: 'soon' }, { retry: { maxAttempts: 0 } }, { retry: { maxAttempts: 2, backoff: { jitter: 2 } } }, { onTimeout: 'retry' }] as AsyncIoOptions<unknown, unknown>[]) {
    assert.throws(() => new AsyncIoOperator(async (x: unknown) => x, o), (e: unknown) => isSluiceError(e, 'INVALID_ARGUMENT'));
  }
});
