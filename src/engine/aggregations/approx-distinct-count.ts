// Approximate distinct count over a HyperLogLog sketch: fixed memory (2^p bytes per window
// and key) and mergeable, for session windows and for cardinalities an exact set cannot hold.
// Imports hyperloglog.ts and state types.
import type { AggregateFunction } from '../state/types.js';
import type { HyperLogLogSketch } from './hyperloglog.js';
import { createSketch, sketchAdd, sketchEstimate, sketchMerge } from './hyperloglog.js';

export interface ApproxDistinctOptions {
  /** 2^precision registers; relative standard error 1.04/sqrt(2^precision). Default 14 (0.81%, 16 KiB). */
  precision?: number;
}

export function approxDistinctCount<T, V = T>(
  fn: (element: T) => V = (e) => e as unknown as V,
  options: ApproxDistinctOptions = {},
): AggregateFunction<T, HyperLogLogSketch, number> {
  const p = options.precision ?? 14;
  createSketch(p); // validates p now, at pipeline build time, not at the first record
  return {
    createAccumulator: () => createSketch(p),
    add: (v, acc) => sketchAdd(acc, fn(v)),
    merge: (a, b) => sketchMerge(a, b),
    getResult: (acc) => sketchEstimate(acc),
  };
}
