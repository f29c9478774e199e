// The Flink-named methods on DataStream / KeyedStream (join, coGroup, intervalJoin,
// temporalJoin, lookupJoin, windowAll) give the same results as the joins/ and windowing/
// builders they delegate to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from './pipeline.js';
import { fromCollection } from '../sources/collection-source.js';
import { collectSink } from '../sinks/collect-sink.js';
import { boundedOutOfOrderness } from '../time/watermark-strategy.js';
import { TumblingEventTimeWindows } from '../windowing/assigners.js';
import { count } from '../aggregations/basic.js';
import { TemporalJoinBuilder } from '../joins/temporal-join.js';

interface Ev {
  id: number;
  k: string;
  ts: number;
}

const left: Ev[] = Array.from({ length: 60 }, (_v, i) => ({ id: i, k: `k${i % 3}`, ts: i * 40 }));
const right: Ev[] = Array.from({ length: 30 }, (_v, i) => ({ id: 100 + i, k: `k${i % 3}`, ts: i * 80 + 15 }));

function inputs() {
  const job = pipeline('sugar', { parallelism: 2, batchSize: 7 });
  const a = job.from(fromCollection(left, { partitions: 2 })).withWatermarks((x) => x.ts, boundedOutOfOrderness(0));
  const b = job.from(fromCollection(right)).withWatermarks((x) => x.ts, boundedOutOfOrderness(0));
  return { job, a, b };
}

test('a.join(b) and a.coGroup(b) are the window join and coGroup', async () => {
  const { job, a, b } = inputs();
  const joined = collectSink<string>();
  const grouped = collectSink<string>();
  a.join(b)
    .where((x) => x.k)
    .equalTo((y) => y.k)
    .window(TumblingEventTimeWindows.of(500))
    .apply((x, y) => `${x.id}-${y.id}`)
    .to(joined);
  a.coGroup(b)
    .where((x) => x.k)
    .equalTo((y) => y.k)
    .window(TumblingEventTimeWindows.of(500))
    .apply<string>((xs, ys, out) => out.collect(`${xs.length}/${ys.length}`))
    .to(grouped);
  await job.run();
  const win = (t: number) => Math.floor(t / 500);
  const expected: string[] = [];
  for (const x of left) for (const y of right) if (x.k === y.k && win(x.ts) === win(y.ts)) expected.push(`${x.id}-${y.id}`);
  assert.deepEqual([...joined.collected.values].sort(), expected.sort());
  const groups = new Map<string, [number, number]>();
  for (const x of left) (groups.get(`${x.k}@${win(x.ts)}`) ?? groups.set(`${x.k}@${win(x.ts)}`, [0, 0]).get(`${x.k}@${win(x.ts)}`)!)[0]++;
  for (const y of right) (groups.get(`${y.k}@${win(y.ts)}`) ?? groups.set(`${y.k}@${win(y.ts)}`, [0, 0]).get(`${y.k}@${win(y.ts)}`)!)[1]++;
  assert.deepEqual([...grouped.collected.values].sort(), [...groups.values()].map(([l, r]) => `${l}/${r}`).sort());
});

test('keyed.intervalJoin(other) pairs within the bounds; temporalJoin / lookupJoin build the temporal joins', async () => {
  const { job, a, b } = inputs();
  const ka = a.keyBy((x) => x.k);
  const kb = b.keyBy((y) => y.k);
  const sink = collectSink<string>();
  ka.intervalJoin(kb)
    .between('-50ms', 50)
    .process<string>((x, y, _ctx, out) => out.collect(`${x.id}-${y.id}`))
    .to(sink);
  const temporal = collectSink<string>();
  ka.temporalJoin(kb)
    .leftOuter()
    .apply((x, row) => `${x.id}:${row ? row.id : '-'}`)
    .to(temporal);
  const lookup = ka.lookupJoin(kb);
  assert.ok(lookup instanceof TemporalJoinBuilder);
  assert.equal(lookup.time, 'processing-time');
  assert.equal(ka.temporalJoin(kb).time, 'event-time');
  await job.run();
  const expected: string[] = [];
  for (const x of left) for (const y of right) if (x.k === y.k && y.ts - x.ts >= -50 && y.ts - x.ts <= 50) expected.push(`${x.id}-${y.id}`);
  assert.ok(expected.length > 10);
  assert.deepEqual([...sink.collected.values].sort(), expected.sort());
  const versionAt = (x: Ev) => {
    let best: Ev | undefined;
    for (const y of right) if (y.k === x.k && y.ts <= x.ts && (!best || y.ts >= best.ts)) best = y;
    return `${x.id}:${best ? best.id : '-'}`;
  };
  assert.deepEqual([...temporal.collected.values].sort(), left.map(versionAt).sort());
});

test('windowAll counts over the whole stream per window, whatever the parallelism', async () => {
  const { job, a } = inputs();
  const sink = collectSink<string>();
  a.windowAll(TumblingEventTimeWindows.of(1000))
    .aggregate(count())
    .map((r) => `${r.key}:${r.window.start}:${r.value}`)
    .to(sink);
  await job.run();
  const counts = new Map<number, number>();
  for (const x of left) counts.set(Math.floor(x.ts / 1000) * 1000, (counts.get(Math.floor(x.ts / 1000) * 1000) ?? 0) + 1);
  assert.deepEqual([...sink.collected.values].sort(), [...counts].map(([s, n]) => `null:${s}:${n}`).sort());
});
