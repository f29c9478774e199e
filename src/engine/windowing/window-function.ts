// What a window hands its results to: a ProcessWindowFunction (Flink's name) receiving the
// key, a context (window, time, side outputs, whether this firing updates an earlier result)
// and either all buffered elements or the single pre-aggregated value; and the record shape
// `WindowResult` that `.aggregate(fn)` / `.reduce(fn)` emit when no window function is given.
// Imports api/ types only.
import type { Collector } from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import type { Window } from './window.js';

export interface ProcessWindowContext<W extends Window> {
  readonly window: W;
  /**
   * True when this (key, window) already emitted a result since it was last purged, so this
   * firing replaces it: a late element within allowed lateness, or a later early/continuous
   * firing. Sinks upsert on (key, window) when it is true.
   */
  readonly isUpdate: boolean;
  currentWatermark(): number;
  currentProcessingTime(): number;
  /** Emits to a side output, with the window's maxTimestamp as timestamp. */
  output<S>(tag: OutputTag<S>, value: S): void;
}

/**
 * Evaluates one window of one key. `elements` are all buffered elements (process) or the one
 * aggregated value (aggregate/reduce with a window function). Results are emitted with the
 * window's maxTimestamp as their event timestamp, so a downstream window can group them.
 */
export type ProcessWindowFunction<IN, OUT, K, W extends Window> =
  | ((key: K, ctx: ProcessWindowContext<W>, elements: readonly IN[], out: Collector<OUT>) => void)
  | { process(key: K, ctx: ProcessWindowContext<W>, elements: readonly IN[], out: Collector<OUT>): void };

/** A window's bounds as plain numbers (GlobalWindow: the whole safe-integer range). */
export interface WindowBounds {
  readonly start: number;
  readonly end: number;
}

/**
 * The record `.aggregate(fn)` and `.reduce(fn)` emit: the key, the window, the value, and
 * `isUpdate` (see ProcessWindowContext.isUpdate). An upsert sink keys rows by
 * (key, window.start, window.end) and overwrites when `isUpdate` is true; an append-only sink
 * can drop updates or store them as corrections.
 */
export interface WindowResult<K, V> {
  readonly key: K;
  readonly window: WindowBounds;
  readonly value: V;
  readonly isUpdate: boolean;
}

export function toProcessFn<IN, OUT, K, W extends Window>(
  fn: ProcessWindowFunction<IN, OUT, K, W>,
): (key: K, ctx: ProcessWindowContext<W>, elements: readonly IN[], out: Collector<OUT>) => void {
  return typeof fn === 'function' ? fn : (k, c, e, o) => fn.process(k, c, e, o);
}
