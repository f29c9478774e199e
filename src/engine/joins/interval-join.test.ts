import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OperatorHarness } from '../testing/operator-harness.js';
import type { HarnessSnapshot } from '../testing/operator-harness.js';
import { outputTag } from '../api/output-tag.js';
import { pipeline } from '../api/pipeline.js';
import { fromCollection } from '../sources/collection-source.js';
import { collectSink } from '../sinks/collect-sink.js';
import { boundedOutOfOrderness } from '../time/watermark-strategy.js';
import { mapStateDescriptor } from '../state/descriptors.js';
import { subtaskForKey } from '../state/key-group.js';
import type { IntervalJoinConfig } from './interval-join-operator.js';
import { INTERVAL_JOIN_LEFT_STATE, INTERVAL_JOIN_RIGHT_STATE, IntervalJoinOperator, JOIN_LATE_RECORDS_DROPPED } from './interval-join-operator.js';
import { intervalJoin } from './interval-join.js';
import type { BackendKind, GenRecord } from './join-support.case.js';
import { BACKENDS, backendFactory, drive, genRecordJoinHarness, genStream, runJoinHarness } from './join-support.case.js';

interface Ev {
  k: string;
  id: string;
}

const leftState = mapStateDescriptor<number, Ev[]>(INTERVAL_JOIN_LEFT_STATE);
const rightState = mapStateDescriptor<number, Ev[]>(INTERVAL_JOIN_RIGHT_STATE);

function harness(config: Partial<IntervalJoinConfig<Ev, Ev, string, string>>, kind: BackendKind = 'heap') {
  const b = backendFactory(kind);
  const op = new IntervalJoinOperator<Ev, Ev, string, string>({
    lower: -2,
    upper: 3,
    lowerInclusive: true,
    upperInclusive: true,
    fn: (l, r, ctx, out) => out.collect(`${ctx.getCurrentKey()}:${l.id}+${r.id}@${ctx.leftTimestamp},${ctx.rightTimestamp}`),
    ...config,
  });
  const h = new OperatorHarness<string>(op, { keySelectors: [(e) => (e as Ev).k, (e) => (e as Ev).k], stateBackend: b.factory });
  return { h, cleanup: b.cleanup };
}

for (const kind of BACKENDS) {
  test(`interval join [${kind}]: pairs within [lower, upper], result ts = max, per key`, async () => {
    const { h, cleanup } = harness({}, kind);
    try {
      h.processElement({ k: 'a', id: 'L10' }, 10, 0);
      h.processElement({ k: 'b', id: 'L10b' }, 10, 0);
      h.processElement({ k: 'a', id: 'R7' }, 7, 1); // 7-10 = -3 < -2: no
      h.processElement({ k: 'a', id: 'R8' }, 8, 1); // -2: yes (inclusive)
      h.processElement({ k: 'a', id: 'R13' }, 13, 1); // +3: yes
      h.processElement({ k: 'a', id: 'R14' }, 14, 1); // +4: no
      h.processElement({ k: 'a', id: 'L12' }, 12, 0); // meets R13 (+1), R14 (+2); R8 is -4
      assert.deepEqual(
        h.output().map((e) => [e.value, e.timestamp]),
        [
          ['a:L10+R8@10,8', 10],
          ['a:L10+R13@10,13', 13],
          ['a:L12+R13@12,13', 13],
          ['a:L12+R14@12,14', 14],
        ],
      );
      // Watermark 13: left 10 (cleanup 13) and right 7, 8 (cleanup 9, 10) go; 12, 13, 14 stay.
      h.processWatermark(13, 0).processWatermark(13, 1);
      assert.deepEqual(h.watermarks(), [13]);
      assert.deepEqual(h.mapState('a', leftState).map(([t]) => t).sort(), [12]);
      assert.deepEqual(h.mapState('a', rightState).map(([t]) => t).sort((x, y) => x - y), [13, 14]);
      h.processWatermark(100, 0).processWatermark(100, 1);
      assert.deepEqual(h.mapState('a', leftState), []);
      assert.deepEqual(h.mapState('a', rightState), []);
      assert.deepEqual(h.mapState('b', leftState), []);
      assert.deepEqual(h.timerCount(), { event: 0, processing: 0 });
    } finally {
      await h.close();
      cleanup();
    }
  });
}

test('interval join: exclusive bounds', async () => {
  const { h } = harness({ lowerInclusive: false, upperInclusive: false });
  h.processElement({ k: 'a', id: 'L' }, 10, 0);
  for (const t of [8, 9, 12, 13]) h.processElement({ k: 'a', id: `R${t}` }, t, 1);
  assert.deepEqual(h.outputValues(), ['a:L+R9@10,9', 'a:L+R12@10,12']);
  await h.close();
});

test('interval join: late elements are counted, or go to the side outputs', async () => {
  const { h } = harness({});
  h.processWatermark(50, 0).processWatermark(50, 1);
  h.processElement({ k: 'a', id: 'L50' }, 50, 0); // at the watermark: late
  h.processElement({ k: 'a', id: 'R49' }, 49, 1);
  h.processElement({ k: 'a', id: 'L51' }, 51, 0);
  assert.equal(h.metrics[JOIN_LATE_RECORDS_DROPPED], 2);
  assert.deepEqual(h.outputValues(), []);
  await h.close();

  const lt = outputTag<Ev>('late-left');
  const rt = outputTag<Ev>('late-right');
  const { h: h2 } = harness({ leftLateTag: lt, rightLateTag: rt });
  h2.processWatermark(50, 0).processWatermark(50, 1);
  h2.processElement({ k: 'a', id: 'L40' }, 40, 0);
  h2.processElement({ k: 'a', id: 'R45' }, 45, 1);
  h2.processElement({ k: 'a', id: 'R52' }, 52, 1);
  assert.deepEqual(h2.sideOutput(lt), [{ value: { k: 'a', id: 'L40' }, timestamp: 40 }]);
  assert.deepEqual(h2.sideOutput(rt), [{ value: { k: 'a', id: 'R45' }, timestamp: 45 }]);
  assert.equal(h2.metrics[JOIN_LATE_RECORDS_DROPPED], undefined);
  await h2.close();
});

test('interval join: elements that can no longer match are not buffered; no timestamps is a typed error', async () => {
  // Bounds [-10, -5]: a right element at 100 can only meet left elements in [105, 110].
  const { h } = harness({ lower: -10, upper: -5 });
  h.processWatermark(96, 0).processWatermark(96, 1);
  h.processElement({ k: 'a', id: 'L97' }, 97, 0); // cleanup 92 <= 96: needs no buffer
  assert.deepEqual(h.mapState('a', leftState), []);
  h.processElement({ k: 'a', id: 'R100' }, 100, 1);
  h.processElement({ k: 'a', id: 'L106' }, 106, 0);
  assert.deepEqual(h.outputValues(), ['a:L106+R100@106,100']);
  assert.equal(h.output()[0]?.timestamp, 106);
  assert.throws(() => h.processElement({ k: 'a', id: 'x' }, Number.NEGATIVE_INFINITY, 0), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT' && /timestamps/.test(e.message));
  await h.close();
});

test('interval join: bad bounds and bad functions are rejected when built', () => {
  const fn = () => undefined;
  assert.throws(() => new IntervalJoinOperator({ lower: 5, upper: 1, lowerInclusive: true, upperInclusive: true, fn }), /lower bound/);
  assert.throws(() => new IntervalJoinOperator({ lower: 1, upper: 1, lowerInclusive: false, upperInclusive: true, fn }), /empty interval/);
  assert.throws(() => new IntervalJoinOperator({ lower: 0, upper: 1, lowerInclusive: true, upperInclusive: true, fn: {} as never }), /processElement/);
});

test('interval join: a function object gets open() with keyed state and side outputs', async () => {
  const tag = outputTag<string>('pairs');
  let opened = 0;
  const { h } = harness({
    fn: {
      open() {
        opened++;
      },
      processElement(l, r, ctx, out) {
        ctx.output(tag, `${l.id}/${r.id}`);
        out.collect(`${ctx.timestamp}`);
      },
    },
  });
  h.processElement({ k: 'x', id: 'r' }, 5, 1).processElement({ k: 'x', id: 'l' }, 4, 0);
  assert.equal(opened, 1);
  assert.deepEqual(h.outputValues(), ['5']);
  assert.deepEqual(h.sideOutput(tag), [{ value: 'l/r', timestamp: 5 }]);
  await h.close();
});

/** Nested loop over all records: the pairs the join must produce. */
function nestedLoop(records: readonly GenRecord[], lower: number, upper: number, li: boolean, ui: boolean): string[] {
  const out: string[] = [];
  for (const a of records) {
    if (a.side !== 0) continue;
    for (const b of records) {
      if (b.side !== 1 || b.key !== a.key) continue;
      const d = b.ts - a.ts;
      if (d < lower || d > upper || (d === lower && !li) || (d === upper && !ui)) continue;
      out.push(`${a.id}+${b.id}@${Math.max(a.ts, b.ts)}`);
    }
  }
  return out.sort();
}

function propertyFor(kind: BackendKind, numRuns: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(
      genStream(),
      fc.integer({ min: -30, max: 30 }),
      fc.integer({ min: 0, max: 40 }),
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      async (s, lower, width, li0, ui0, restore) => {
        const upper = lower + width;
        const li = width === 0 ? true : li0;
        const ui = width === 0 ? true : ui0;
        const results: string[] = [];
        await runJoinHarness(
          s,
          kind,
          restore,
          (factory, snap?: HarnessSnapshot) =>
            genRecordJoinHarness(
              new IntervalJoinOperator<GenRecord, GenRecord, string, number>({
                lower,
                upper,
                lowerInclusive: li,
                upperInclusive: ui,
                fn: (l, r, ctx, out) => out.collect(`${l.id}+${r.id}@${ctx.timestamp}`),
              }),
              factory,
              snap,
            ),
          (h) => h,
          (e) => {
            // The result's timestamp must be the one in the value (max of both).
            assert.equal(e.value.slice(e.value.indexOf('@') + 1), String(e.timestamp));
            results.push(e.value);
          },
          true,
        );
        assert.deepEqual(results.sort(), nestedLoop(s.records, lower, upper, li, ui));
      },
    ),
    { numRuns },
  );
}

test('property: interval join equals a nested loop, with snapshot/restore mid-stream [heap]', () => propertyFor('heap', 250));
test('property: interval join equals a nested loop, with snapshot/restore mid-stream [lmdb]', () => propertyFor('lmdb', 40));

test('intervalJoin builder runs end to end at parallelism 2', async () => {
  interface Click {
    user: string;
    ts: number;
    page: string;
  }
  interface Buy {
    user: string;
    ts: number;
    item: string;
  }
  const clicks: Click[] = [];
  const buys: Buy[] = [];
  for (let i = 0; i < 200; i++) clicks.push({ user: `u${i % 7}`, ts: i * 100, page: `p${i}` });
  for (let i = 0; i < 60; i++) buys.push({ user: `u${i % 5}`, ts: i * 330 + 50, item: `i${i}` });
  const job = pipeline('interval-join-e2e', { parallelism: 2, batchSize: 16 });
  const c = job.from(fromCollection(clicks, { partitions: 2 })).withWatermarks((x) => x.ts, boundedOutOfOrderness(500)).keyBy((x) => x.user);
  const b = job.from(fromCollection(buys, { partitions: 2 })).withWatermarks((x) => x.ts, boundedOutOfOrderness(500)).keyBy((x) => x.user);
  const sink = collectSink<string>();
  intervalJoin(c, b)
    .between('-1s', 0)
    .upperBoundExclusive()
    .process<string>((click, buy, ctx, out) => out.collect(`${click.page}>${buy.item}@${ctx.timestamp}`))
    .to(sink);
  await job.run();
  const expected: string[] = [];
  for (const cl of clicks) for (const by of buys) if (cl.user === by.user && by.ts - cl.ts >= -1000 && by.ts - cl.ts < 0) expected.push(`${cl.page}>${by.item}@${cl.ts}`);
  assert.ok(expected.length > 20);
  assert.deepEqual([...sink.collected.values].sort(), expected.sort());
});

test('property: interval join state rescales: snapshot at parallelism 1, continue at parallelism 2', () =>
  fc.assert(
    fc.asyncProperty(genStream({ keys: 6 }), fc.integer({ min: -15, max: 15 }), fc.integer({ min: 0, max: 20 }), async (s, lower, width) => {
      const upper = lower + width;
      const results: string[] = [];
      const make = (subtaskIndex: number, parallelism: number, snap?: HarnessSnapshot) =>
        new OperatorHarness<string>(
          new IntervalJoinOperator<GenRecord, GenRecord, string, number>({ lower, upper, lowerInclusive: true, upperInclusive: true, fn: (l, r, ctx, out) => out.collect(`${l.id}+${r.id}@${ctx.timestamp}`) }),
          { keySelectors: [(r) => (r as GenRecord).key, (r) => (r as GenRecord).key], subtaskIndex, parallelism, ...(snap ? { restore: snap } : {}) },
        );
      // Before the cut one subtask; after it two, each restored from the same snapshot and fed only its keys.
      let parts: OperatorHarness<string>[] = [make(0, 1)];
      const router = {
        processElements(values: readonly unknown[], timestamps: readonly number[], input: number) {
          values.forEach((v, i) => {
            const target = parts.length === 1 ? 0 : subtaskForKey((v as GenRecord).key, parts.length);
            (parts[target] as OperatorHarness<string>).processElement(v, timestamps[i], input);
          });
        },
        processWatermark(w: number, input: number) {
          for (const p of parts) p.processWatermark(w, input);
        },
      };
      await drive(s, () => router, async (i, r) => {
        if (i !== s.restoreAfter || parts.length !== 1) return r;
        const old = parts[0] as OperatorHarness<string>;
        const snap = old.snapshot();
        results.push(...old.outputValues());
        await old.close();
        parts = [make(0, 2, snap), make(1, 2, snap)];
        return r;
      });
      for (const p of parts) {
        p.finish();
        results.push(...p.outputValues());
        assert.deepEqual(p.timerCount(), { event: 0, processing: 0 });
        await p.close();
      }
      assert.deepEqual(results.sort(), nestedLoop(s.records, lower, upper, true, true));
    }),
    { numRuns: 80 },
  ));
