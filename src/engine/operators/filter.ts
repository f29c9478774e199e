// filter: keeps the records the predicate accepts.
// May import: operators/base-operator.ts, api/functions.ts.
import type { FilterFunction } from '../api/functions.js';
import { BaseOperator } from './base-operator.js';

export class FilterOperator<T> extends BaseOperator<T> {
  constructor(private readonly fn: FilterFunction<T>) {
    super();
  }
  processBatch(values: readonly unknown[], timestamps: readonly number[]): void {
    const out = this.ctx.output;
    const fn = this.fn;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as T;
      if (fn(v)) out.collect(v, timestamps[i] as number);
    }
  }
}
