// connect(...).process(): two inputs into one function. Non-keyed (CoProcessFunction) or,
// when both inputs are keyed, with keyed state and timers (KeyedCoProcessFunction).
// May import: operators/, api/.
import type { CoProcessFunction, KeyedCoProcessFunction } from '../api/functions.js';
import type { StateKey } from '../state/types.js';
import type { Triggerable } from '../time/timer-service.js';
import type { OperatorContext } from './operator.js';
import { BaseOperator, TimestampedCollector, perSubtaskCopy } from './base-operator.js';
import { KeyedFunctionContext } from './keyed-function-context.js';
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

export class KeyedCoProcessOperator<K, I1, I2, O> extends BaseOperator<O> implements Triggerable<null> {
  private fctx!: KeyedFunctionContext<K>;
  private collector!: TimestampedCollector<O>;

  private readonly fn: KeyedCoProcessFunction<K, I1, I2, O>;
  constructor(fn: KeyedCoProcessFunction<K, I1, I2, O>) {
    super();
    this.fn = perSubtaskCopy(fn);
  }
  override open(ctx: OperatorContext<O>): void {
    super.open(ctx);
    this.fctx = new KeyedFunctionContext<K>(ctx as OperatorContext<unknown>);
    this.fctx.timers = this.fctx.keyed.timerService<null>('user-timers', this);
    this.collector = new TimestampedCollector(ctx.output);
    this.fn.open?.(this.fctx);
  }
  processBatch(values: readonly unknown[], timestamps: readonly number[], input: number): void {
    const keyed = this.fctx.keyed;
    const f = this.fctx;
    const c = this.collector;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      keyed.setCurrentKey(keyed.keyOf(v, input));
      f.timestamp = c.timestamp = timestamps[i] as number;
      if (input === 0) this.fn.processElement1(v as I1, f, c);
      else this.fn.processElement2(v as I2, f, c);
    }
  }
  onEventTime(time: number, _key: StateKey): void {
    this.fire(time, 'event');
  }
  onProcessingTime(time: number, _key: StateKey): void {
    this.fire(time, 'processing');
  }
  private fire(time: number, domain: 'event' | 'processing'): void {
    if (!this.fn.onTimer) return;
    this.fctx.timestamp = this.collector.timestamp = time;
    this.fctx.timeDomain = domain;
    this.fn.onTimer(time, this.fctx, this.collector);
  }
  close(): void {
    this.fn.close?.();
  }
}
