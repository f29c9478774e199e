// The collection source reads its partitions in place: record i belongs to partition i mod n,
// every reader of any parallelism gets exactly its partitions' records in order, a reader
// restored from positions continues where they point, timestamps come from timestampOf, and
// each batch owns its timestamp array (the engine stamps event times into it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromCollection } from './collection-source.js';
import type { SourceReader } from './source.js';
import { NO_TIMESTAMP } from '../time/watermark.js';

const ctx = (subtaskIndex: number, parallelism: number, restoredPositions?: Record<string, unknown>) => ({
  subtaskIndex,
  parallelism,
  restoredPositions,
  resources: {},
  jobName: 'test',
  count: () => undefined,
});

/** Polls until the end; records by partition, and the positions of the last batch of each. */
async function drain(reader: SourceReader<number>, max: number): Promise<{ byPartition: Map<string, number[]>; positions: Record<string, unknown> }> {
  const byPartition = new Map<string, number[]>();
  const positions: Record<string, unknown> = {};
  for (;;) {
    const b = await reader.poll(max, 0);
    if (b === 'end') return { byPartition, positions };
    assert.ok(b !== null, 'a collection never has to wait');
    assert.equal(b.timestamps.length, b.values.length);
    byPartition.set(b.partition, [...(byPartition.get(b.partition) ?? []), ...b.values]);
    positions[b.partition] = b.position;
  }
}

test('every record once, in partition i mod n, in order, at any parallelism and batch size', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: 300 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 50 }), async (len, n, p, max) => {
      const items = Array.from({ length: len }, (_v, i) => i);
      const source = fromCollection(items, { partitions: n });
      const seen = new Map<string, number[]>();
      for (let s = 0; s < p; s++) {
        const { byPartition } = await drain((await source.createReader(ctx(s, p))) as SourceReader<number>, max);
        for (const [part, values] of byPartition) {
          assert.ok(!seen.has(part), `partition ${part} read by two subtasks`);
          seen.set(part, values);
        }
      }
      for (let part = 0; part < n; part++) assert.deepEqual(seen.get(String(part)) ?? [], items.filter((i) => i % n === part), `partition ${part}`);
    }),
    { numRuns: 200 },
  );
});

test('a reader restored from positions continues exactly where they point; timestamps come from timestampOf', async () => {
  const items = Array.from({ length: 100 }, (_v, i) => i);
  const source = fromCollection(items, { partitions: 3, timestampOf: (x) => 1000 + x });
  const first = (await source.createReader(ctx(0, 1))) as SourceReader<number>;
  const positions: Record<string, unknown> = {};
  const before: number[] = [];
  for (let k = 0; k < 4; k++) {
    const b = await first.poll(7, 0);
    assert.ok(b !== null && b !== 'end');
    assert.deepEqual(b.timestamps, b.values.map((x) => 1000 + x));
    before.push(...b.values);
    positions[b.partition] = b.position;
  }
  const { byPartition } = await drain((await source.createReader(ctx(0, 1, positions))) as SourceReader<number>, 7);
  const after = [...byPartition.values()].flat();
  assert.deepEqual([...before, ...after].sort((a, b) => a - b), items, 'nothing lost, nothing twice');

  const plain = (await fromCollection([1, 2, 3]).createReader(ctx(0, 1))) as SourceReader<number>;
  const b = await plain.poll(10, 0);
  assert.ok(b !== null && b !== 'end');
  assert.deepEqual(b.timestamps, [NO_TIMESTAMP, NO_TIMESTAMP, NO_TIMESTAMP]);
});

test('every batch has a timestamp array of its own, which the engine may stamp event times into', async () => {
  const reader = (await fromCollection(Array.from({ length: 8 }, (_v, i) => i)).createReader(ctx(0, 1))) as SourceReader<number>;
  const first = await reader.poll(4, 0);
  const second = await reader.poll(4, 0);
  assert.ok(first !== null && first !== 'end' && second !== null && second !== 'end');
  first.timestamps.fill(5);
  assert.notEqual(first.timestamps, second.timestamps);
  assert.deepEqual(second.timestamps, [NO_TIMESTAMP, NO_TIMESTAMP, NO_TIMESTAMP, NO_TIMESTAMP]);
  const third = await (await fromCollection([1, 2, 3, 4]).createReader(ctx(0, 1))).poll(4, 0);
  assert.ok(third !== null && third !== 'end');
  assert.deepEqual(third.timestamps, [NO_TIMESTAMP, NO_TIMESTAMP, NO_TIMESTAMP, NO_TIMESTAMP], 'another source is not handed a stamped array either');
});
