// What the keyed user-function operators (keyed process, keyed co-process, keyed broadcast
// process) share: one KeyedFunctionContext and one collector per operator, the function's
// timers under 'user-timers', the loop that selects each record's key and timestamp, and
// onTimer dispatch. A subclass says only how an element of each input reaches its function.
// May import: operators/, api/ types, time/.
import type { Collector, KeyedRuntimeContext, OnTimerContext } from '../api/functions.js';
import type { StateKey } from '../state/types.js';
import type { Triggerable } from '../time/timer-service.js';
import type { OperatorContext } from './operator.js';
import { BaseOperator, TimestampedCollector, perSubtaskCopy } from './base-operator.js';
import { KeyedFunctionContext } from './keyed-function-context.js';

/** The parts of every keyed function the shared code calls. */
export interface KeyedTimerFunction<K, O> {
  open?(ctx: KeyedRuntimeContext): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
  close?(): void;
}

export abstract class KeyedFunctionOperator<K, O, F extends KeyedTimerFunction<K, O>, C extends KeyedFunctionContext<K> = KeyedFunctionContext<K>>
  extends BaseOperator<O>
  implements Triggerable<null>
{
  protected fctx!: C;
  protected collector!: TimestampedCollector<O>;
  protected readonly fn: F;

  constructor(fn: F) {
    super();
    this.fn = perSubtaskCopy(fn);
  }

  /** The context the function sees; a subclass may add to it (broadcast state). */
  protected createContext(ctx: OperatorContext<unknown>): C {
    return new KeyedFunctionContext<K>(ctx) as C;
  }

  /** Calls the function for one element of `input`; key and timestamp are already set. */
  protected abstract processElement(value: unknown, input: number): void;

  override open(ctx: OperatorContext<O>): void {
    super.open(ctx);
    const f = this.createContext(ctx as OperatorContext<unknown>);
    f.timers = f.keyed.timerService<null>('user-timers', this);
    this.fctx = f;
    this.collector = new TimestampedCollector(ctx.output);
    this.fn.open?.(f);
  }

  processBatch(values: readonly unknown[], timestamps: readonly number[], input: number): void {
    const f = this.fctx;
    const keyed = f.keyed;
    const c = this.collector;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      keyed.setCurrentKey(keyed.keyOf(v, input));
      f.timestamp = c.timestamp = timestamps[i] as number;
      this.processElement(v, input);
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
