// process on a KeyedStream: a KeyedProcessFunction with keyed state, event/processing-time
// timers per key, and side outputs. Output records carry the input record's timestamp, or
// the timer's time from onTimer.
// May import: operators/, api/.
import type { KeyedProcessFunction } from '../api/functions.js';
import type { StateKey } from '../state/types.js';
import type { Triggerable } from '../time/timer-service.js';
import type { OperatorContext } from './operator.js';
import { BaseOperator, TimestampedCollector, perSubtaskCopy } from './base-operator.js';
import { KeyedFunctionContext } from './keyed-function-context.js';

export class KeyedProcessOperator<K, I, O> extends BaseOperator<O> implements Triggerable<null> {
  private fctx!: KeyedFunctionContext<K>;
  private collector!: TimestampedCollector<O>;

  private readonly fn: KeyedProcessFunction<K, I, O>;
  constructor(fn: KeyedProcessFunction<K, I, O>) {
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

  processBatch(values: readonly unknown[], timestamps: readonly number[]): void {
    const keyed = this.fctx.keyed;
    const c = this.collector;
    const f = this.fctx;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      keyed.setCurrentKey(keyed.keyOf(v, 0));
      f.timestamp = c.timestamp = timestamps[i] as number;
      this.fn.processElement(v as I, f, c);
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
