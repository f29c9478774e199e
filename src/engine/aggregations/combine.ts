// Several aggregations over one window in a single pass: `aggregates({n: count(), total:
// sum(f)})` yields `{n, total}`. The accumulator is a plain object of the parts' accumulators,
// so it stays serializable and mergeable whenever the parts are. Imports state types only.
import type { AggregateFunction } from '../state/types.js';

type AnyAgg<T> = AggregateFunction<T, unknown, unknown>;
// `never` input and `unknown` accumulator accept every part (method parameters are bivariant).
type SomeAgg = AggregateFunction<never, unknown, unknown>;
type ResultOf<A> = A extends AggregateFunction<never, unknown, infer O> ? O : never;
type InputOf<A> = A extends AggregateFunction<infer I, unknown, unknown> ? I : never;

export function aggregates<S extends Record<string, SomeAgg>, T = InputOf<S[keyof S]>>(
  parts: S,
): AggregateFunction<T, Record<string, unknown>, { [K in keyof S]: ResultOf<S[K]> }> {
  const names = Object.keys(parts);
  const fns = names.map((k) => parts[k] as unknown as AnyAgg<T>);
  return {
    createAccumulator: () => {
      const acc: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) acc[names[i] as string] = (fns[i] as AnyAgg<T>).createAccumulator();
      return acc;
    },
    add: (v, acc) => {
      for (let i = 0; i < names.length; i++) {
        const k = names[i] as string;
        acc[k] = (fns[i] as AnyAgg<T>).add(v, acc[k]);
      }
      return acc;
    },
    merge: (a, b) => {
      for (let i = 0; i < names.length; i++) {
        const k = names[i] as string;
        a[k] = (fns[i] as AnyAgg<T>).merge(a[k], b[k]);
      }
      return a;
    },
    getResult: (acc) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) {
        const k = names[i] as string;
        out[k] = (fns[i] as AnyAgg<T>).getResult(acc[k]);
      }
      return out as { [K in keyof S]: ResultOf<S[K]> };
    },
  };
}

/** An AggregateFunction from a reduce function: the result is the reduction of all elements. */
export function reducing<T>(reduce: (a: T, b: T) => T): AggregateFunction<T, [T] | [], T | undefined> {
  return {
    createAccumulator: () => [],
    add: (v, acc) => (acc.length === 0 ? [v] : [reduce(acc[0], v)]),
    merge: (a, b) => (a.length === 0 ? b : b.length === 0 ? a : [reduce(a[0], b[0])]),
    getResult: (acc) => acc[0],
  };
}
