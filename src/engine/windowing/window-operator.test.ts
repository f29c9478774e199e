import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSluiceError } from '../../errors.js';
import { outputTag } from '../api/output-tag.js';
import { count, sum } from '../aggregations/basic.js';
import type { AggregateFunction } from '../state/types.js';
import {
  EventTimeSessionWindows,
  GlobalWindows,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
} from './assigners.js';
import type { Trigger } from './trigger.js';
import { CountTrigger, EarlyFiringEventTimeTrigger, PurgingTrigger } from './triggers.js';
import type { TimeWindow, Window } from './window.js';
import type { WindowAssigner } from './window-assigner.js';
import type { WindowResult } from './window-function.js';
import type { BackendKind } from './window-harness.js';
import { BACKEND_KINDS, WindowHarness } from './window-harness.js';
import { LATE_RECORDS_DROPPED, WindowOperator } from './window-operator.js';
import { emitWindowResult } from './windowed-stream.js';

type Ev = { k: string; v: number };
const ev = (k: string, v: number, ts: number): [Ev, number] => [{ k, v }, ts];
const byKey = (e: Ev): string => e.k;

interface AggOptions<W extends Window> {
  trigger?: Trigger<Ev, W>;
  lateness?: number;
  lateTag?: ReturnType<typeof outputTag<Ev>>;
}

function aggHarness<W extends Window, R>(
  backend: BackendKind,
  assigner: WindowAssigner<Ev, W>,
  fn: AggregateFunction<Ev, unknown, R>,
  o: AggOptions<W> = {},
): WindowHarness<WindowResult<string, R>> {
  const op = new WindowOperator<Ev, string, W, R, WindowResult<string, R>>({
    assigner,
    trigger: o.trigger ?? assigner.defaultTrigger(),
    allowedLateness: o.lateness ?? 0,
    lateTag: o.lateTag,
    contents: { kind: 'aggregate', fn },
    emit: emitWindowResult,
  });
  return WindowHarness.create(op, byKey, backend);
}

const summed = sum<Ev>((e) => e.v) as AggregateFunction<Ev, unknown, number>;
const sorted = <T extends { key: string; window: { start: number } }>(xs: T[]): T[] =>
  [...xs].sort((a, b) => a.window.start - b.window.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

for (const backend of BACKEND_KINDS) {
  test(`[${backend}] tumbling event-time windows fire when the watermark passes their end`, async () => {
    const h = aggHarness(backend, TumblingEventTimeWindows.of<Ev>(10), summed);
    try {
      h.process([ev('a', 1, 3), ev('b', 10, 12), ev('a', 2, 9), ev('a', 4, 11), ev('a', 8, 0)]);
      h.advanceWatermark(8);
      assert.deepEqual(h.values(), []);
      h.advanceWatermark(9);
      assert.deepEqual(h.output, [{ value: { key: 'a', window: { start: 0, end: 10 }, value: 11, isUpdate: false }, timestamp: 9 }]);
      assert.deepEqual(h.watermarks, [8, 9]);
      h.take();
      h.advanceWatermark(Number.POSITIVE_INFINITY);
      assert.deepEqual(sorted(h.take()), [
        { key: 'a', window: { start: 10, end: 20 }, value: 4, isUpdate: false },
        { key: 'b', window: { start: 10, end: 20 }, value: 10, isUpdate: false },
      ]);
      // Everything is cleaned up once every window closed.
      for (const name of h.backend.stateNames()) assert.deepEqual(h.backend.keys(name), [], `state ${name} left behind`);
    } finally {
      await h.close();
    }
  });

  test(`[${backend}] allowed lateness re-emits updated results; later data goes to the side output`, async () => {
    const late = outputTag<Ev>('late');
    const h = aggHarness(backend, TumblingEventTimeWindows.of<Ev>(10), summed, { lateness: 5, lateTag: late });
    try {
      h.process([ev('a', 1, 1), ev('a', 2, 5)]);
      h.advanceWatermark(10);
      assert.deepEqual(h.take(), [{ key: 'a', window: { start: 0, end: 10 }, value: 3, isUpdate: false }]);
      h.process([ev('a', 10, 7)]); // late by 3, within 5
      assert.deepEqual(h.take(), [{ key: 'a', window: { start: 0, end: 10 }, value: 13, isUpdate: true }]);
      h.advanceWatermark(14); // cleanup time is 9 + 5 = 14
      h.process([ev('a', 100, 8)]); // beyond lateness
      assert.deepEqual(h.take(), []);
      assert.deepEqual(h.sideValues(late), [{ k: 'a', v: 100 }]);
      assert.equal(h.side.get('late')?.[0]?.timestamp, 8);
      // A new window after the late one still works and starts fresh (isUpdate false).
      h.process([ev('a', 7, 20)]);
      h.advanceWatermark(30);
      assert.deepEqual(h.take(), [{ key: 'a', window: { start: 20, end: 30 }, value: 7, isUpdate: false }]);
    } finally {
      await h.close();
    }
  });

  test(`[${backend}] too-late records without a side output are dropped and counted`, async () => {
    const h = aggHarness(backend, TumblingEventTimeWindows.of<Ev>(10), summed);
    try {
      h.advanceWatermark(50);
      // 3 and 49 belong to windows the watermark 50 has closed ([0,10) and [40,50)); 50 does not.
      h.process([ev('a', 1, 3), ev('a', 1, 49), ev('a', 1, 50)]);
      assert.equal(h.metrics.get(LATE_RECORDS_DROPPED), 2);
      h.advanceWatermark(59);
      assert.deepEqual(h.take(), [{ key: 'a', window: { start: 50, end: 60 }, value: 1, isUpdate: false }]);
    } finally {
      await h.close();
    }
  });

  test(`[${backend}] session windows merge their accumulators and fire once per session`, async () => {
    const h = aggHarness(backend, EventTimeSessionWindows.withGap<Ev>(10), summed);
    try {
      // Out of order: 30 and 0 open separate sessions; 15 bridges [0,10) and [30,40) via [15,25) only partly.
      h.process([ev('a', 1, 30), ev('a', 2, 0), ev('b', 5, 2)]);
      h.process([ev('a', 4, 15), ev('a', 8, 8)]);
      // a: {0,8} -> [0,18); 15 -> [15,25) merges -> [0,25); 30 -> [30,40) separate (25 < 30).
      h.process([ev('a', 16, 22)]); // [22,32) bridges [0,25) and [30,40) -> [0,40)
      h.advanceWatermark(Number.POSITIVE_INFINITY);
      assert.deepEqual(sorted(h.take()), [
        { key: 'a', window: { start: 0, end: 40 }, value: 31, isUpdate: false },
        { key: 'b', window: { start: 2, end: 12 }, value: 5, isUpdate: false },
      ]);
      for (const name of h.backend.stateNames()) assert.deepEqual(h.backend.keys(name), [], `state ${name} left behind`);
    } finally {
      await h.close();
    }
  });

  test(`[${backend}] a late element within lateness can extend a fired session`, async () => {
    const h = aggHarness(backend, EventTimeSessionWindows.withGap<Ev>(10), summed, { lateness: 20 });
    try {
      h.process([ev('a', 1, 0)]);
      h.advanceWatermark(9);
      assert.deepEqual(h.take(), [{ key: 'a', window: { start: 0, end: 10 }, value: 1, isUpdate: false }]);
      h.process([ev('a', 2, 5)]); // merges into [0, 15), whose end the watermark has not passed
      assert.deepEqual(h.take(), []);
      h.advanceWatermark(14);
      assert.deepEqual(h.take(), [{ key: 'a', window: { start: 0, end: 15 }, value: 3, isUpdate: false }]);
    } finally {
      await h.close();
    }
  });

  test(`[${backend}] process window functions see the key, the window and every element`, async () => {
    const tag = outputTag<string>('notes');
    const op = new WindowOperator<Ev, string, TimeWindow, Ev, string>({
      assigner: SlidingEventTimeWindows.of<Ev>(20, 10),
      trigger: SlidingEventTimeWindows.of<Ev>(20, 10).defaultTrigger(),
      allowedLateness: 0,
      lateTag: undefined,
      contents: { kind: 'list' },
      emit: (key, ctx, elements, out) => {
        out.collect(`${key}@${ctx.window.start}:${elements.map((e) => e.v).join(',')}`);
        if (elements.length > 1) ctx.output(tag, `${key} busy at ${ctx.currentWatermark()}`);
      },
    });
    const h = WindowHarness.create(op, byKey, backend);
    try {
      h.process([ev('a', 1, 5), ev('a', 2, 15), ev('a', 3, 12)]);
      h.advanceWatermark(Number.POSITIVE_INFINITY);
      assert.deepEqual(h.values(), ['a@-10:1', 'a@0:1,2,3', 'a@10:2,3']);
      assert.deepEqual(
        h.output.map((o) => o.timestamp),
        [9, 19, 29],
      );
      assert.deepEqual(h.sideValues(tag), ['a busy at Infinity', 'a busy at Infinity']);
    } finally {
      await h.close();
    }
  });

  test(`[${backend}] count trigger on global windows, purging each time`, async () => {
    const h = aggHarness(backend, GlobalWindows.create<Ev>(), summed, { trigger: PurgingTrigger.of(CountTrigger.of<Ev>(3)) });
    try {
      h.process([ev('a', 1, 0), ev('a', 2, 0), ev('b', 100, 0), ev('a', 3, 0), ev('a', 4, 0), ev('a', 5, 0), ev('a', 6, 0)]);
      assert.deepEqual(
        h.take().map((r) => [r.key, r.value, r.isUpdate]),
        [
          ['a', 6, false],
          ['a', 15, false],
        ],
      );
      assert.equal(h.output.length, 0);
    } finally {
      await h.close();
    }
  });

  test(`[${backend}] count trigger without purge: each firing updates the previous result`, async () => {
    const h = aggHarness(backend, GlobalWindows.create<Ev>(), count<Ev>() as AggregateFunction<Ev, unknown, number>, { trigger: CountTrigger.of<Ev>(2) });
    try {
      h.process([ev('a', 0, 0), ev('a', 0, 0), ev('a', 0, 0), ev('a', 0, 0)]);
      assert.deepEqual(
        h.take().map((r) => [r.value, r.isUpdate]),
        [
          [2, false],
          [4, true],
        ],
      );
    } finally {
      await h.close();
    }
  });

  test(`[${backend}] early firings on processing time, then the final result on the watermark`, async () => {
    const h = aggHarness(backend, TumblingEventTimeWindows.of<Ev>(1000), summed, { trigger: EarlyFiringEventTimeTrigger.of<Ev>(100) });
    try {
      h.setProcessingTime(50);
      h.process([ev('a', 1, 10)]);
      h.setProcessingTime(100);
      assert.deepEqual(h.take(), [{ key: 'a', window: { start: 0, end: 1000 }, value: 1, isUpdate: false }]);
      h.process([ev('a', 2, 20)]);
      h.setProcessingTime(150);
      assert.deepEqual(h.take(), []);
      h.setProcessingTime(200);
      assert.deepEqual(h.take(), [{ key: 'a', window: { start: 0, end: 1000 }, value: 3, isUpdate: true }]);
      h.advanceWatermark(999);
      assert.deepEqual(h.take(), [{ key: 'a', window: { start: 0, end: 1000 }, value: 3, isUpdate: true }]);
      h.setProcessingTime(10_000);
      assert.deepEqual(h.take(), []);
    } finally {
      await h.close();
    }
  });

  test(`[${backend}] processing-time windows fire on the clock and ignore watermarks`, async () => {
    const h = aggHarness(backend, TumblingProcessingTimeWindows.of<Ev>(100), summed);
    try {
      h.setProcessingTime(10);
      h.process([ev('a', 1, 999_999)]);
      h.advanceWatermark(Number.MAX_SAFE_INTEGER - 1);
      assert.deepEqual(h.take(), []);
      h.setProcessingTime(120);
      h.process([ev('a', 5, 0)]);
      assert.deepEqual(h.take(), [{ key: 'a', window: { start: 0, end: 100 }, value: 1, isUpdate: false }]);
      h.setProcessingTime(199);
      assert.deepEqual(h.take(), [{ key: 'a', window: { start: 100, end: 200 }, value: 5, isUpdate: false }]);
    } finally {
      await h.close();
    }
  });
}

test('window operators validate their configuration', () => {
  assert.throws(
    () =>
      new WindowOperator<Ev, string, TimeWindow, number, unknown>({
        assigner: TumblingEventTimeWindows.of<Ev>(10),
        trigger: TumblingEventTimeWindows.of<Ev>(10).defaultTrigger(),
        allowedLateness: -1,
        lateTag: undefined,
        contents: { kind: 'aggregate', fn: summed },
        emit: () => {},
      }),
    (e: unknown) => isSluiceError(e, 'INVALID_ARGUMENT'),
  );
  const unkeyed = new WindowOperator<Ev, string, TimeWindow, number, unknown>({
    assigner: TumblingEventTimeWindows.of<Ev>(10),
    trigger: TumblingEventTimeWindows.of<Ev>(10).defaultTrigger(),
    allowedLateness: 0,
    lateTag: undefined,
    contents: { kind: 'aggregate', fn: summed },
    emit: () => {},
  });
  assert.throws(
    () => unkeyed.open({ keyed: undefined, operatorName: 'w' } as never),
    (e: unknown) => isSluiceError(e, 'INVALID_ARGUMENT'),
  );
});
