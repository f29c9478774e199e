// Shared plumbing for operators: keeps the context, forwards watermarks unchanged, and
// provides the reusable collector that stamps outputs with the current record's timestamp.
// May import: operators/operator.ts, api/functions.ts.
import type { Collector } from '../api/functions.js';
import type { OperatorContext, Output, StreamOperator } from './operator.js';
import { SluiceError } from '../../errors.js';

export abstract class BaseOperator<OUT> implements StreamOperator<OUT> {
  private ctxRef: OperatorContext<OUT> | undefined;

  get ctx(): OperatorContext<OUT> {
    if (!this.ctxRef) throw new SluiceError('INTERNAL', 'operator used before open()');
    return this.ctxRef;
  }

  open(ctx: OperatorContext<OUT>): void {
    this.ctxRef = ctx;
  }

  abstract processBatch(values: unknown[], timestamps: number[], input: number): void;

  processWatermark(watermark: number): void {
    this.ctx.output.emitWatermark(watermark);
  }
}

/** A Collector that emits with the timestamp it was last set to (one per operator, reused). */
export class TimestampedCollector<T> implements Collector<T> {
  timestamp = 0;
  constructor(private readonly output: Output<T>) {}
  collect(value: T): void {
    this.output.collect(value, this.timestamp);
  }
}

/**
 * A shallow copy of a user function object for one subtask. Subtasks of one job may share a
 * thread, and functions keep per-subtask fields (state handles set in open()), so each
 * subtask gets its own copy, as each Flink subtask gets its own deserialized instance.
 */
export function perSubtaskCopy<F extends object>(fn: F): F {
  return Object.assign(Object.create(Object.getPrototypeOf(fn) as object) as F, fn);
}
