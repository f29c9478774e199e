import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isSluiceError } from '../../errors.js';
import {
  EventTimeSessionWindows,
  GlobalWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  globalWindow,
  session,
  sliding,
  tumbling,
} from './assigners.js';
import { MergingWindowSet } from './merging-window-set.js';
import { GlobalWindow, TimeWindow, windowStartWithOffset } from './window.js';

const noCtx = { currentProcessingTime: () => 0 };
const ts = fc.integer({ min: -1e12, max: 1e12 });

test('TimeWindow: end exclusive, maxTimestamp = end - 1, id round trip', () => {
  const w = new TimeWindow(10, 20);
  assert.equal(w.maxTimestamp(), 19);
  assert.ok(TimeWindow.fromId(w.id).equals(w));
  assert.ok(new TimeWindow(-30, -20).equals(TimeWindow.fromId(new TimeWindow(-30, -20).id)));
  assert.equal(windowStartWithOffset(-1, 0, 10), -10);
  assert.equal(windowStartWithOffset(7, 2, 5), 7);
  assert.equal(windowStartWithOffset(6, 2, 5), 2);
});

test('tumbling: every timestamp lands in exactly the one aligned window containing it', () => {
  fc.assert(
    fc.property(ts, fc.integer({ min: 1, max: 1e7 }), fc.integer({ min: 0, max: 1e7 }), (t, size, rawOff) => {
      const offset = rawOff % size;
      const ws = TumblingEventTimeWindows.of(size, offset).assignWindows(null, t, noCtx);
      assert.equal(ws.length, 1);
      const w = ws[0] as TimeWindow;
      assert.ok(w.start <= t && t < w.end, `${t} not in ${w}`);
      assert.equal(w.end - w.start, size);
      assert.equal((((w.start - offset) % size) + size) % size, 0);
    }),
  );
});

test('sliding: the assigned windows are exactly the aligned windows containing the timestamp', () => {
  fc.assert(
    fc.property(ts, fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 500 }), fc.nat(), (t, size, slide, rawOff) => {
      const offset = rawOff % slide;
      const ws = SlidingEventTimeWindows.of(size, slide, offset).assignWindows(null, t, noCtx);
      // Brute force: every aligned start s with s <= t < s + size.
      const expected: string[] = [];
      const first = windowStartWithOffset(t - size + 1, offset, slide);
      for (let s = first; s <= t; s += slide) if (s + size > t) expected.push(new TimeWindow(s, s + size).id);
      assert.deepEqual(ws.map((w) => w.id).sort(), expected.sort());
      assert.ok(ws.length === Math.floor(size / slide) || ws.length === Math.ceil(size / slide));
    }),
  );
});

test('processing-time assigners use the clock, not the record timestamp', () => {
  const ctx = { currentProcessingTime: () => 12_345 };
  const [w] = TumblingProcessingTimeWindows.of('1s').assignWindows('x', 0, ctx);
  assert.deepEqual(w?.toJSON(), { start: 12_000, end: 13_000 });
  assert.equal(SlidingProcessingTimeWindows.of(2000, 1000).assignWindows('x', 0, ctx).length, 2);
  assert.equal(TumblingProcessingTimeWindows.of(10).isEventTime(), false);
  assert.equal(TumblingEventTimeWindows.of(10).isEventTime(), true);
});

test('assigners accept duration strings and reject bad sizes, offsets and timestamps', () => {
  assert.equal(TumblingEventTimeWindows.of('5m').size, 300_000);
  assert.equal(TumblingEventTimeWindows.of('1h', '-30m').offset, -1_800_000);
  for (const bad of [() => TumblingEventTimeWindows.of(0), () => TumblingEventTimeWindows.of(10, 10), () => SlidingEventTimeWindows.of(10, 0), () => EventTimeSessionWindows.withGap('soon')]) {
    assert.throws(bad, (e: unknown) => isSluiceError(e, 'INVALID_ARGUMENT'));
  }
  assert.throws(() => TumblingEventTimeWindows.of(10).assignWindows(null, Number.NaN, noCtx), (e: unknown) => isSluiceError(e, 'INVALID_ARGUMENT'));
});

test('global windows: one shared window and a trigger that never fires by itself', () => {
  const g = GlobalWindows.create<number>();
  assert.equal(g.assignWindows()[0], GlobalWindow.INSTANCE);
  assert.equal(g.windowFromId(), GlobalWindow.INSTANCE);
});

/** Sessions computed in one batch: sort, then split where the next element starts after the current end. */
function batchSessions(times: number[], gap: number): Array<{ w: string; members: number[] }> {
  const sorted = [...times].sort((a, b) => a - b);
  const out: Array<{ start: number; end: number; members: number[] }> = [];
  for (const t of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && t <= last.end) {
      last.end = Math.max(last.end, t + gap);
      last.members.push(t);
    } else out.push({ start: t, end: t + gap, members: [t] });
  }
  return out.map((s) => ({ w: new TimeWindow(s.start, s.end).id, members: s.members }));
}

test('session merging: MergingWindowSet ends with the batch sessions and state follows every merge', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 40 }), (times, gap) => {
      const assigner = EventTimeSessionWindows.withGap(gap);
      const set = new MergingWindowSet(assigner);
      // A stand-in for keyed state: state window id -> the timestamps stored there.
      const state = new Map<string, number[]>();
      for (const t of times) {
        const [w] = assigner.assignWindows(null, t, noCtx);
        const actual = set.addWindow(w as TimeWindow, (_result, _merged, target, sources) => {
          const into = state.get(target.id) ?? [];
          for (const s of sources) {
            into.push(...(state.get(s.id) ?? []));
            state.delete(s.id);
          }
          state.set(target.id, into);
        });
        const sw = set.getStateWindow(actual);
        assert.ok(sw !== undefined);
        const list = state.get(sw.id) ?? [];
        list.push(t);
        state.set(sw.id, list);
      }
      const got = set
        .windows()
        .map((w) => ({ w: w.id, members: [...(state.get((set.getStateWindow(w) as TimeWindow).id) ?? [])].sort((a, b) => a - b) }))
        .sort((a, b) => TimeWindow.fromId(a.w).start - TimeWindow.fromId(b.w).start);
      assert.deepEqual(got, batchSessions(times, gap));
      // Nothing left behind in a namespace no live window points at.
      const live = new Set(set.windows().map((w) => (set.getStateWindow(w) as TimeWindow).id));
      for (const k of state.keys()) assert.ok(live.has(k), `orphan state under ${k}`);
      // The snapshot restores the same mapping.
      const again = new MergingWindowSet(assigner, set.snapshot());
      assert.deepEqual(again.snapshot(), set.snapshot());
    }),
  );
});

test('session merging: a window inside an existing session changes nothing and calls no merge', () => {
  const assigner = EventTimeSessionWindows.withGap(10);
  const set = new MergingWindowSet(assigner);
  let merges = 0;
  set.addWindow(new TimeWindow(0, 10), () => merges++);
  set.addWindow(new TimeWindow(5, 15), () => merges++);
  assert.equal(merges, 1);
  const r = set.addWindow(new TimeWindow(5, 15), () => merges++);
  assert.equal(merges, 1);
  assert.equal(r.id, '0:15');
  assert.equal(set.getStateWindow(r)?.id, '0:10');
  set.retireWindow(r);
  assert.equal(set.size, 0);
});

test('dynamic session gaps come from the element', () => {
  const a = EventTimeSessionWindows.withDynamicGap((e: { gap: number }) => e.gap);
  assert.equal(a.assignWindows({ gap: 7 }, 100, noCtx)[0]?.id, '100:107');
  assert.throws(() => a.assignWindows({ gap: -1 }, 100, noCtx), (e: unknown) => isSluiceError(e, 'INVALID_ARGUMENT'));
});

test('short assigner names build the same event-time assigners as the Flink names', () => {
  assert.deepEqual(
    tumbling('1m').assignWindows(undefined, 90_000).map((w) => w.id),
    TumblingEventTimeWindows.of('1m').assignWindows(undefined, 90_000).map((w) => w.id),
  );
  assert.equal(sliding('10s', '5s').assignWindows(undefined, 12_000).length, 2);
  assert.ok(session('30m') instanceof EventTimeSessionWindows);
  assert.ok(globalWindow() instanceof GlobalWindows);
});

test('property: the sliding assigner reuses windows between records yet always answers as a fresh computation', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 20 }),
      fc.array(fc.integer({ min: -500, max: 500 }), { minLength: 1, maxLength: 60 }),
      (size, slide, stamps) => {
        const offset = slide > 1 ? 1 : 0;
        const a = SlidingEventTimeWindows.of(size, slide, offset);
        for (const ts of stamps) {
          const expected: string[] = [];
          for (let s = windowStartWithOffset(ts, offset, slide); s > ts - size; s -= slide) expected.push(`${s}:${s + size}`);
          assert.deepEqual(
            a.assignWindows(null, ts).map((w) => w.id),
            expected,
          );
        }
      },
    ),
  );
});
