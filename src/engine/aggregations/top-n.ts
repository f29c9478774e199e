// Top-N elements by a score. The accumulator keeps at most N [score, tieKey, element] entries
// in result order; since the top N of a union is the top N of the two inputs' top Ns, merging
// split accumulators gives exactly the one-pass answer. Ties are broken by the element's
// valueKey so the order does not depend on arrival order or on how the input was split.
// Imports value-key.ts, errors and state types.
import { SluiceError } from '../../errors.js';
import type { AggregateFunction } from '../state/types.js';
import { valueKey } from './value-key.js';

export type TopNEntry<T> = [score: number, tieKey: string, element: T];

export interface TopNOptions {
  /** 'desc' (default) keeps the highest scores, 'asc' the lowest. */
  order?: 'asc' | 'desc';
}

export function topN<T>(
  n: number,
  score: (element: T) => number,
  options: TopNOptions = {},
): AggregateFunction<T, Array<TopNEntry<T>>, T[]> {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new SluiceError('INVALID_ARGUMENT', `topN needs a positive integer n, got ${n}`);
  }
  const sign = options.order === 'asc' ? 1 : -1;
  // Negative when a ranks before b.
  const compare = (a: TopNEntry<T>, b: TopNEntry<T>): number => {
    if (a[0] !== b[0]) return sign * (a[0] - b[0]);
    return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
  };
  const insert = (acc: Array<TopNEntry<T>>, entry: TopNEntry<T>): Array<TopNEntry<T>> => {
    if (acc.length === n) {
      const last = acc[n - 1];
      if (last !== undefined && compare(entry, last) >= 0) return acc;
    }
    // Binary search for the first entry ranking after the new one (N is small; the splice is cheap).
    let lo = 0;
    let hi = acc.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = acc[mid];
      if (e !== undefined && compare(e, entry) <= 0) lo = mid + 1;
      else hi = mid;
    }
    acc.splice(lo, 0, entry);
    if (acc.length > n) acc.pop();
    return acc;
  };
  return {
    createAccumulator: () => [],
    add: (v, acc) => {
      const s = score(v);
      if (Number.isNaN(s)) return acc; // a NaN score has no rank; ignoring it keeps the order total
      return insert(acc, [s, valueKey(v), v]);
    },
    merge: (a, b) => {
      for (const e of b) insert(a, e);
      return a;
    },
    getResult: (acc) => acc.map((e) => e[2]),
  };
}
