// The sliced window operator must be indistinguishable from the general WindowOperator for
// the windows it takes over (event-time tumbling and sliding, default trigger, no allowed
// lateness, aggregate): same results, same late side output, no state left behind, on both
// backends, across checkpoint and restore, and with accumulators whose merge consumes its
// arguments. WindowedStream must pick it exactly where those conditions hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sum } from '../aggregations/basic.js';
import { outputTag } from '../api/output-tag.js';
import { pipeline } from '../api/pipeline.js';
import type { OperatorNode } from '../graph/stream-graph.js';
import { fromCollection } from '../sources/collection-source.js';
import type { AggregateFunction } from '../state/types.js';
import { boundedOutOfOrderness } from '../time/watermark-strategy.js';
import { EventTimeTrigger } from './triggers.js';
import { SlidingEventTimeWindows, TumblingEventTimeWindows } from './assigners.js';
import { SlicedWindowOperator } from './sliced-window-operator.js';
import type { TimeWindow } from './window.js';
import type { WindowAssigner } from './window-assigner.js';
import type { WindowResult } from './window-function.js';
import { BACKEND_KINDS, WindowHarness, type BackendKind } from './window-harness.js';
import { WindowOperator } from './window-operator.js';
import { emitWindowResult } from './windowed-stream.js';
import { cases, type Case, type Ev } from './window-cases.case.js';

type Result = WindowResult<string, number>;
const late = outputTag<Ev>('late');

/** Disorder up to twice the watermark's bound and more, so some records are late for some or all of their windows. */
const caseArb = cases((bound) => 2 * bound + 5);

/** size = slide * multiple; the offset anywhere within one slide. */
const shapeArb = fc.record({ slide: fc.integer({ min: 1, max: 15 }), multiple: fc.integer({ min: 1, max: 5 }), offsetRaw: fc.nat() }).map(({ slide, multiple, offsetRaw }) => ({
  size: slide * multiple,
  slide,
  offset: offsetRaw % slide,
}));

function assignerOf(s: { size: number; slide: number; offset: number }): WindowAssigner<Ev, TimeWindow> {
  return s.size === s.slide ? TumblingEventTimeWindows.of<Ev>(s.size, s.offset) : SlidingEventTimeWindows.of<Ev>(s.size, s.slide, s.offset);
}

function general(s: { size: number; slide: number; offset: number }, fn: AggregateFunction<Ev, unknown, number>): WindowOperator<Ev, string, TimeWindow, number, Result> {
  return new WindowOperator<Ev, string, TimeWindow, number, Result>({
    assigner: assignerOf(s),
    trigger: new EventTimeTrigger<Ev>(),
    allowedLateness: 0,
    lateTag: late,
    contents: { kind: 'aggregate', fn },
    emit: emitWindowResult,
  });
}

function sliced(s: { size: number; slide: number; offset: number }, fn: AggregateFunction<Ev, unknown, number>): SlicedWindowOperator<Ev, string, unknown, number, Result> {
  return new SlicedWindowOperator<Ev, string, unknown, number, Result>({ ...s, fn, lateTag: late, emit: emitWindowResult });
}

const byValue = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const rows = (h: WindowHarness<Result>): string[] =>
  h
    .values()
    .map((r) => `${r.key}|${r.window.start}|${r.window.end}|${r.value}|${r.isUpdate}`)
    .sort(byValue);
const lateRows = (h: WindowHarness<Result>): string[] =>
  h
    .sideValues(late)
    .map((e) => `${e.k}|${e.v}`)
    .sort(byValue);

/** Feeds the case in its batches, the watermark trailing the newest timestamp by `bound`. */
function drive(h: WindowHarness<Result>, c: Case, from = 0, to = c.records.length, state = { maxTs: Number.NEGATIVE_INFINITY }): void {
  let i = from;
  let b = 0;
  while (i < to) {
    const n = Math.min(c.batches[b++ % c.batches.length] as number, to - i);
    const batch = c.records.slice(i, i + n);
    i += n;
    h.process(batch);
    for (const r of batch) state.maxTs = Math.max(state.maxTs, r[1]);
    h.advanceWatermark(state.maxTs - c.bound - 1);
  }
}

async function compare(
  backend: BackendKind,
  fn: () => AggregateFunction<Ev, unknown, number>,
  c: Case,
  s: { size: number; slide: number; offset: number },
  key: (e: Ev) => string | null = (e) => e.k,
): Promise<void> {
  const g = WindowHarness.create(general(s, fn()), key, 'heap');
  const x = WindowHarness.create(sliced(s, fn()), key, backend);
  try {
    drive(g, c);
    drive(x, c);
    g.advanceWatermark(Number.POSITIVE_INFINITY);
    x.advanceWatermark(Number.POSITIVE_INFINITY);
    assert.deepEqual(rows(x), rows(g));
    assert.deepEqual(lateRows(x), lateRows(g));
    for (const name of x.backend.stateNames()) assert.deepEqual(x.backend.keys(name), [], `state ${name} left behind`);
  } finally {
    await g.close();
    await x.close();
  }
}

const summing = (): AggregateFunction<Ev, unknown, number> => sum<Ev>((e) => e.v) as AggregateFunction<Ev, unknown, number>;

/**
 * A sum whose accumulator is an object that merge changes and returns the SECOND argument of
 * (Flink's contract allows either): merging a slice's accumulator in place would corrupt the
 * next window that holds the slice.
 */
const consumingMerge = (): AggregateFunction<Ev, unknown, number> =>
  ({
    createAccumulator: () => ({ n: 0 }),
    add: (e: Ev, acc: { n: number }) => {
      acc.n += e.v;
      return acc;
    },
    merge: (a: { n: number }, b: { n: number }) => {
      b.n += a.n;
      return b;
    },
    getResult: (acc: { n: number }) => acc.n,
  }) as AggregateFunction<Ev, unknown, number>;

for (const backend of BACKEND_KINDS) {
  const numRuns = backend === 'heap' ? 150 : 20;

  test(`[${backend}] sliced tumbling and sliding windows equal the general operator, late records included`, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, shapeArb, async (c, s) => compare(backend, summing, c, s)),
      { numRuns },
    );
  });

  test(`[${backend}] sliced windows with an accumulator that merge consumes equal the general operator`, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, shapeArb, async (c, s) => compare(backend, consumingMerge, c, s)),
      { numRuns },
    );
  });
}

test('sliced windows with one null key (windowAll: every record of a batch in one run) equal the general operator', async () => {
  await fc.assert(
    fc.asyncProperty(caseArb, shapeArb, async (c, s) => compare('heap', summing, c, s, () => null)),
    { numRuns: 100 },
  );
});

test('sliced windows: checkpoint and restore mid-stream changes no result (heap <-> lmdb)', async () => {
  await fc.assert(
    fc.asyncProperty(
      caseArb,
      shapeArb,
      fc.nat(),
      fc.constantFrom<[BackendKind, BackendKind]>(['heap', 'heap'], ['heap', 'lmdb'], ['lmdb', 'heap']),
      async (batched, s, cutRaw, [b1, b2]) => {
        // One record per batch, so the cut does not change which records precede a watermark.
        const c = { ...batched, batches: [1] };
        const cut = cutRaw % (c.records.length + 1);
        const key = (e: Ev): string => e.k;
        const whole = WindowHarness.create(sliced(s, summing()), key, 'heap');
        const first = WindowHarness.create(sliced(s, summing()), key, b1);
        let second: WindowHarness<Result> | undefined;
        try {
          drive(whole, c);
          whole.advanceWatermark(Number.POSITIVE_INFINITY);
          const st = { maxTs: Number.NEGATIVE_INFINITY };
          drive(first, c, 0, cut, st);
          second = WindowHarness.restore(sliced(s, summing()), key, first.snapshot(), b2);
          // The restored job sees the watermark again before new records, as after a replay.
          if (st.maxTs > Number.NEGATIVE_INFINITY) second.advanceWatermark(st.maxTs - c.bound - 1);
          drive(second, c, cut, c.records.length, st);
          second.advanceWatermark(Number.POSITIVE_INFINITY);
          const both = [...first.values(), ...second.values()].map((r) => `${r.key}|${r.window.start}|${r.value}`).sort(byValue);
          assert.deepEqual(both, whole.values().map((r) => `${r.key}|${r.window.start}|${r.value}`).sort(byValue));
          assert.deepEqual([...lateRows(first), ...lateRows(second)].sort(byValue), lateRows(whole));
        } finally {
          await whole.close();
          await first.close();
          await second?.close();
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('WindowedStream slices exactly the windows the sliced operator computes like the general one', () => {
  const job = pipeline('which-operator');
  const keyed = job.from(fromCollection<Ev>([])).withWatermarks(() => 0, boundedOutOfOrderness(0)).keyBy((e) => e.k);
  const op = (name: string): unknown => {
    const node = job.graph.nodes.find((n) => n.name === name) as OperatorNode;
    return node.create();
  };
  keyed.window(TumblingEventTimeWindows.of(10)).aggregate(summing(), { name: 'tumbling' });
  keyed.window(SlidingEventTimeWindows.of(10, 5)).aggregate(summing(), { name: 'sliding' });
  keyed.window(SlidingEventTimeWindows.of(10, 3)).aggregate(summing(), { name: 'size-not-a-multiple' });
  keyed.window(TumblingEventTimeWindows.of(10)).allowedLateness(5).aggregate(summing(), { name: 'lateness' });
  keyed.window(TumblingEventTimeWindows.of(10)).trigger(new EventTimeTrigger()).aggregate(summing(), { name: 'own-trigger' });
  keyed.window(TumblingEventTimeWindows.of(10)).process((_k, _c, els, out) => out.collect(els.length), { name: 'process' });
  // A class instance as accumulator: a copy would lose its methods, so the general operator keeps it.
  class Total {
    n = 0;
    plus(v: number): Total {
      this.n += v;
      return this;
    }
  }
  const classAcc: AggregateFunction<Ev, Total, number> = {
    createAccumulator: () => new Total(),
    add: (e, acc) => acc.plus(e.v),
    merge: (a, b) => a.plus(b.n),
    getResult: (acc) => acc.n,
  };
  keyed.window(SlidingEventTimeWindows.of(10, 5)).aggregate(classAcc, { name: 'class-accumulator' });
  assert.ok(op('tumbling') instanceof SlicedWindowOperator);
  assert.ok(op('sliding') instanceof SlicedWindowOperator);
  for (const name of ['size-not-a-multiple', 'lateness', 'own-trigger', 'process', 'class-accumulator']) assert.ok(op(name) instanceof WindowOperator, name);
});

test('sliced windows: a record without a finite timestamp is a typed INVALID_ARGUMENT error', async () => {
  const h = WindowHarness.create(sliced({ size: 10, slide: 5, offset: 0 }, summing()), (e: Ev) => e.k, 'heap');
  try {
    for (const ts of [Number.NEGATIVE_INFINITY, Number.NaN]) {
      assert.throws(
        () => h.process([[{ k: 'a', v: 1 }, ts]]),
        (err: unknown) => (err as { code?: string }).code === 'INVALID_ARGUMENT' && /finite timestamp/.test((err as Error).message),
      );
    }
    assert.equal(h.backend.keys('sliced-window-slices').length, 0, 'nothing stored for the bad record');
  } finally {
    await h.close();
  }
});
