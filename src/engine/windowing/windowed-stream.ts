// WindowedStream<T, K, W>: what `keyedStream.window(assigner)` returns, with Flink's builder
// methods (trigger, allowedLateness, sideOutputLateData, aggregate, reduce, process). Each
// terminal method adds one keyed WindowOperator through the KeyedStream's transform hook, or,
// for aggregates over event-time tumbling and sliding windows, a SlicedWindowOperator.
// Imports windowing/, aggregations/, api/ (KeyedStream as a type only: data-stream.ts imports
// this file, so a value import would be a cycle).
import { SluiceError } from '../../errors.js';
import type { Collector } from '../api/functions.js';
import type { DataStream, KeyedStream, TransformOptions } from '../api/data-stream.js';
import type { Duration } from '../api/duration.js';
import { toMillis } from '../api/duration.js';
import type { OutputTag } from '../api/output-tag.js';
import type { AggregateFunction } from '../state/types.js';
import { reducing } from '../aggregations/combine.js';
import type { Trigger } from './trigger.js';
import type { Window } from './window.js';
import { GlobalWindow, TimeWindow } from './window.js';
import type { WindowAssigner } from './window-assigner.js';
import type { ProcessWindowContext, ProcessWindowFunction, WindowBounds, WindowResult } from './window-function.js';
import { toProcessFn } from './window-function.js';
import type { WindowContents, WindowEmitter } from './window-operator.js';
import { WindowOperator } from './window-operator.js';
import { SlicedWindowOperator, copiesFaithfully } from './sliced-window-operator.js';
import { SlidingEventTimeWindows, TumblingEventTimeWindows } from './assigners.js';

export interface WindowOperatorOptions extends TransformOptions {
  /** Operator name in the job graph and metrics (default: "window-aggregate" etc.). */
  readonly name?: string;
}

/** The plain bounds of a window as they appear in WindowResult records. */
export function windowBounds(w: Window): WindowBounds {
  if (w instanceof TimeWindow) return { start: w.start, end: w.end };
  if (w instanceof GlobalWindow) return { start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER };
  return { start: Number.MIN_SAFE_INTEGER, end: w.maxTimestamp() + 1 };
}

function isWindowFunction(x: unknown): boolean {
  return typeof x === 'function' || (typeof x === 'object' && x !== null && typeof (x as { process?: unknown }).process === 'function');
}

export class WindowedStream<T, K, W extends Window> {
  private triggerOverride: Trigger<T, W> | undefined;
  private lateness = 0;
  private lateTag: OutputTag<T> | undefined;

  constructor(
    readonly input: KeyedStream<T, K>,
    readonly assigner: WindowAssigner<T, W>,
  ) {}

  /** Replaces the assigner's default trigger. */
  trigger(trigger: Trigger<T, W>): this {
    this.triggerOverride = trigger;
    return this;
  }

  /**
   * Keeps event-time windows (and their state) for `lateness` past their end: each late
   * element within it updates the window and re-emits its result with `isUpdate: true`.
   * Has no effect on processing-time windows. Default 0.
   */
  allowedLateness(lateness: Duration): this {
    const ms = toMillis(lateness, 'allowed lateness');
    if (!Number.isSafeInteger(ms)) throw new SluiceError('INVALID_ARGUMENT', `allowed lateness must be whole ms, got ${ms}`);
    this.lateness = ms;
    return this;
  }

  /** Sends elements too late for any window (beyond allowed lateness) to `tag` instead of dropping them. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.lateTag = tag;
    return this;
  }

  /** Alias of sideOutputLateData. */
  sideOutputLate(tag: OutputTag<T>): this {
    return this.sideOutputLateData(tag);
  }

  /**
   * Incremental aggregation: one accumulator per key and window, merged when sessions merge.
   * Without a window function, emits `WindowResult<K, R>` records; with one, the function
   * receives the single aggregated value (Flink's aggregate(aggFn, windowFn)).
   */
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>, options?: WindowOperatorOptions): DataStream<WindowResult<K, R>>;
  aggregate<ACC, R, OUT>(fn: AggregateFunction<T, ACC, R>, windowFn: ProcessWindowFunction<R, OUT, K, W>, options?: WindowOperatorOptions): DataStream<OUT>;
  aggregate<ACC, R, OUT>(
    fn: AggregateFunction<T, ACC, R>,
    second?: ProcessWindowFunction<R, OUT, K, W> | WindowOperatorOptions,
    third?: WindowOperatorOptions,
  ): DataStream<OUT> | DataStream<WindowResult<K, R>> {
    const contents: WindowContents<T, R> = { kind: 'aggregate', fn: fn as AggregateFunction<T, unknown, R> };
    if (isWindowFunction(second)) {
      const pf = toProcessFn(second as ProcessWindowFunction<R, OUT, K, W>);
      return this.build<R, OUT>('window-aggregate', contents, pf, third);
    }
    return this.build<R, WindowResult<K, R>>('window-aggregate', contents, emitWindowResult, second as WindowOperatorOptions | undefined);
  }

  /** Reduces the elements of each window; emits WindowResult<K, T> unless given a window function. */
  reduce(fn: (a: T, b: T) => T, options?: WindowOperatorOptions): DataStream<WindowResult<K, T>>;
  reduce<OUT>(fn: (a: T, b: T) => T, windowFn: ProcessWindowFunction<T, OUT, K, W>, options?: WindowOperatorOptions): DataStream<OUT>;
  reduce<OUT>(
    fn: (a: T, b: T) => T,
    second?: ProcessWindowFunction<T, OUT, K, W> | WindowOperatorOptions,
    third?: WindowOperatorOptions,
  ): DataStream<OUT> | DataStream<WindowResult<K, T>> {
    const agg = reducing(fn) as AggregateFunction<T, unknown, T>;
    const contents: WindowContents<T, T> = { kind: 'aggregate', fn: agg };
    if (isWindowFunction(second)) {
      return this.build<T, OUT>('window-reduce', contents, toProcessFn(second as ProcessWindowFunction<T, OUT, K, W>), third);
    }
    return this.build<T, WindowResult<K, T>>('window-reduce', contents, emitWindowResult, second as WindowOperatorOptions | undefined);
  }

  /** Buffers every element of a window and hands them all to `fn` when it fires. */
  process<OUT>(fn: ProcessWindowFunction<T, OUT, K, W>, options?: WindowOperatorOptions): DataStream<OUT> {
    return this.build<T, OUT>('window-process', { kind: 'list' }, toProcessFn(fn), options);
  }

  private build<R, OUT>(defaultName: string, contents: WindowContents<T, R>, emit: WindowEmitter<R, OUT, K, W>, options: WindowOperatorOptions | undefined): DataStream<OUT> {
    const assigner = this.assigner;
    const trigger = this.triggerOverride ?? assigner.defaultTrigger();
    const allowedLateness = this.lateness;
    const lateTag = this.lateTag;
    const config = { assigner, trigger, allowedLateness, lateTag, contents, emit };
    // Build one now so configuration errors surface when the pipeline is defined, not at run time.
    new WindowOperator<T, K, W, R, OUT>(config);
    const name = options?.name ?? defaultName;
    const uid = options?.uid === undefined ? {} : { uid: options.uid };
    const sliced = this.triggerOverride === undefined && allowedLateness === 0 ? slicing(assigner) : undefined;
    if (sliced !== undefined && contents.kind === 'aggregate' && copiesFaithfully(contents.fn.createAccumulator())) {
      const slicedConfig = { ...sliced, fn: contents.fn, lateTag, emit: emit as unknown as WindowEmitter<R, OUT, K, TimeWindow> };
      return this.input.transform<OUT>(name, () => new SlicedWindowOperator<T, K, unknown, R, OUT>(slicedConfig), uid);
    }
    return this.input.transform<OUT>(name, () => new WindowOperator<T, K, W, R, OUT>(config), uid);
  }
}

/**
 * Size, slide and offset when the assigner's windows can be sliced (event-time tumbling, or
 * sliding with a size that is a multiple of the slide); see sliced-window-operator.ts.
 */
function slicing(assigner: WindowAssigner<unknown, Window>): { size: number; slide: number; offset: number } | undefined {
  if (assigner instanceof TumblingEventTimeWindows) return { size: assigner.size, slide: assigner.size, offset: assigner.offset };
  if (assigner instanceof SlidingEventTimeWindows && assigner.size % assigner.slide === 0) {
    return { size: assigner.size, slide: assigner.slide, offset: assigner.offset };
  }
  return undefined;
}

/** The default window function of aggregate/reduce: one WindowResult per firing. */
export function emitWindowResult<K, R, W extends Window>(key: K, ctx: ProcessWindowContext<W>, contents: readonly R[], out: Collector<WindowResult<K, R>>): void {
  out.collect({ key, window: windowBounds(ctx.window), value: contents[0] as R, isUpdate: ctx.isUpdate });
}
