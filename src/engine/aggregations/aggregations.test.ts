import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pack, unpack } from 'msgpackr';
import { isSluiceError } from '../../errors.js';
import type { AggregateFunction } from '../state/types.js';
import { approxDistinctCount } from './approx-distinct-count.js';
import { average, count, max, maxBy, min, minBy, sum } from './basic.js';
import { aggregates, reducing } from './combine.js';
import { distinctCount } from './distinct-count.js';
import { createSketch, sketchAdd, sketchEstimate, sketchMerge, standardError } from './hyperloglog.js';
import { topN } from './top-n.js';

function onePass<T, A, O>(f: AggregateFunction<T, A, O>, xs: readonly T[]): O {
  let acc = f.createAccumulator();
  for (const x of xs) acc = f.add(x, acc);
  return f.getResult(acc);
}

/**
 * Splits xs into consecutive chunks at `cuts`, aggregates each chunk (through a msgpack round
 * trip, as a checkpoint would store it) and merges the partials in a tree order given by `order`.
 */
function splitMerged<T, A, O>(f: AggregateFunction<T, A, O>, xs: readonly T[], cuts: number[], leftFirst: boolean[]): O {
  const bounds = [...new Set(cuts.map((c) => c % (xs.length + 1)))].sort((a, b) => a - b);
  const parts: A[] = [];
  let from = 0;
  for (const b of [...bounds, xs.length]) {
    let acc = f.createAccumulator();
    for (const x of xs.slice(from, b)) acc = f.add(x, acc);
    parts.push(unpack(pack(acc)) as A);
    from = b;
  }
  let i = 0;
  while (parts.length > 1) {
    const a = parts.shift() as A;
    const b = parts.shift() as A;
    // Merging is only required to be order-insensitive in result, so exercise both orders.
    parts.push(leftFirst[i++ % Math.max(1, leftFirst.length)] ? f.merge(a, b) : f.merge(b, a));
  }
  return f.getResult(parts[0] as A);
}

// fc.record builds null-prototype objects; spread them into plain ones as real records are.
const rec = fc.record({ k: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), v: fc.integer({ min: -1000, max: 1000 }) }).map((r) => ({ ...r }));
type Rec = { k: string; v: number };

function mergeEqualsOnePass<O>(name: string, make: () => AggregateFunction<Rec, unknown, O>): void {
  test(`${name}: merging split accumulators equals one pass`, () => {
    fc.assert(
      fc.property(fc.array(rec, { maxLength: 80 }), fc.array(fc.nat(), { maxLength: 6 }), fc.array(fc.boolean(), { minLength: 1 }), (xs, cuts, order) => {
        assert.deepEqual(splitMerged(make(), xs, cuts, order), onePass(make(), xs));
      }),
    );
  });
}

mergeEqualsOnePass('count', () => count<Rec>());
mergeEqualsOnePass('sum', () => sum<Rec>((r) => r.v));
mergeEqualsOnePass('min', () => min<Rec>((r) => r.v));
mergeEqualsOnePass('max', () => max<Rec>((r) => r.v));
mergeEqualsOnePass('average', () => average<Rec>((r) => r.v));
mergeEqualsOnePass('distinctCount', () => distinctCount<Rec, string>((r) => r.k));
mergeEqualsOnePass('approxDistinctCount', () => approxDistinctCount<Rec, number>((r) => r.v, { precision: 10 }));
mergeEqualsOnePass('topN', () => topN<Rec>(3, (r) => r.v));
mergeEqualsOnePass('topN asc', () => topN<Rec>(4, (r) => r.v, { order: 'asc' }));
mergeEqualsOnePass('reducing', () => reducing<Rec>((a, b) => ({ k: a.k < b.k ? a.k : b.k, v: a.v + b.v })));
mergeEqualsOnePass('aggregates', () => aggregates({ n: count<Rec>(), s: sum<Rec>((r) => r.v), d: distinctCount<Rec, string>((r) => r.k) }));

test('basic aggregates give the textbook answers', () => {
  const xs: Rec[] = [
    { k: 'a', v: 3 },
    { k: 'b', v: -2 },
    { k: 'a', v: 7 },
    { k: 'c', v: 7 },
  ];
  assert.equal(onePass(count(), xs), 4);
  assert.equal(onePass(sum((r: Rec) => r.v), xs), 15);
  assert.equal(onePass(min((r: Rec) => r.v), xs), -2);
  assert.equal(onePass(max((r: Rec) => r.v), xs), 7);
  assert.equal(onePass(average((r: Rec) => r.v), xs), 3.75);
  assert.ok(Number.isNaN(onePass(average((r: Rec) => r.v), [])));
  assert.equal(onePass(min((r: Rec) => r.v), []), null);
  assert.deepEqual(onePass(minBy((r: Rec) => r.v), xs), { k: 'b', v: -2 });
  // Ties keep the first element seen.
  assert.deepEqual(onePass(maxBy((r: Rec) => r.v), xs), { k: 'a', v: 7 });
  assert.equal(onePass(distinctCount((r: Rec) => r.k), xs), 3);
  assert.equal(onePass(distinctCount<unknown>(), [1, '1', 1, 0, -0, { a: 1, b: 2 }, { b: 2, a: 1 }]), 4);
  assert.deepEqual(onePass(topN(2, (r: Rec) => r.v), xs), [
    { k: 'a', v: 7 },
    { k: 'c', v: 7 },
  ]);
  const both = onePass(aggregates({ n: count<Rec>(), hi: max((r: Rec) => r.v) }), xs);
  assert.deepEqual(both, { n: 4, hi: 7 });
  // Typed end to end: the combined result's fields have the parts' result types.
  const n: number = both.n;
  assert.equal(n, 4);
});

test('topN, count triggers and sketches reject bad parameters up front', () => {
  assert.throws(() => topN(0, () => 1), (e: unknown) => isSluiceError(e, 'INVALID_ARGUMENT'));
  assert.throws(() => approxDistinctCount(undefined, { precision: 30 }), (e: unknown) => isSluiceError(e, 'INVALID_ARGUMENT'));
  assert.throws(() => sketchMerge(createSketch(10), createSketch(12)), (e: unknown) => isSluiceError(e, 'INVALID_ARGUMENT'));
});

test('HyperLogLog: estimates stay within 4 standard errors across cardinalities, merged or not', () => {
  const p = 12;
  const bound = 4 * standardError(p); // 6.5% for p=12
  let seed = 1;
  for (const n of [0, 1, 10, 1000, 5000, 12_000, 40_000, 200_000]) {
    const whole = createSketch(p);
    const left = createSketch(p);
    const right = createSketch(p);
    for (let i = 0; i < n; i++) {
      const v = `user-${seed}-${i}`;
      sketchAdd(whole, v);
      sketchAdd(i % 3 === 0 ? left : right, v);
      // Duplicates must not count.
      if (i % 5 === 0) sketchAdd(whole, v);
    }
    seed++;
    const est = sketchEstimate(whole);
    const mergedSketch = sketchMerge(left, right);
    // The union of two sketches is exactly the sketch of the union.
    assert.deepEqual(mergedSketch.registers, whole.registers);
    const merged = sketchEstimate(mergedSketch);
    if (n === 0) assert.equal(est, 0);
    else {
      assert.ok(Math.abs(est - n) / n <= bound, `n=${n} estimate ${est} off by more than ${bound}`);
      assert.ok(Math.abs(merged - n) / n <= bound, `n=${n} merged estimate ${merged}`);
    }
  }
});

test('HyperLogLog: the mean error over many sets is near zero (no bias)', () => {
  const p = 10;
  let sumRel = 0;
  const runs = 40;
  const n = 3000; // inside the range where the classic estimator is biased
  for (let r = 0; r < runs; r++) {
    const s = createSketch(p);
    for (let i = 0; i < n; i++) sketchAdd(s, r * 1e7 + i);
    sumRel += (sketchEstimate(s) - n) / n;
  }
  // The mean of 40 runs has standard error 3.25%/sqrt(40) = 0.51%; 2% is a wide margin.
  assert.ok(Math.abs(sumRel / runs) < 0.02, `mean relative error ${sumRel / runs}`);
});
