// The everyday aggregate functions (count, sum, min, max, minBy, maxBy, average) as
// AggregateFunction values with plain, msgpack-serializable accumulators (numbers, arrays,
// null), so keyed state can checkpoint them and session windows can merge them.
// Imports the AggregateFunction type from engine/state only.
import type { AggregateFunction } from '../state/types.js';

export function count<T = unknown>(): AggregateFunction<T, number, number> {
  return {
    createAccumulator: () => 0,
    add: (_v, acc) => acc + 1,
    merge: (a, b) => a + b,
    getResult: (acc) => acc,
  };
}

/**
 * Sum of `fn(element)`. Floating-point addition is not associative, so merged partial sums of
 * non-integers can differ from a one-pass sum in the last bits; integer sums below 2^53 are exact.
 */
export function sum<T>(fn: (element: T) => number): AggregateFunction<T, number, number> {
  return {
    createAccumulator: () => 0,
    add: (v, acc) => acc + fn(v),
    merge: (a, b) => a + b,
    getResult: (acc) => acc,
  };
}

/** Smallest `fn(element)`; null for an empty window (never the case for a fired time window). */
export function min<T>(fn: (element: T) => number): AggregateFunction<T, number | null, number | null> {
  return {
    createAccumulator: () => null,
    add: (v, acc) => {
      const x = fn(v);
      return acc === null || x < acc ? x : acc;
    },
    merge: (a, b) => (a === null ? b : b === null ? a : Math.min(a, b)),
    getResult: (acc) => acc,
  };
}

export function max<T>(fn: (element: T) => number): AggregateFunction<T, number | null, number | null> {
  return {
    createAccumulator: () => null,
    add: (v, acc) => {
      const x = fn(v);
      return acc === null || x > acc ? x : acc;
    },
    merge: (a, b) => (a === null ? b : b === null ? a : Math.max(a, b)),
    getResult: (acc) => acc,
  };
}

/** [score, element] of the best element so far, or null. */
export type ByAccumulator<T> = [number, T] | null;

function by<T>(fn: (element: T) => number, better: (a: number, b: number) => boolean): AggregateFunction<T, ByAccumulator<T>, T | null> {
  return {
    createAccumulator: () => null,
    // Ties keep the earlier element (first seen; across a merge, the left accumulator's).
    add: (v, acc) => {
      const x = fn(v);
      return acc === null || better(x, acc[0]) ? [x, v] : acc;
    },
    merge: (a, b) => (a === null ? b : b === null ? a : better(b[0], a[0]) ? b : a),
    getResult: (acc) => (acc === null ? null : acc[1]),
  };
}

/** The element with the smallest `fn(element)` (the first one on ties). */
export function minBy<T>(fn: (element: T) => number): AggregateFunction<T, ByAccumulator<T>, T | null> {
  return by(fn, (a, b) => a < b);
}

export function maxBy<T>(fn: (element: T) => number): AggregateFunction<T, ByAccumulator<T>, T | null> {
  return by(fn, (a, b) => a > b);
}

/** Arithmetic mean of `fn(element)`; accumulator is [sum, count]; NaN for an empty window. */
export function average<T>(fn: (element: T) => number): AggregateFunction<T, [number, number], number> {
  return {
    createAccumulator: () => [0, 0],
    add: (v, acc) => {
      acc[0] += fn(v);
      acc[1] += 1;
      return acc;
    },
    merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
    getResult: (acc) => (acc[1] === 0 ? Number.NaN : acc[0] / acc[1]),
  };
}
