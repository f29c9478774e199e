// map: one output per input, timestamps kept. Writes the results over its input batch (the
// batch is the operator's, see StreamOperator.processBatch) and passes it on.
// May import: operators/base-operator.ts, api/functions.ts.
import type { MapFunction } from '../api/functions.js';
import { BaseOperator } from './base-operator.js';

export class MapOperator<I, O> extends BaseOperator<O> {
  constructor(private readonly fn: MapFunction<I, O>) {
    super();
  }
  processBatch(values: unknown[], timestamps: number[]): void {
    const fn = this.fn;
    for (let i = 0; i < values.length; i++) values[i] = fn(values[i] as I);
    if (values.length > 0) this.ctx.output.collectBatch(values as O[], timestamps);
  }
}
