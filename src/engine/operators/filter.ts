// filter: keeps the records the predicate accepts, compacting its input batch in place (the
// batch is the operator's, see StreamOperator.processBatch): no batch of its own per input batch.
// A lent batch (the same batch also goes to other receivers: one stream split by several
// filters) is read, and only what passes is collected.
// May import: operators/base-operator.ts, api/functions.ts.
import type { FilterFunction } from '../api/functions.js';
import { BaseOperator } from './base-operator.js';

export class FilterOperator<T> extends BaseOperator<T> {
  constructor(private readonly fn: FilterFunction<T>) {
    super();
  }
  processBatch(values: unknown[], timestamps: number[]): void {
    const fn = this.fn;
    const n = values.length;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i] as T;
      if (fn(v)) {
        values[kept] = v;
        timestamps[kept] = timestamps[i] as number;
        kept++;
      }
    }
    if (kept === 0) return;
    values.length = kept;
    timestamps.length = kept;
    this.ctx.output.collectBatch(values as T[], timestamps);
  }
  processLentBatch(values: readonly unknown[], timestamps: readonly number[]): void {
    const fn = this.fn;
    const out = this.ctx.output;
    const n = values.length;
    for (let i = 0; i < n; i++) {
      const v = values[i] as T;
      if (fn(v)) out.collect(v, timestamps[i] as number);
    }
  }
}
