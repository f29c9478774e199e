// process on a KeyedStream: a KeyedProcessFunction with keyed state, event/processing-time
// timers per key, and side outputs. Output records carry the input record's timestamp, or
// the timer's time from onTimer.
// May import: operators/, api/.
import type { KeyedProcessFunction } from '../api/functions.js';
import { KeyedFunctionOperator } from './keyed-function-operator.js';

export class KeyedProcessOperator<K, I, O> extends KeyedFunctionOperator<K, O, KeyedProcessFunction<K, I, O>> {
  protected processElement(value: unknown): void {
    this.fn.processElement(value as I, this.fctx, this.collector);
  }
}
