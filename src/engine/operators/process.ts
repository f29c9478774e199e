// process on a non-keyed stream: a ProcessFunction with side outputs but no keyed state or timers.
// May import: operators/base-operator.ts, api/.
import type { ProcessContext, ProcessFunction } from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import type { OperatorContext } from './operator.js';
import { BaseOperator, TimestampedCollector, perSubtaskCopy } from './base-operator.js';

export class ProcessOperator<I, O> extends BaseOperator<O> implements ProcessContext {
  private collector!: TimestampedCollector<O>;
  timestamp = 0;

  private readonly fn: ProcessFunction<I, O>;
  constructor(fn: ProcessFunction<I, O>) {
    super();
    this.fn = perSubtaskCopy(fn);
  }
  override open(ctx: OperatorContext<O>): void {
    super.open(ctx);
    this.collector = new TimestampedCollector(ctx.output);
    this.fn.open?.({ subtaskIndex: ctx.subtaskIndex, parallelism: ctx.parallelism, operatorName: ctx.operatorName });
  }
  processBatch(values: readonly unknown[], timestamps: readonly number[]): void {
    for (let i = 0; i < values.length; i++) {
      this.timestamp = this.collector.timestamp = timestamps[i] as number;
      this.fn.processElement(values[i] as I, this, this.collector);
    }
  }
  output<S>(tag: OutputTag<S>, value: S): void {
    this.ctx.output.collectSide(tag, value, this.timestamp);
  }
  currentWatermark(): number {
    return this.ctx.currentWatermark();
  }
  currentProcessingTime(): number {
    return this.ctx.clock.now();
  }
  close(): void {
    this.fn.close?.();
  }
}
