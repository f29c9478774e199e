// flatMap: zero or more outputs per input through a Collector (no array per record).
// May import: operators/base-operator.ts, api/functions.ts.
import type { FlatMapFunction } from '../api/functions.js';
import type { OperatorContext } from './operator.js';
import { BaseOperator, TimestampedCollector } from './base-operator.js';

export class FlatMapOperator<I, O> extends BaseOperator<O> {
  private collector!: TimestampedCollector<O>;
  constructor(private readonly fn: FlatMapFunction<I, O>) {
    super();
  }
  override open(ctx: OperatorContext<O>): void {
    super.open(ctx);
    this.collector = new TimestampedCollector(ctx.output);
  }
  processBatch(values: readonly unknown[], timestamps: readonly number[]): void {
    const c = this.collector;
    for (let i = 0; i < values.length; i++) {
      c.timestamp = timestamps[i] as number;
      this.fn(values[i] as I, c);
    }
  }
}
