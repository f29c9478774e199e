// FramePool: buffers are reused (smallest that fits), idle memory stays under its cap by
// dropping the oldest, and frames beyond the pooling limit are never pooled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FramePool } from './frame-pool.js';

test('FramePool reuses released buffers and keeps idle memory bounded', () => {
  const pool = new FramePool(1024 * 1024, 512 * 1024, 64 * 1024);
  const a = pool.borrow(100_000)!;
  assert.equal(a.length, 128 * 1024, 'rounded up to a power of two from the minimum');
  const b = pool.borrow(10)!;
  assert.equal(b.length, 64 * 1024);
  assert.equal(pool.borrow(600_000), undefined, 'over the pooling limit: the caller allocates');
  pool.release(a);
  pool.release(b);
  assert.equal(pool.idleSize, 192 * 1024);
  assert.equal(pool.borrow(1000), b, 'the smallest idle buffer that fits');
  assert.equal(pool.borrow(70_000), a);
  assert.equal(pool.idleSize, 0);
  const big = [pool.borrow(400_000)!, pool.borrow(400_000)!, pool.borrow(400_000)!];
  for (const x of big) pool.release(x);
  assert.ok(pool.idleSize <= 1024 * 1024, `idle ${pool.idleSize} stays under the cap`);
  assert.equal(pool.idleSize, 512 * 1024 * 2);
  assert.notEqual(pool.borrow(400_000), big[0], 'the oldest was dropped to make room');
});
