// The collect sink keeps every record and its timestamp, in arrival order, whatever the
// number of batches (its timestamp store grows past its first 1,024 slots), and reading the
// timestamps between writes sees the later writes too; `values` stays one array. Plain
// targets are appended to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendCollected, collectSink, CollectedRecords } from './collect-sink.js';

test('values and timestamps of many batches, read between writes and after', async () => {
  const sink = collectSink<number>();
  const writer = await sink.createWriter({} as never);
  const values: number[] = [];
  for (let b = 0; b < 30; b++) {
    const batch = Array.from({ length: 37 + b * 11 }, (_v, i) => b * 1000 + i);
    await writer.write(batch, batch.map((x) => x * 10 + 0.5));
    values.push(...batch);
    // Reading in between must not freeze what later writes add.
    assert.equal(sink.collected.timestamps.length, values.length);
  }
  assert.ok(values.length > 1024);
  assert.deepEqual(sink.collected.values, values);
  assert.deepEqual(sink.collected.timestamps, values.map((x) => x * 10 + 0.5));
  assert.ok(sink.collected instanceof CollectedRecords);
});

test('a plain { values, timestamps } target and a values-only array are appended to', async () => {
  const plain = { values: ['a'], timestamps: [1] };
  appendCollected(plain, ['b', 'c'], [2, 3]);
  assert.deepEqual(plain, { values: ['a', 'b', 'c'], timestamps: [1, 2, 3] });
  const only: string[] = [];
  const sink = collectSink(only);
  await (await sink.createWriter({} as never)).write(['x', 'y'], [5, 6]);
  assert.deepEqual(only, ['x', 'y']);
});

test('an append far larger than a batch (the worker runtime gathering results) keeps every record in order', () => {
  const c = new CollectedRecords<number>();
  c.append([1, 2], [10, 20]);
  const big = Array.from({ length: 200_000 }, (_v, i) => i + 3);
  c.append(big, big.map((x) => x * 10));
  assert.equal(c.values.length, 200_002);
  assert.deepEqual(c.values.slice(0, 4), [1, 2, 3, 4]);
  assert.equal(c.values[200_001], 200_002);
  assert.equal(c.timestamps[200_001], 2_000_020);
});

test('values is one array: a reference taken before the writes holds them all once the sink closes', async () => {
  const sink = collectSink<number>();
  const held = sink.collected.values;
  const writer = await sink.createWriter({} as never);
  // More single-record batches than the store keeps before copying, then a few more.
  for (let i = 0; i < 5000; i++) await writer.write([i], [i * 2]);
  await writer.close();
  assert.deepEqual(held, Array.from({ length: 5000 }, (_v, i) => i));
  assert.equal(held, sink.collected.values);
  assert.deepEqual(sink.collected.timestamps, Array.from({ length: 5000 }, (_v, i) => i * 2));
});
