// A receiver owns the batch it gets (StreamOperator.processBatch): filter and map rewrite
// theirs in place. These tests fail if a batch reaches two receivers as the same arrays, if a
// source reads its batch after handing it on, or if the harness hands the caller's arrays over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from '../api/pipeline.js';
import { outputTag } from '../api/output-tag.js';
import type { KeyedProcessFunction } from '../api/functions.js';
import { fromCollection } from '../sources/collection-source.js';
import { collectSink } from '../sinks/collect-sink.js';
import { monotonous } from '../time/watermark-strategy.js';
import { FilterOperator } from '../operators/filter.js';
import { OperatorHarness } from '../testing/operator-harness.js';

const numbers = Array.from({ length: 50 }, (_, i) => i);

test('one stream into several in-place operators: each branch sees every record', async () => {
  const job = pipeline('fan-out', { batchSize: 8 });
  const all = job.from(fromCollection(numbers));
  const evens = collectSink<number>();
  const odds = collectSink<number>();
  const tens = collectSink<number>();
  all.filter((x) => x % 2 === 0).to(evens);
  all.filter((x) => x % 2 === 1).to(odds);
  all.map((x) => x * 10).to(tens);
  await job.run();
  assert.deepEqual(evens.collected.values, numbers.filter((x) => x % 2 === 0));
  assert.deepEqual(odds.collected.values, numbers.filter((x) => x % 2 === 1));
  assert.deepEqual(tens.collected.values, numbers.map((x) => x * 10));
});

test('a batch lent to a map and a sink before a filter rewrites it: each still sees every record', async () => {
  const job = pipeline('lent', { batchSize: 8 });
  const all = job.from(fromCollection(numbers));
  const tens = collectSink<number>();
  const raw = collectSink<number>();
  const big = collectSink<number>();
  // Edges are served in the order they were declared: the map and the sink borrow the batch,
  // the filter gets it last to keep and compacts it in place.
  all.map((x) => x * 10).to(tens);
  all.to(raw);
  all.filter((x) => x >= 25).to(big);
  await job.run();
  assert.deepEqual(tens.collected.values, numbers.map((x) => x * 10));
  assert.deepEqual(raw.collected.values, numbers);
  assert.deepEqual(big.collected.values, numbers.filter((x) => x >= 25));
});

test('a side output read by two branches: each branch sees every side record', async () => {
  const small = outputTag<number>('small');
  const job = pipeline('side-fan-out', { batchSize: 8 });
  const split = job
    .from(fromCollection(numbers))
    .keyBy(() => 0)
    .process<number>({
      processElement(x, ctx, out) {
        if (x < 20) ctx.output(small, x);
        else out.collect(x);
      },
    } as KeyedProcessFunction<number, number, number>);
  const sides = split.getSideOutput(small);
  const below10 = collectSink<number>();
  const doubled = collectSink<number>();
  sides.filter((x) => x < 10).to(below10);
  sides.map((x) => x * 2).to(doubled);
  await job.run();
  assert.deepEqual(below10.collected.values, numbers.filter((x) => x < 10));
  assert.deepEqual(doubled.collected.values, numbers.filter((x) => x < 20).map((x) => x * 2));
});

test('the source watermark counts records a filter after it drops', async () => {
  // Batches of 4; the last record of each batch is the newest and is filtered out.
  const times = [1, 2, 3, 100, 101, 102, 103, 200, 201, 202, 203, 300];
  const job = pipeline('watermark-before-filter', { batchSize: 4 });
  const seen = collectSink<string>();
  job
    .from(fromCollection(times))
    .withWatermarks((t) => t, monotonous())
    .filter((t) => t % 100 !== 0)
    .keyBy(() => 0)
    .process<string>({
      processElement(t, ctx, out) {
        out.collect(`${t}@${ctx.currentWatermark()}`);
      },
    } as KeyedProcessFunction<number, number, string>)
    .to(seen);
  await job.run();
  // Each batch sees the watermark of the batch before it, dropped newest record included.
  assert.deepEqual(seen.collected.values, ['1@-Infinity', '2@-Infinity', '3@-Infinity', '101@99', '102@99', '103@99', '201@199', '202@199', '203@199']);
});

test('the harness leaves the caller its arrays', () => {
  const h = new OperatorHarness<number>(new FilterOperator<number>((x) => x > 1));
  const values = [1, 2, 3];
  const timestamps = [10, 20, 30];
  h.processElements(values, timestamps);
  assert.deepEqual(values, [1, 2, 3]);
  assert.deepEqual(timestamps, [10, 20, 30]);
  assert.deepEqual(h.output(), [
    { value: 2, timestamp: 20 },
    { value: 3, timestamp: 30 },
  ]);
});

test('withWatermarks after a map stamps its batch in place and emits its watermark', async () => {
  const job = pipeline('watermarks-mid-stream', { batchSize: 4 });
  const seen = collectSink<string>();
  job
    .from(fromCollection([1, 2, 3, 4, 5, 6, 7, 8]))
    .map((x) => ({ x, ts: x * 1000 }))
    .withWatermarks((r) => r.ts, monotonous())
    .keyBy(() => 0)
    .process<string>({
      processElement(r, ctx, out) {
        out.collect(`${r.x}:${ctx.timestamp}@${ctx.currentWatermark()}`);
      },
    } as KeyedProcessFunction<number, { x: number; ts: number }, string>)
    .to(seen);
  await job.run();
  assert.deepEqual(seen.collected.values, ['1:1000@-Infinity', '2:2000@-Infinity', '3:3000@-Infinity', '4:4000@-Infinity', '5:5000@3999', '6:6000@3999', '7:7000@3999', '8:8000@3999']);
});
