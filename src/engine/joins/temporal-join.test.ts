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
import { JOIN_LATE_RECORDS_DROPPED } from './keyed-join-operator.js';
import type { TemporalJoinConfig } from './temporal-join-operator.js';
import { TEMPORAL_JOIN_VERSIONS_STATE, TemporalJoinOperator } from './temporal-join-operator.js';
import type { LookupJoinConfig } from './lookup-join-operator.js';
import { LookupJoinOperator } from './lookup-join-operator.js';
import { lookupJoin, temporalJoin } from './temporal-join.js';
import type { BackendKind, GenRecord, GenStream } from './join-support.case.js';
import { drive, genRecordJoinHarness, genStream, runJoinHarness } from './join-support.case.js';

interface Order {
  id: string;
  cur: string;
}
interface Rate {
  cur: string;
  rate: number | null; // null = the currency was removed (a tombstone)
}

const versionsState = mapStateDescriptor<number, unknown>(TEMPORAL_JOIN_VERSIONS_STATE);

function temporalHarness(config: Partial<TemporalJoinConfig<Order, Rate, string, string>> = {}) {
  const op = new TemporalJoinOperator<Order, Rate, string, string>({
    isDelete: (r) => r.rate === null,
    fn: (o, r, ctx, out) => out.collect(`${o.id}:${r ? r.rate : 'none'}@v${ctx.versionTimestamp}`),
    ...config,
  });
  return new OperatorHarness<string>(op, { keySelectors: [(o) => (o as Order).cur, (r) => (r as Rate).cur] });
}

const wm = (h: OperatorHarness<string>, w: number) => h.processWatermark(w, 0).processWatermark(w, 1);

test('temporal join: each order meets the rate valid at its timestamp, once the watermark passes', async () => {
  const h = temporalHarness();
  h.processElement({ cur: 'EUR', rate: 1.1 }, 10, 1);
  h.processElement({ cur: 'EUR', rate: 1.2 }, 20, 1);
  h.processElement({ id: 'o1', cur: 'EUR' }, 15, 0);
  h.processElement({ id: 'o2', cur: 'EUR' }, 20, 0); // a version at exactly the event time applies
  h.processElement({ id: 'o0', cur: 'EUR' }, 5, 0); // before any version: inner join drops it
  h.processElement({ id: 'o3', cur: 'EUR' }, 31, 0);
  h.processElement({ cur: 'EUR', rate: 1.3 }, 30, 1); // arrives after o3 but is valid at 31
  h.processElement({ id: 'u1', cur: 'USD' }, 12, 0);
  assert.deepEqual(h.outputValues(), []); // everything waits for the watermark
  wm(h, 25);
  assert.deepEqual(h.output().map((e) => [e.value, e.timestamp]), [
    ['o1:1.1@v10', 15],
    ['o2:1.2@v20', 20],
  ]);
  // Pruned to the latest version at or before 25 (20) plus the later one (30).
  assert.deepEqual(h.mapState('EUR', versionsState).map(([t]) => t).sort((a, b) => a - b), [20, 30]);
  wm(h, 40);
  assert.deepEqual(h.outputValues().slice(2), ['o3:1.3@v30']);
  assert.deepEqual(h.mapState('EUR', versionsState).map(([t]) => t), [30]);
  assert.deepEqual(h.watermarks(), [25, 40]);
  await h.close();
});

test('temporal join: deletes, left outer join, late events', async () => {
  const late = outputTag<Order>('late-orders');
  const h = temporalHarness({ leftOuter: true, lateTag: late });
  h.processElement({ cur: 'GBP', rate: 0.9 }, 10, 1);
  h.processElement({ cur: 'GBP', rate: null }, 20, 1);
  h.processElements([{ id: 'a', cur: 'GBP' }, { id: 'b', cur: 'GBP' }, { id: 'c', cur: 'CHF' }], [19, 21, 22], 0);
  wm(h, 30);
  assert.deepEqual(h.outputValues(), ['a:0.9@v10', 'b:none@vNaN', 'c:none@vNaN']);
  // The latest version at or before the watermark is a delete: nothing is left for GBP.
  assert.deepEqual(h.mapState('GBP', versionsState), []);
  h.processElement({ id: 'd', cur: 'GBP' }, 30, 0);
  assert.deepEqual(h.sideOutputValues(late), [{ id: 'd', cur: 'GBP' }]);
  await h.close();

  const h2 = temporalHarness();
  wm(h2, 100);
  h2.processElement({ id: 'x', cur: 'EUR' }, 99, 0);
  assert.equal(h2.metrics[JOIN_LATE_RECORDS_DROPPED], 1);
  assert.throws(() => h2.processElement({ cur: 'EUR', rate: 1 }, Number.NEGATIVE_INFINITY, 1), /timestamps/);
  await h2.close();
});

test('lookup join: each event meets the latest row when it arrives', async () => {
  const mk = (config: Partial<LookupJoinConfig<Order, Rate, string, string>> = {}) =>
    new OperatorHarness<string>(
      new LookupJoinOperator<Order, Rate, string, string>({
        isDelete: (r) => r.rate === null,
        fn: (o, r, ctx, out) => out.collect(`${o.id}:${r ? r.rate : 'none'}`),
        ...config,
      }),
      { keySelectors: [(o) => (o as Order).cur, (r) => (r as Rate).cur] },
    );
  const h = mk();
  h.processElement({ id: 'a', cur: 'EUR' }, 100, 0);
  h.processElement({ cur: 'EUR', rate: 1.1 }, 500, 1);
  h.processElement({ id: 'b', cur: 'EUR' }, 1, 0); // event time does not matter
  h.processElement({ cur: 'EUR', rate: 1.2 }, 2, 1);
  h.processElement({ id: 'c', cur: 'EUR' }, 3, 0);
  h.processElement({ cur: 'EUR', rate: null }, 4, 1);
  h.processElement({ id: 'd', cur: 'EUR' }, 5, 0);
  assert.deepEqual(h.output().map((e) => [e.value, e.timestamp]), [
    ['b:1.1', 1],
    ['c:1.2', 3],
  ]);
  await h.close();
  const h2 = mk({ leftOuter: true, rowTtl: { ttlMs: 1000 } });
  h2.processElement({ cur: 'EUR', rate: 1.5 }, 0, 1);
  h2.processElement({ id: 'a', cur: 'EUR' }, 0, 0);
  h2.advanceProcessingTime(1000);
  h2.processElement({ id: 'b', cur: 'EUR' }, 0, 0);
  assert.deepEqual(h2.outputValues(), ['a:1.5', 'b:none']);
  await h2.close();
});

/** The hand-written versioned lookup: the latest change at or before the event (last arrival wins ties). */
function versionedLookup(records: readonly GenRecord[], outer: boolean): string[] {
  const out: string[] = [];
  for (const e of records) {
    if (e.side !== 0) continue;
    let best: GenRecord | undefined;
    for (const c of records) if (c.side === 1 && c.key === e.key && c.ts <= e.ts && (best === undefined || c.ts >= best.ts)) best = c;
    if (best !== undefined && !isDeleteRec(best)) out.push(`${e.id}=${best.id}@${e.ts}`);
    else if (outer) out.push(`${e.id}=null@${e.ts}`);
  }
  return out.sort();
}

const isDeleteRec = (c: GenRecord) => c.id % 5 === 0;

async function runTemporal(s: GenStream, kind: BackendKind, outer: boolean, restore: boolean): Promise<string[]> {
  const results: string[] = [];
  await runJoinHarness(
    s,
    kind,
    restore,
    (factory, snap?: HarnessSnapshot) =>
      genRecordJoinHarness(
        new TemporalJoinOperator<GenRecord, GenRecord, string, number>({
          isDelete: isDeleteRec,
          leftOuter: outer,
          fn: (e, row, ctx, out) => out.collect(`${e.id}=${row ? row.id : 'null'}`),
        }),
        factory,
        snap,
      ),
    (h) => h,
    (e) => results.push(`${e.value}@${e.timestamp}`),
    true,
  );
  return results.sort();
}

test('property: temporal join equals a hand-written versioned lookup, with snapshot/restore [heap]', () =>
  fc.assert(
    fc.asyncProperty(genStream(), fc.boolean(), fc.boolean(), async (s, outer, restore) => {
      assert.deepEqual(await runTemporal(s, 'heap', outer, restore), versionedLookup(s.records, outer));
    }),
    { numRuns: 150 },
  ));

test('property: temporal join on the LMDB backend', () =>
  fc.assert(
    fc.asyncProperty(genStream({ maxRecords: 30 }), fc.boolean(), async (s, outer) => {
      assert.deepEqual(await runTemporal(s, 'lmdb', outer, true), versionedLookup(s.records, outer));
    }),
    { numRuns: 15 },
  ));

test('property: versions are pruned to what later events can need', () =>
  fc.assert(
    fc.asyncProperty(genStream(), async (s) => {
      const h = new OperatorHarness<string>(
        new TemporalJoinOperator<GenRecord, GenRecord, string, number>({ isDelete: isDeleteRec, fn: () => undefined }),
        { keySelectors: [(r) => (r as GenRecord).key, (r) => (r as GenRecord).key] },
      );
      let w = Number.NEGATIVE_INFINITY;
      await drive(s, () => h, async (_i, d) => {
        w = d.currentWatermark();
        return d;
      });
      for (let key = 0; key < 3; key++) {
        const kept = h.mapState(key, versionsState).map(([t]) => t).sort((a, b) => a - b);
        assert.ok(kept.filter((t) => t <= w).length <= 1, `key ${key}: at most one version at or before the watermark ${w}: ${kept}`);
      }
      await h.close();
    }),
    { numRuns: 60 },
  ));

test('temporalJoin and lookupJoin builders run end to end', async () => {
  interface Trade {
    id: number;
    cur: string;
    ts: number;
  }
  interface RateChange {
    cur: string;
    rate: number | null;
    ts: number;
  }
  const trades: Trade[] = [];
  const rates: RateChange[] = [];
  for (let i = 0; i < 120; i++) trades.push({ id: i, cur: ['EUR', 'GBP', 'JPY'][i % 3] as string, ts: i * 100 + 5 });
  for (let i = 0; i < 40; i++) rates.push({ cur: ['EUR', 'GBP'][i % 2] as string, rate: i === 21 ? null : i, ts: i * 300 });
  const job = pipeline('temporal-join-e2e', { parallelism: 2, batchSize: 10 });
  const t = job.from(fromCollection(trades, { partitions: 2 })).withWatermarks((x) => x.ts, boundedOutOfOrderness(50)).keyBy((x) => x.cur);
  const r = job.from(fromCollection(rates)).withWatermarks((x) => x.ts, boundedOutOfOrderness(50)).keyBy((x) => x.cur);
  const sink = collectSink<string>();
  temporalJoin(t, r)
    .deletesWhen((c) => c.rate === null)
    .leftOuter()
    .apply((trade, rate) => `${trade.id}:${rate ? rate.rate : '-'}`)
    .to(sink);
  // A lookup join on the same inputs compiles and runs (results depend on arrival order).
  const lookupSink = collectSink<string>();
  lookupJoin(t, r).apply((trade, rate) => `${trade.id}:${rate?.rate}`).to(lookupSink);
  await job.run();
  const expected = trades.map((tr) => {
    let best: RateChange | undefined;
    for (const c of rates) if (c.cur === tr.cur && c.ts <= tr.ts && (!best || c.ts >= best.ts)) best = c;
    return `${tr.id}:${best && best.rate !== null ? best.rate : '-'}`;
  });
  assert.deepEqual([...sink.collected.values].sort(), expected.sort());
  assert.ok(lookupSink.collected.values.every((v) => /^\d+:\d+$/.test(v)));
  assert.deepEqual(sink.collected.timestamps.sort((a, b) => a - b), trades.map((x) => x.ts));
});
