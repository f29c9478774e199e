import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSluiceError } from '../../errors.js';
import type { OnMergeContext, TriggerState, TriggerStateDescriptor } from './trigger.js';
import { TriggerResult, isFire, isPurge } from './trigger.js';
import {
  ContinuousEventTimeTrigger,
  ContinuousProcessingTimeTrigger,
  CountTrigger,
  EarlyFiringEventTimeTrigger,
  EventTimeTrigger,
  ProcessingTimeTrigger,
  PurgingTrigger,
} from './triggers.js';
import { GlobalWindow, TimeWindow } from './window.js';

/** A trigger context over plain maps, for one key; `window` selects the namespace. */
class FakeContext implements OnMergeContext {
  watermark = Number.NEGATIVE_INFINITY;
  now = 0;
  window = '';
  mergedFrom: string[] = [];
  readonly eventTimers = new Set<string>();
  readonly procTimers = new Set<string>();
  readonly state = new Map<string, unknown>();

  currentWatermark(): number {
    return this.watermark;
  }
  currentProcessingTime(): number {
    return this.now;
  }
  registerEventTimeTimer(time: number): void {
    this.eventTimers.add(`${this.window}@${time}`);
  }
  deleteEventTimeTimer(time: number): void {
    this.eventTimers.delete(`${this.window}@${time}`);
  }
  registerProcessingTimeTimer(time: number): void {
    this.procTimers.add(`${this.window}@${time}`);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.procTimers.delete(`${this.window}@${time}`);
  }
  getState<V>(d: TriggerStateDescriptor<V>): TriggerState<V> {
    const k = `${this.window}/${d.name}`;
    return {
      value: () => this.state.get(k) as V | undefined,
      update: (v) => void this.state.set(k, v),
      clear: () => void this.state.delete(k),
    };
  }
  mergeState<V>(d: TriggerStateDescriptor<V>): void {
    let acc = this.state.get(`${this.window}/${d.name}`) as V | undefined;
    for (const w of this.mergedFrom) {
      const v = this.state.get(`${w}/${d.name}`) as V | undefined;
      this.state.delete(`${w}/${d.name}`);
      if (v !== undefined) acc = acc === undefined ? v : d.merge(acc, v);
    }
    if (acc !== undefined) this.state.set(`${this.window}/${d.name}`, acc);
  }
}

test('TriggerResult flags', () => {
  assert.ok(isFire(TriggerResult.FIRE) && !isPurge(TriggerResult.FIRE));
  assert.ok(isFire(TriggerResult.FIRE_AND_PURGE) && isPurge(TriggerResult.FIRE_AND_PURGE));
  assert.ok(!isFire(TriggerResult.PURGE) && isPurge(TriggerResult.PURGE));
  assert.ok(!isFire(TriggerResult.CONTINUE) && !isPurge(TriggerResult.CONTINUE));
});

test('EventTimeTrigger: registers the window end, fires on it, fires at once for late elements', () => {
  const t = EventTimeTrigger.create();
  const w = new TimeWindow(0, 10);
  const ctx = new FakeContext();
  ctx.window = w.id;
  assert.equal(t.onElement('a', 3, w, ctx), TriggerResult.CONTINUE);
  assert.deepEqual([...ctx.eventTimers], ['0:10@9']);
  assert.equal(t.onEventTime(5, w, ctx), TriggerResult.CONTINUE);
  assert.equal(t.onEventTime(9, w, ctx), TriggerResult.FIRE);
  ctx.watermark = 9;
  assert.equal(t.onElement('late', 2, w, ctx), TriggerResult.FIRE);
  t.clear(w, ctx);
  assert.equal(ctx.eventTimers.size, 0);
});

test('ProcessingTimeTrigger fires on the processing-time end only', () => {
  const t = ProcessingTimeTrigger.create();
  const w = new TimeWindow(100, 200);
  const ctx = new FakeContext();
  ctx.window = w.id;
  assert.equal(t.onElement('a', 0, w, ctx), TriggerResult.CONTINUE);
  assert.deepEqual([...ctx.procTimers], ['100:200@199']);
  assert.equal(t.onEventTime(199, w, ctx), TriggerResult.CONTINUE);
  assert.equal(t.onProcessingTime(199, w, ctx), TriggerResult.FIRE);
});

test('CountTrigger fires every n elements and merges counts of merged windows', () => {
  const t = CountTrigger.of(3);
  const ctx = new FakeContext();
  const g = GlobalWindow.INSTANCE;
  ctx.window = g.id;
  const results = [1, 2, 3, 4, 5, 6, 7].map((x) => t.onElement(x, 0, g, ctx));
  assert.deepEqual(results.map(isFire), [false, false, true, false, false, true, false]);
  // Merge: windows a (1 element) and b (1 element) fold into a; one more element fires at 3.
  const a = new TimeWindow(0, 10);
  const b = new TimeWindow(5, 15);
  ctx.window = a.id;
  t.onElement('x', 0, a, ctx);
  ctx.window = b.id;
  t.onElement('y', 5, b, ctx);
  ctx.window = a.id;
  ctx.mergedFrom = [b.id];
  t.onMerge(new TimeWindow(0, 15), ctx);
  assert.equal(t.onElement('z', 6, a, ctx), TriggerResult.FIRE);
  assert.throws(() => CountTrigger.of(0), (e: unknown) => isSluiceError(e, 'INVALID_ARGUMENT'));
});

test('PurgingTrigger turns FIRE into FIRE_AND_PURGE', () => {
  const t = PurgingTrigger.of(CountTrigger.of(2));
  const ctx = new FakeContext();
  const g = GlobalWindow.INSTANCE;
  assert.equal(t.onElement(1, 0, g, ctx), TriggerResult.CONTINUE);
  assert.equal(t.onElement(2, 0, g, ctx), TriggerResult.FIRE_AND_PURGE);
});

test('ContinuousProcessingTimeTrigger fires on every interval boundary and at the window end', () => {
  const t = ContinuousProcessingTimeTrigger.of(100);
  const w = new TimeWindow(0, 350);
  const ctx = new FakeContext();
  ctx.window = w.id;
  ctx.now = 42;
  t.onElement('a', 0, w, ctx);
  assert.deepEqual([...ctx.procTimers], ['0:350@100']);
  assert.equal(t.onProcessingTime(100, w, ctx), TriggerResult.FIRE);
  assert.equal(t.onProcessingTime(200, w, ctx), TriggerResult.FIRE);
  assert.equal(t.onProcessingTime(300, w, ctx), TriggerResult.FIRE);
  // The next boundary (400) is past the window: the last timer is the window end itself.
  assert.ok(ctx.procTimers.has('0:350@349'));
  assert.equal(t.onProcessingTime(349, w, ctx), TriggerResult.FIRE);
  t.clear(w, ctx);
  assert.equal(ctx.state.size, 0);
});

test('EarlyFiringEventTimeTrigger: early results on processing time, final on the watermark, then only late updates', () => {
  const t = EarlyFiringEventTimeTrigger.of('1s');
  const w = new TimeWindow(0, 60_000);
  const ctx = new FakeContext();
  ctx.window = w.id;
  ctx.now = 500;
  assert.equal(t.onElement('a', 10, w, ctx), TriggerResult.CONTINUE);
  assert.ok(ctx.procTimers.has(`${w.id}@1000`) && ctx.eventTimers.has(`${w.id}@59999`));
  ctx.procTimers.delete(`${w.id}@1000`); // a fired timer is gone, as in the timer service
  assert.equal(t.onProcessingTime(1000, w, ctx), TriggerResult.FIRE);
  assert.ok(ctx.procTimers.has(`${w.id}@2000`));
  assert.equal(t.onEventTime(59_999, w, ctx), TriggerResult.FIRE);
  ctx.watermark = 59_999;
  // Early firing stopped with the final result.
  assert.equal(ctx.procTimers.size, 0);
  assert.equal(t.onProcessingTime(2000, w, ctx), TriggerResult.CONTINUE);
  assert.equal(t.onElement('late', 5, w, ctx), TriggerResult.FIRE);
  assert.equal(ctx.procTimers.size, 0);
});

test('EarlyFiringEventTimeTrigger onlyOnChange: an early firing only after new elements, at most one per interval', () => {
  const t = EarlyFiringEventTimeTrigger.of('1s', { onlyOnChange: true });
  const w = new TimeWindow(0, 60_000);
  const ctx = new FakeContext();
  ctx.window = w.id;
  ctx.now = 500;
  assert.equal(t.onElement('a', 10, w, ctx), TriggerResult.CONTINUE);
  assert.equal(t.onElement('b', 11, w, ctx), TriggerResult.CONTINUE);
  assert.deepEqual([...ctx.procTimers], [`${w.id}@1000`], 'one pending firing for both elements');
  ctx.procTimers.delete(`${w.id}@1000`);
  assert.equal(t.onProcessingTime(1000, w, ctx), TriggerResult.FIRE);
  // Nothing new since that firing: no timer, and a stray timer does not fire.
  assert.equal(ctx.procTimers.size, 0);
  assert.equal(t.onProcessingTime(2000, w, ctx), TriggerResult.CONTINUE);
  ctx.now = 3_250;
  assert.equal(t.onElement('c', 12, w, ctx), TriggerResult.CONTINUE);
  assert.ok(ctx.procTimers.has(`${w.id}@4000`), 'the next element schedules the next aligned firing');
  ctx.procTimers.delete(`${w.id}@4000`);
  assert.equal(t.onProcessingTime(4000, w, ctx), TriggerResult.FIRE);
  // A pending firing is dropped by the final result; late elements fire at once.
  ctx.now = 4_100;
  t.onElement('d', 13, w, ctx);
  assert.equal(ctx.procTimers.size, 1);
  assert.equal(t.onEventTime(59_999, w, ctx), TriggerResult.FIRE);
  ctx.watermark = 59_999;
  assert.equal(ctx.procTimers.size, 0);
  assert.equal(t.onProcessingTime(5000, w, ctx), TriggerResult.CONTINUE);
  assert.equal(t.onElement('late', 5, w, ctx), TriggerResult.FIRE);
  assert.equal(ctx.procTimers.size, 0);
  t.clear(w, ctx);
  assert.equal(ctx.state.size, 0);
  assert.equal(ctx.eventTimers.size, 0);
});

test('EarlyFiringEventTimeTrigger onlyOnChange: merged sessions keep the earliest pending firing', () => {
  const t = EarlyFiringEventTimeTrigger.of(1000, { onlyOnChange: true });
  const a = new TimeWindow(0, 100);
  const b = new TimeWindow(50, 200);
  const ctx = new FakeContext();
  ctx.now = 1_500;
  ctx.window = a.id;
  t.onElement('x', 0, a, ctx);
  ctx.now = 2_500;
  ctx.window = b.id;
  t.onElement('y', 50, b, ctx);
  const merged = a.cover(b);
  ctx.window = merged.id;
  ctx.mergedFrom = [a.id, b.id];
  t.onMerge(merged, ctx);
  assert.ok(ctx.procTimers.has(`${merged.id}@2000`));
  assert.ok(ctx.eventTimers.has(`${merged.id}@${merged.maxTimestamp()}`));
  assert.equal(t.onProcessingTime(3000, merged, ctx), TriggerResult.CONTINUE, 'not the pending firing');
  assert.equal(t.onProcessingTime(2000, merged, ctx), TriggerResult.FIRE);
});

test('EarlyFiringEventTimeTrigger rejects a non-positive interval', () => {
  assert.throws(() => EarlyFiringEventTimeTrigger.of(0, { onlyOnChange: true }), (e) => isSluiceError(e) && e.code === 'INVALID_ARGUMENT');
});

test('ContinuousEventTimeTrigger fires as the watermark crosses interval boundaries', () => {
  const t = ContinuousEventTimeTrigger.of(10);
  const w = new TimeWindow(0, 30);
  const ctx = new FakeContext();
  ctx.window = w.id;
  t.onElement('a', 3, w, ctx);
  assert.ok(ctx.eventTimers.has('0:30@10') && ctx.eventTimers.has('0:30@29'));
  assert.equal(t.onEventTime(10, w, ctx), TriggerResult.FIRE);
  assert.equal(t.onEventTime(20, w, ctx), TriggerResult.FIRE);
  assert.equal(t.onEventTime(29, w, ctx), TriggerResult.FIRE);
  assert.equal(t.onEventTime(15, w, ctx), TriggerResult.CONTINUE);
  t.clear(w, ctx);
  assert.equal(ctx.state.size, 0);
});
