// TailCache on its own: what it serves equals what the log holds (checked against a model of
// every batch ever added), it stays within its per-partition bound and the shared budget,
// and it restarts instead of serving across a gap. Partition-level use: read-path.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TailCache, TailCacheBudget } from './tail-cache.js';
import { isSluiceError } from '../errors.js';

interface ModelBatch {
  base: number;
  last: number;
  bytes: Buffer;
}

/** What a read must return, from every batch ever added (no eviction). */
function expectedRead(batches: ModelBatch[], offset: number, maxBytes: number, upper: number): Buffer {
  const k = batches.findIndex((b) => b.last >= offset);
  if (k < 0) return Buffer.alloc(0);
  const out: Buffer[] = [];
  let total = 0;
  for (let i = k; i < batches.length; i++) {
    const b = batches[i]!;
    if (b.base >= upper) break;
    if (total > 0 && total + b.bytes.length > maxBytes) break;
    out.push(b.bytes);
    total += b.bytes.length;
  }
  return Buffer.concat(out);
}

function fill(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

test('serves whole batches from the one holding the offset, within maxBytes and below upper', () => {
  const budget = new TailCacheBudget({ partitionBytes: 1 << 20 });
  const cache = new TailCache(budget);
  const batches: ModelBatch[] = [];
  let next = 10;
  for (let i = 0; i < 20; i++) {
    const count = 1 + (i % 3);
    const bytes = fill(100 + i * 10, i);
    batches.push({ base: next, last: next + count - 1, bytes });
    // Added from inside a larger buffer, as the partition does.
    const src = Buffer.concat([Buffer.alloc(5), bytes, Buffer.alloc(7)]);
    cache.add(src, 5, bytes.length, next, next + count - 1);
    next += count;
  }
  assert.equal(cache.firstOffset, 10);
  assert.equal(cache.endOffset, next);
  assert.equal(cache.read(9, 1 << 20, next), undefined, 'below the cache: a miss');
  for (const offset of [10, 11, 12, 25, next - 1]) {
    for (const maxBytes of [0, 1, 150, 500, 1 << 20]) {
      for (const upper of [offset + 1, offset + 5, next]) {
        const got = cache.read(offset, maxBytes, upper);
        assert.ok(got, `hit at ${offset}`);
        assert.deepEqual(got.records, expectedRead(batches, offset, maxBytes, upper), `offset ${offset} maxBytes ${maxBytes} upper ${upper}`);
      }
    }
  }
  // The copy is the caller's: changing it changes nothing in the cache.
  const a = cache.read(10, 1 << 20, next)!;
  a.records.fill(0);
  assert.deepEqual(cache.read(10, 1 << 20, next)!.records, expectedRead(batches, 10, 1 << 20, next));
  assert.notEqual(a.records.buffer, cache.read(10, 1 << 20, next)!.records.buffer);
});

test('a gap in offsets restarts the cache; clear() empties it and returns its memory', () => {
  const budget = new TailCacheBudget({ partitionBytes: 1 << 20 });
  const cache = new TailCache(budget);
  cache.add(fill(100, 1), 0, 100, 0, 4);
  cache.add(fill(100, 2), 0, 100, 5, 9);
  cache.add(fill(100, 3), 0, 100, 20, 20); // not contiguous: everything before is dropped
  assert.equal(cache.firstOffset, 20);
  assert.equal(cache.read(5, 1000, 100), undefined);
  assert.deepEqual(cache.read(20, 1000, 100)!.records, fill(100, 3));
  assert.ok(budget.usedBytes > 0);
  cache.clear();
  assert.equal(budget.usedBytes, 0);
  assert.equal(cache.endOffset, undefined);
  assert.equal(cache.read(20, 1000, 100), undefined);
});

test('a batch over maxBatchBytes is not cached; the cache restarts after it, keeping its memory', () => {
  const budget = new TailCacheBudget({ partitionBytes: 1 << 20, maxBatchBytes: 10_000 }); // 256 KiB slabs
  const cache = new TailCache(budget);
  cache.add(fill(1000, 1), 0, 1000, 0, 0);
  const used = budget.usedBytes;
  cache.add(fill(20_000, 2), 0, 20_000, 1, 1);
  assert.equal(cache.endOffset, undefined);
  assert.equal(cache.read(0, 1 << 20, 3), undefined);
  assert.equal(budget.usedBytes, used, 'the slab is kept for reuse, not freed and reallocated');
  cache.add(fill(1000, 3), 0, 1000, 2, 2);
  assert.equal(budget.usedBytes, used);
  assert.equal(cache.read(1, 1 << 20, 3), undefined);
  assert.deepEqual(cache.read(2, 1 << 20, 3)!.records, fill(1000, 3));
  cache.add(fill(20_000, 4), 0, 20_000, 3, 3);
  cache.clear();
  assert.equal(budget.usedBytes, 0, 'clear frees spare slabs too');
});

test('bad sizes are INVALID_CONFIG; tiny or zero sizes turn the cache off', () => {
  assert.throws(() => new TailCacheBudget({ partitionBytes: -1 }), (e: unknown) => isSluiceError(e, 'INVALID_CONFIG'));
  assert.throws(() => new TailCacheBudget({ totalBytes: 1.5 }), (e: unknown) => isSluiceError(e, 'INVALID_CONFIG'));
  for (const partitionBytes of [0, 1000]) {
    const budget = new TailCacheBudget({ partitionBytes });
    assert.equal(budget.enabled, false);
    const cache = new TailCache(budget);
    cache.add(fill(10, 1), 0, 10, 0, 0);
    assert.equal(cache.read(0, 100, 1), undefined);
    assert.equal(budget.usedBytes, 0);
  }
});

test('the shared budget caps all caches together, taking slabs from the least recently appended', () => {
  const budget = new TailCacheBudget({ partitionBytes: 256 * 1024, totalBytes: 512 * 1024 }); // 64 KiB slabs, 8 in all
  const caches = Array.from({ length: 4 }, () => new TailCache(budget));
  const next = [0, 0, 0, 0];
  const add = (i: number, n: number): void => {
    for (let k = 0; k < n; k++) {
      const c = caches[i]!;
      c.add(fill(8000, k), 0, 8000, next[i]!, next[i]!);
      c.touch();
      next[i]!++;
      assert.ok(budget.usedBytes <= 512 * 1024, `used ${budget.usedBytes}`);
      assert.ok(c.bytes <= 256 * 1024);
    }
  };
  add(0, 40); // fills its 4 slabs (256 KiB), then recycles its own oldest
  assert.equal(caches[0]!.slabCount, 4);
  add(1, 40);
  assert.equal(budget.usedBytes, 512 * 1024);
  add(2, 20); // must take slabs from cache 0 (least recently appended), not from 1
  assert.ok(caches[0]!.slabCount < 4, 'the least recently appended cache gave memory back');
  assert.equal(caches[1]!.slabCount, 4);
  assert.ok(caches[2]!.slabCount >= 2);
  // Every cache still serves its newest batch, whatever it lost.
  for (const i of [1, 2]) assert.ok(caches[i]!.read(next[i]! - 1, 1 << 20, next[i]!), `cache ${i} serves its tail`);
  for (const c of caches) c.clear();
  assert.equal(budget.usedBytes, 0);
});

test('property: any read is a miss or exactly what the log holds; the newest batch always hits', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ kind: fc.constant('add' as const), size: fc.integer({ min: 1, max: 20_000 }), count: fc.integer({ min: 1, max: 5 }) }),
          fc.record({ kind: fc.constant('read' as const), back: fc.nat(60), maxBytes: fc.integer({ min: 0, max: 70_000 }), upperBack: fc.nat(3) }),
        ),
        { maxLength: 120 },
      ),
      fc.integer({ min: 64 * 1024, max: 300 * 1024 }),
      (ops, partitionBytes) => {
        const budget = new TailCacheBudget({ partitionBytes, totalBytes: 1 << 30, maxBatchBytes: 30_000 });
        const cache = new TailCache(budget);
        const batches: ModelBatch[] = [];
        let next = 1000;
        let seed = 0;
        for (const op of ops) {
          if (op.kind === 'add') {
            const bytes = fill(op.size, seed++);
            batches.push({ base: next, last: next + op.count - 1, bytes });
            cache.add(bytes, 0, bytes.length, next, next + op.count - 1);
            next += op.count;
            assert.ok(cache.bytes <= partitionBytes);
            assert.ok(budget.usedBytes <= partitionBytes);
            if (op.size <= budget.maxBatchBytes) assert.ok(cache.read(next - 1, 0, next), 'the newest batch is cached');
            else assert.equal(cache.read(next - 1, 0, next), undefined);
          } else if (batches.length > 0) {
            const b = batches[Math.max(0, batches.length - 1 - op.back)]!;
            const offset = b.base + (op.back % (b.last - b.base + 1));
            const upper = Math.max(offset + 1, next - op.upperBack);
            const got = cache.read(offset, op.maxBytes, upper);
            if (got) assert.deepEqual(got.records, expectedRead(batches, offset, op.maxBytes, upper));
          }
        }
      },
    ),
    { numRuns: 150 },
  );
});
