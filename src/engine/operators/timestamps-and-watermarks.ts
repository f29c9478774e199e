// withWatermarks() placed after other operators: assigns event timestamps and emits this
// subtask's watermark after each batch (its upstream watermarks are ignored, as in Flink).
// May import: operators/base-operator.ts, time/.
import type { WatermarkGenerator, WatermarkStrategy } from '../time/watermark-strategy.js';
import type { OperatorContext } from './operator.js';
import { BaseOperator } from './base-operator.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../time/watermark.js';

export class TimestampsAndWatermarksOperator<T> extends BaseOperator<T> {
  private gen!: WatermarkGenerator;
  private emitted = MIN_WATERMARK;

  constructor(
    private readonly timestampOf: (value: T, recordTimestamp: number) => number,
    private readonly strategy: WatermarkStrategy,
  ) {
    super();
  }
  override open(ctx: OperatorContext<T>): void {
    super.open(ctx);
    this.gen = this.strategy.createGenerator();
  }
  processBatch(values: readonly unknown[], timestamps: readonly number[]): void {
    const out = this.ctx.output;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as T;
      const ts = this.timestampOf(v, timestamps[i] as number);
      this.gen.onEvent(ts);
      out.collect(v, ts);
    }
    const w = this.gen.current();
    if (w > this.emitted) {
      this.emitted = w;
      out.emitWatermark(w);
    }
  }
  override processWatermark(watermark: number): void {
    // Only the end-of-input watermark passes through; the rest are replaced by ours.
    if (watermark === MAX_WATERMARK) this.ctx.output.emitWatermark(watermark);
  }
}
