// The interval join (Flink's IntervalJoinOperator) on Sluice's two-input keyed operator
// contract: for each key, a left element `a` meets every right element `b` with
// b.ts - a.ts in [lower, upper]. Both sides are buffered in keyed MapState by timestamp (so a
// checkpoint of the backend plus the timers is the whole operator), and a cleanup timer per
// (side, timestamp) drops a bucket as soon as the watermark proves no element of the other
// side can still match it. Elements at or behind the watermark are late: dropped and counted,
// or sent to a side output. Results carry max(a.ts, b.ts), which is always ahead of the
// watermark the operator forwards, so joins never produce late records downstream.
// May import: errors, engine/api (types), engine/operators, engine/state, engine/time.
import { SluiceError } from '../../errors.js';
import type { Collector, KeyedRuntimeContext } from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import type { OperatorContext } from '../operators/operator.js';
import { mapStateDescriptor } from '../state/descriptors.js';
import type { MapState, StateKey } from '../state/types.js';
import { KeyedFunctionContext } from '../operators/keyed-function-context.js';
import type { InternalTimerService, Triggerable } from '../time/timer-service.js';
import { KeyedJoinOperator, addToBucket } from './keyed-join-operator.js';

export { JOIN_LATE_RECORDS_DROPPED } from './keyed-join-operator.js';

/** What a join function sees besides the two elements; reused between calls. */
export interface IntervalJoinContext<K> {
  readonly leftTimestamp: number;
  readonly rightTimestamp: number;
  /** The result's timestamp: max(leftTimestamp, rightTimestamp). */
  readonly timestamp: number;
  getCurrentKey(): K;
  currentWatermark(): number;
  output<S>(tag: OutputTag<S>, value: S): void;
}

/** Flink's ProcessJoinFunction; a plain function works too. */
export type ProcessJoinFunction<L, R, OUT, K = unknown> =
  | ((left: L, right: R, ctx: IntervalJoinContext<K>, out: Collector<OUT>) => void)
  | ProcessJoinFunctionObject<L, R, OUT, K>;

export interface ProcessJoinFunctionObject<L, R, OUT, K = unknown> {
  /** Called once per subtask; get state handles here (ctx is keyed). */
  open?(ctx: KeyedRuntimeContext): void;
  processElement(left: L, right: R, ctx: IntervalJoinContext<K>, out: Collector<OUT>): void;
  close?(): void;
}

export interface IntervalJoinConfig<L, R, OUT, K> {
  /** b.ts - a.ts >= lower (> when lowerInclusive is false); ms, may be negative. */
  readonly lower: number;
  readonly upper: number;
  readonly lowerInclusive: boolean;
  readonly upperInclusive: boolean;
  readonly leftLateTag?: OutputTag<L> | undefined;
  readonly rightLateTag?: OutputTag<R> | undefined;
  readonly fn: ProcessJoinFunction<L, R, OUT, K>;
}

const LEFT = 0;
const RIGHT = 1;
export const INTERVAL_JOIN_LEFT_STATE = 'interval-join-left';
export const INTERVAL_JOIN_RIGHT_STATE = 'interval-join-right';
export const INTERVAL_JOIN_TIMERS = 'interval-join-cleanup';

export function validateIntervalBounds(lower: number, upper: number, lowerInclusive: boolean, upperInclusive: boolean): void {
  if (!Number.isFinite(lower) || !Number.isFinite(upper)) {
    throw new SluiceError('INVALID_ARGUMENT', `interval join bounds must be finite ms, got [${lower}, ${upper}]`);
  }
  if (lower > upper || (lower === upper && !(lowerInclusive && upperInclusive))) {
    throw new SluiceError('INVALID_ARGUMENT', `interval join: lower bound ${lower} must not exceed upper bound ${upper} (and an empty interval matches nothing)`);
  }
}

export class IntervalJoinOperator<L, R, OUT, K = unknown> extends KeyedJoinOperator<OUT, K> implements Triggerable<number>, IntervalJoinContext<K> {
  private timers!: InternalTimerService<number>;
  private leftBuffer!: MapState<number, L[]>;
  private rightBuffer!: MapState<number, R[]>;
  private readonly join: (left: L, right: R, ctx: IntervalJoinContext<K>, out: Collector<OUT>) => void;
  private readonly fnObject: ProcessJoinFunctionObject<L, R, OUT, K> | undefined;

  // Context and collector state, re-pointed before each call (no allocation per pair).
  leftTimestamp = 0;
  rightTimestamp = 0;

  constructor(private readonly config: IntervalJoinConfig<L, R, OUT, K>) {
    super();
    validateIntervalBounds(config.lower, config.upper, config.lowerInclusive, config.upperInclusive);
    const fn = config.fn;
    if (typeof fn === 'function') {
      this.join = fn;
      this.fnObject = undefined;
    } else if (fn && typeof fn.processElement === 'function') {
      // Each subtask gets its own copy: functions keep per-subtask fields set in open().
      const copy = Object.assign(Object.create(Object.getPrototypeOf(fn) as object) as typeof fn, fn);
      this.fnObject = copy;
      this.join = (l, r, c, o) => copy.processElement(l, r, c, o);
    } else throw new SluiceError('INVALID_ARGUMENT', 'interval join needs a function (left, right, ctx, out) or {processElement}');
  }

  override open(ctx: OperatorContext<OUT>): void {
    const keyed = this.openKeyed(ctx, 'an interval join needs two keyed streams (keyBy both sides)');
    this.timers = keyed.timerService<number>(INTERVAL_JOIN_TIMERS, this);
    this.leftBuffer = keyed.backend.getMapState(mapStateDescriptor<number, L[]>(INTERVAL_JOIN_LEFT_STATE));
    this.rightBuffer = keyed.backend.getMapState(mapStateDescriptor<number, R[]>(INTERVAL_JOIN_RIGHT_STATE));
    this.fnObject?.open?.(new KeyedFunctionContext<K>(ctx as OperatorContext<unknown>));
  }

  processBatch(values: readonly unknown[], timestamps: readonly number[], input: number): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const ts = timestamps[i] as number;
      this.requireTimestamp(ts, 'interval join elements need event timestamps');
      this.selectKey(v, input);
      if (input === LEFT) this.processLeft(v as L, ts);
      else this.processRight(v as R, ts);
    }
  }

  private processLeft(value: L, ts: number): void {
    const watermark = this.timers.currentWatermark();
    if (ts <= watermark) {
      this.late(this.config.leftLateTag, value, ts);
      return;
    }
    const { lower, upper, lowerInclusive, upperInclusive } = this.config;
    for (const [rts, bucket] of this.rightBuffer.entries()) {
      const d = rts - ts;
      if (d < lower || d > upper || (d === lower && !lowerInclusive) || (d === upper && !upperInclusive)) continue;
      for (let j = 0; j < bucket.length; j++) this.emit(value, bucket[j] as R, ts, rts);
    }
    // No right element later than the watermark can satisfy rts <= ts + upper once the
    // watermark reaches ts + upper.
    const cleanup = ts + upper;
    if (cleanup <= watermark) return;
    addToBucket(this.leftBuffer, ts, value);
    this.timers.registerEventTimeTimer(LEFT, cleanup);
  }

  private processRight(value: R, ts: number): void {
    const watermark = this.timers.currentWatermark();
    if (ts <= watermark) {
      this.late(this.config.rightLateTag, value, ts);
      return;
    }
    const { lower, upper, lowerInclusive, upperInclusive } = this.config;
    for (const [lts, bucket] of this.leftBuffer.entries()) {
      const d = ts - lts;
      if (d < lower || d > upper || (d === lower && !lowerInclusive) || (d === upper && !upperInclusive)) continue;
      for (let j = 0; j < bucket.length; j++) this.emit(bucket[j] as L, value, lts, ts);
    }
    // Left elements that can still arrive have lts > watermark; they need lts <= ts - lower.
    const cleanup = ts - lower;
    if (cleanup <= watermark) return;
    addToBucket(this.rightBuffer, ts, value);
    this.timers.registerEventTimeTimer(RIGHT, cleanup);
  }

  private emit(left: L, right: R, lts: number, rts: number): void {
    this.leftTimestamp = lts;
    this.rightTimestamp = rts;
    this.timestamp = lts > rts ? lts : rts;
    this.join(left, right, this, this);
  }

  onEventTime(time: number, _key: StateKey, side: number): void {
    this.keyed.backend.setCurrentNamespace(null);
    if (side === LEFT) this.leftBuffer.remove(time - this.config.upper);
    else this.rightBuffer.remove(time + this.config.lower);
  }

  onProcessingTime(): void {
    // The interval join registers event-time timers only.
  }

  currentWatermark(): number {
    return this.timers.currentWatermark();
  }

  close(): void {
    this.fnObject?.close?.();
  }
}
