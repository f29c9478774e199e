// What the keyed two-input joins (interval, temporal, lookup) share: the check that both
// inputs are keyed, selecting a record's key in the default namespace, the late-element rule
// (side output or the `numLateRecordsDropped` count), timestamp buckets in MapState, and the
// operator itself as the reusable collector and context of the join function (no allocation
// per result).
// May import: errors, engine/api (types), engine/operators, engine/state, engine/time.
import { SluiceError } from '../../errors.js';
import type { Collector } from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import { BaseOperator } from '../operators/base-operator.js';
import type { KeyedServices, OperatorContext } from '../operators/operator.js';
import type { MapState } from '../state/types.js';

/** Metric counted for every late element dropped (the window operator's name, as in Flink). */
export const JOIN_LATE_RECORDS_DROPPED = 'numLateRecordsDropped';

/** Appends `value` to the bucket of `ts`, creating it when absent. */
export function addToBucket<T>(buckets: MapState<number, T[]>, ts: number, value: T): void {
  const bucket = buckets.get(ts);
  if (bucket === undefined) buckets.put(ts, [value]);
  else {
    bucket.push(value);
    buckets.put(ts, bucket);
  }
}

/** The constructor checks of the table joins (temporal and lookup). */
export function checkTableJoinConfig(what: string, config: { readonly fn: unknown; readonly isDelete?: unknown }): void {
  if (typeof config.fn !== 'function') throw new SluiceError('INVALID_ARGUMENT', `${what} needs a function (event, row, ctx, out)`);
  if (config.isDelete !== undefined && typeof config.isDelete !== 'function') {
    throw new SluiceError('INVALID_ARGUMENT', `${what}: isDelete must be a function (change) => boolean`);
  }
}

export abstract class KeyedJoinOperator<OUT, K> extends BaseOperator<OUT> implements Collector<OUT> {
  protected keyed!: KeyedServices;
  /** The current result's timestamp (and the context's). */
  timestamp = 0;

  /** Opens with keyed services; `requirement` completes "<operator>: " in the error when the inputs are not keyed. */
  protected openKeyed(ctx: OperatorContext<OUT>, requirement: string): KeyedServices {
    super.open(ctx);
    if (ctx.keyed === undefined) throw new SluiceError('INVALID_ARGUMENT', `${ctx.operatorName}: ${requirement}`);
    this.keyed = ctx.keyed;
    return ctx.keyed;
  }

  /** Selects the key of a record of `input`; this operator's state lives in the default namespace, which another user may have moved. */
  protected selectKey(value: unknown, input: number): void {
    this.keyed.setCurrentKey(this.keyed.keyOf(value, input));
    this.keyed.backend.setCurrentNamespace(null);
  }

  /** Event-time joins need a timestamp on every element. */
  protected requireTimestamp(ts: number, what: string): void {
    if (!Number.isFinite(ts)) {
      throw new SluiceError('INVALID_ARGUMENT', `${this.ctx.operatorName}: ${what} (assign them with withWatermarks), got ${ts}`);
    }
  }

  /** A late element goes to `tag` when set, else is dropped and counted. */
  protected late<T>(tag: OutputTag<T> | undefined, value: T, ts: number): void {
    if (tag !== undefined) this.ctx.output.collectSide(tag, value, ts);
    else this.ctx.count(JOIN_LATE_RECORDS_DROPPED);
  }

  collect(value: OUT): void {
    this.ctx.output.collect(value, this.timestamp);
  }

  output<S>(tag: OutputTag<S>, value: S): void {
    this.ctx.output.collectSide(tag, value, this.timestamp);
  }

  getCurrentKey(): K {
    return this.keyed.currentKey() as K;
  }

  abstract currentWatermark(): number;
}
