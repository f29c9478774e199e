// Exact distinct count: the accumulator remembers every distinct value's key in a plain
// object (serializable, mergeable by union), so memory grows with the number of distinct
// values; use approxDistinctCount for large cardinalities. Imports value-key.ts and state types.
import type { AggregateFunction } from '../state/types.js';
import { valueKey } from './value-key.js';

/** Keys are valueKey(...) strings, which always start with a type letter (never "__proto__"). */
export type DistinctAccumulator = Record<string, 1>;

export function distinctCount<T, V = T>(
  fn: (element: T) => V = (e) => e as unknown as V,
): AggregateFunction<T, DistinctAccumulator, number> {
  return {
    createAccumulator: () => ({}),
    add: (v, acc) => {
      acc[valueKey(fn(v))] = 1;
      return acc;
    },
    merge: (a, b) => {
      for (const k of Object.keys(b)) a[k] = 1;
      return a;
    },
    getResult: (acc) => Object.keys(acc).length,
  };
}
