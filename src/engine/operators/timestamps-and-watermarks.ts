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
  /** Stamps the batch in place (it is the operator's, see StreamOperator.processBatch) and passes it on. */
  processBatch(values: unknown[], timestamps: number[]): void {
    const out = this.ctx.output;
    for (let i = 0; i < values.length; i++) {
      const ts = this.timestampOf(values[i] as T, timestamps[i] as number);
      this.gen.onEvent(ts);
      timestamps[i] = ts;
    }
    if (values.length > 0) out.collectBatch(values as T[], timestamps);
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
