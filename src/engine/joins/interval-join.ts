// The interval-join builder in Flink's shape, usable without any change to the stream API:
//   intervalJoin(keyedA, keyedB).between('-5s', '5s').process(fn)
// It adds one two-input keyed IntervalJoinOperator through ConnectedStreams.transform, the
// public hook for two-input operators (keyed because both inputs are KeyedStreams).
// KeyedStream.intervalJoin(other) can delegate here in one line (see helpers/H12-JOINS.md).
// May import: errors, engine/api, joins/.
import { SluiceError } from '../../errors.js';
import type { DataStream, KeyedStream, TransformOptions } from '../api/data-stream.js';
import type { OutputTag } from '../api/output-tag.js';
import type { IntervalJoinConfig, ProcessJoinFunction } from './interval-join-operator.js';
import { IntervalJoinOperator, validateIntervalBounds } from './interval-join-operator.js';
import type { SignedDuration } from './signed-duration.js';
import { toSignedMillis } from './signed-duration.js';

export interface JoinOperatorOptions extends TransformOptions {
  /** Operator name in the job graph and metrics. */
  readonly name?: string;
}

/** Starts an interval join of two streams keyed by the same kind of key. */
export function intervalJoin<L, R, K>(left: KeyedStream<L, K>, right: KeyedStream<R, K>): IntervalJoin<L, R, K> {
  return new IntervalJoin<L, R, K>(left, right);
}

export class IntervalJoin<L, R, K> {
  constructor(
    readonly left: KeyedStream<L, K>,
    readonly right: KeyedStream<R, K>,
  ) {
    if (left.graph !== right.graph) throw new SluiceError('INVALID_ARGUMENT', 'interval join: streams belong to different pipelines');
  }

  /**
   * Joins a with every b where a.ts + lower <= b.ts <= a.ts + upper (bounds inclusive by
   * default). Bounds are ms or "5s"-style strings and may be negative ("-5s").
   */
  between(lower: SignedDuration, upper: SignedDuration): IntervalJoined<L, R, K> {
    return new IntervalJoined<L, R, K>(this.left, this.right, toSignedMillis(lower, 'interval join lower bound'), toSignedMillis(upper, 'interval join upper bound'));
  }
}

export class IntervalJoined<L, R, K> {
  private lowerInclusive = true;
  private upperInclusive = true;
  private leftLateTag: OutputTag<L> | undefined;
  private rightLateTag: OutputTag<R> | undefined;

  constructor(
    readonly left: KeyedStream<L, K>,
    readonly right: KeyedStream<R, K>,
    readonly lower: number,
    readonly upper: number,
  ) {
    validateIntervalBounds(lower, upper, true, true);
  }

  lowerBoundExclusive(): this {
    this.lowerInclusive = false;
    return this;
  }

  upperBoundExclusive(): this {
    this.upperInclusive = false;
    return this;
  }

  /** Left elements arriving behind the watermark go to `tag` instead of being dropped and counted. */
  sideOutputLeftLateData(tag: OutputTag<L>): this {
    this.leftLateTag = tag;
    return this;
  }

  sideOutputRightLateData(tag: OutputTag<R>): this {
    this.rightLateTag = tag;
    return this;
  }

  /** Calls `fn` for every matching pair; results carry max(left.ts, right.ts). */
  process<OUT>(fn: ProcessJoinFunction<L, R, OUT, K>, options: JoinOperatorOptions = {}): DataStream<OUT> {
    const config: IntervalJoinConfig<L, R, OUT, K> = {
      lower: this.lower,
      upper: this.upper,
      lowerInclusive: this.lowerInclusive,
      upperInclusive: this.upperInclusive,
      leftLateTag: this.leftLateTag,
      rightLateTag: this.rightLateTag,
      fn,
    };
    // Built once here so a bad configuration fails when the pipeline is defined.
    new IntervalJoinOperator<L, R, OUT, K>(config);
    return this.left
      .connect(this.right)
      .transform<OUT>(options.name ?? 'interval-join', () => new IntervalJoinOperator<L, R, OUT, K>(config), options.uid === undefined ? {} : { uid: options.uid });
  }
}
