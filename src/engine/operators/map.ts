// map: one output per input, timestamps kept.
// May import: operators/base-operator.ts, api/functions.ts.
import type { MapFunction } from '../api/functions.js';
import { BaseOperator } from './base-operator.js';

export class MapOperator<I, O> extends BaseOperator<O> {
  constructor(private readonly fn: MapFunction<I, O>) {
    super();
  }
  processBatch(values: readonly unknown[], timestamps: readonly number[]): void {
    const out = this.ctx.output;
    const fn = this.fn;
    for (let i = 0; i < values.length; i++) out.collect(fn(values[i] as I), timestamps[i] as number);
  }
}
