import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyedCoProcessHarness, keyedProcessHarness, keyedBroadcastProcessHarness, processHarness } from './test-harness.js';
import { valueStateDescriptor, mapStateDescriptor } from '../state/descriptors.js';
import { outputTag } from '../api/output-tag.js';
import type { KeyedProcessFunction } from '../api/functions.js';
import type { ValueState } from '../state/types.js';

interface Txn {
  user: string;
  amount: number;
}

const total = valueStateDescriptor<number>('total');
const alerts = outputTag<string>('alerts');

/** Sums per user; emits the sum 10 s (event time) after the first txn; alerts on big txns; clears after 1 min idle (processing time). */
function summing(): KeyedProcessFunction<string, Txn, string> {
  let state: ValueState<number>;
  return {
    open(ctx) {
      state = ctx.getState(total);
    },
    processElement(t, ctx) {
      const prev = state.value();
      if (prev === undefined) ctx.timerService.registerEventTimeTimer(ctx.timestamp + 10_000);
      state.update((prev ?? 0) + t.amount);
      if (t.amount > 100) ctx.output(alerts, `${t.user}:${t.amount}`);
      ctx.timerService.registerProcessingTimeTimer(ctx.currentProcessingTime() + 60_000);
    },
    onTimer(ts, ctx, out) {
      if (ctx.timeDomain === 'event') out.collect(`${ctx.getCurrentKey()}=${state.value()}@${ts}`);
      else state.clear();
    },
  };
}

test('keyed process harness: state, event timers, side outputs, processing timers', () => {
  const h = keyedProcessHarness(summing(), (t: Txn) => t.user);
  h.processElement({ user: 'a', amount: 5 }, 1000);
  h.processElement({ user: 'b', amount: 500 }, 2000);
  h.processElement({ user: 'a', amount: 7 }, 3000);
  assert.equal(h.valueState('a', total), 12);
  assert.equal(h.valueState('b', total), 500);
  assert.deepEqual(h.sideOutputValues(alerts), ['b:500']);
  assert.deepEqual(h.outputValues(), []);
  h.processWatermark(11_000); // a's timer at 11000 fires, b's (12000) not yet
  assert.deepEqual(h.outputValues(), ['a=12@11000']);
  assert.deepEqual(h.output()[0]?.timestamp, 11_000);
  assert.deepEqual(h.watermarks(), [11_000]);
  h.processWatermark(12_000);
  assert.deepEqual(h.extractOutputValues(), ['a=12@11000', 'b=500@12000']);
  // Processing-time timers: both keys registered at t=0 (+60 s), deduplicated per key.
  assert.deepEqual(h.timerCount(), { event: 0, processing: 2 });
  h.advanceProcessingTime(59_999);
  assert.equal(h.valueState('a', total), 12);
  h.advanceProcessingTime(1);
  assert.equal(h.valueState('a', total), undefined);
  assert.equal(h.valueState('b', total), undefined);
});

test('harness snapshot restores state and timers into a new harness', () => {
  const h = keyedProcessHarness(summing(), (t: Txn) => t.user);
  h.processElement({ user: 'a', amount: 5 }, 1000);
  const snap = h.snapshot();
  const h2 = keyedProcessHarness(summing(), (t: Txn) => t.user, { restore: snap });
  assert.equal(h2.valueState('a', total), 5);
  h2.processElement({ user: 'a', amount: 1 }, 2000);
  h2.processWatermark(20_000);
  assert.deepEqual(h2.outputValues(), ['a=6@11000']);
});

test('watermarks of two inputs combine by minimum; an idle input is excluded', () => {
  const rules = mapStateDescriptor<string, number>('rules');
  const h = keyedBroadcastProcessHarness<string, Txn, number, string>(
    {
      processElement(t, ctx, out) {
        const limit = ctx.getBroadcastState(rules).get('limit') ?? Infinity;
        if (t.amount > limit) out.collect(t.user);
      },
      processBroadcastElement(v, ctx) {
        ctx.getBroadcastState(rules).put('limit', v);
      },
    },
    (t) => t.user,
    [rules as never],
  );
  h.processElement(50, 0, 1);
  h.processElement({ user: 'x', amount: 60 }, 0, 0);
  h.processElement({ user: 'y', amount: 40 }, 0, 0);
  assert.deepEqual(h.outputValues(), ['x']);
  h.processWatermark(100, 0);
  assert.deepEqual(h.watermarks(), []);
  h.processWatermark(50, 1);
  assert.deepEqual(h.watermarks(), [50]);
  h.setInputIdle(1, true);
  assert.deepEqual(h.watermarks(), [50, 100]);
});

test('broadcast state is read-only on the keyed side', () => {
  const rules = mapStateDescriptor<string, number>('rules');
  const h = keyedBroadcastProcessHarness<string, Txn, number, string>(
    {
      processElement(_t, ctx) {
        (ctx.getBroadcastState(rules) as unknown as { put(k: string, v: number): void }).put('x', 1);
      },
      processBroadcastElement() {},
    },
    (t) => t.user,
    [rules as never],
  );
  assert.throws(() => h.processElement({ user: 'x', amount: 1 }, 0, 0), /read-only/);
});

test('process harness: non-keyed function with side output', () => {
  const even = outputTag<number>('even');
  const h = processHarness<number, number>({
    processElement(v, ctx, out) {
      if (v % 2 === 0) ctx.output(even, v);
      else out.collect(v * 10);
    },
  });
  h.processElements([1, 2, 3, 4], [10, 20, 30, 40]);
  assert.deepEqual(h.output(), [
    { value: 10, timestamp: 10 },
    { value: 30, timestamp: 30 },
  ]);
  assert.deepEqual(h.sideOutputValues(even), [2, 4]);
});

test('finish() ends every input: a two-input operator sees the final watermark and fires its timers', () => {
  const h = keyedCoProcessHarness<string, string, number, string>(
    {
      processElement1(v, ctx) {
        ctx.timerService.registerEventTimeTimer(1_000_000);
        void v;
      },
      processElement2() {},
      onTimer(ts, ctx, out) {
        out.collect(`${ctx.getCurrentKey()}@${ts}`);
      },
    },
    (s) => s,
    (n) => String(n),
  );
  h.processElement('a', 5, 0).processElement(7, 6, 1);
  h.processWatermark(2_000_000, 0);
  assert.deepEqual(h.outputValues(), [], 'input 1 still holds the watermark back');
  h.finish();
  assert.deepEqual(h.outputValues(), ['a@1000000']);
});
