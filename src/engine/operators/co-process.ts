// connect(...).process(): two inputs into one function. Non-keyed (CoProcessFunction) or,
// when both inputs are keyed, with keyed state and timers (KeyedCoProcessFunction).
// May import: operators/, api/.
import type { CoProcessFunction, KeyedCoProcessFunction } from '../api/functions.js';
import type { OperatorContext } from './operator.js';
import { BaseOperator, perSubtaskCopy } from './base-operator.js';
import { KeyedFunctionOperator } from './keyed-function-operator.js';
import { ProcessOperator } from './process.js';

export class CoProcessOperator<I1, I2, O> extends BaseOperator<O> {
  private inner!: ProcessOperator<unknown, O>;
  private readonly fn: CoProcessFunction<I1, I2, O>;
  constructor(fn: CoProcessFunction<I1, I2, O>) {
    super();
    this.fn = perSubtaskCopy(fn);
  }
  override open(ctx: OperatorContext<O>): void {
    super.open(ctx);
    // Reuse the single-input operator's context for both sides; `input` picks the method.
    let side = 0;
    const fn = this.fn;
    this.inner = new ProcessOperator<unknown, O>({
      open: (c) => fn.open?.(c),
      processElement: (v, c, out) => (side === 0 ? fn.processElement1(v as I1, c, out) : fn.processElement2(v as I2, c, out)),
    });
    this.inner.open(ctx);
    this.setSide = (s) => (side = s);
  }
  private setSide: (s: number) => void = () => undefined;
  processBatch(values: readonly unknown[], timestamps: readonly number[], input: number): void {
    this.setSide(input);
    this.inner.processBatch(values, timestamps);
  }
  close(): void {
    this.fn.close?.();
  }
}

export class KeyedCoProcessOperator<K, I1, I2, O> extends KeyedFunctionOperator<K, O, KeyedCoProcessFunction<K, I1, I2, O>> {
  protected processElement(value: unknown, input: number): void {
    if (input === 0) this.fn.processElement1(value as I1, this.fctx, this.collector);
    else this.fn.processElement2(value as I2, this.fctx, this.collector);
  }
}
