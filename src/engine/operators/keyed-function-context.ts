// The context object keyed user functions see (process, co-process, broadcast-process): keyed
// state access, timers of the current key, side outputs. One instance per operator, reused
// for every record and timer: set `timestamp`/`timeDomain` before calling the function.
// May import: operators/operator.ts, api/, state/types.ts, time/.
import type { KeyedRuntimeContext, OnTimerContext, TimerService } from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import type { InternalTimerService } from '../time/timer-service.js';
import type { KeyedServices, OperatorContext } from './operator.js';
import { SluiceError } from '../../errors.js';
import { ProxiedStateAccess } from './keyed-state-proxies.js';

function keyedServicesOf(op: OperatorContext<unknown>): KeyedServices {
  if (!op.keyed) throw new SluiceError('INVALID_ARGUMENT', `${op.operatorName}: keyed functions need a keyed stream (call keyBy first)`);
  return op.keyed;
}

export class KeyedFunctionContext<K> extends ProxiedStateAccess implements OnTimerContext<K>, TimerService, KeyedRuntimeContext {
  timestamp = 0;
  timeDomain: 'event' | 'processing' = 'event';
  timers!: InternalTimerService<null>;

  constructor(private readonly op: OperatorContext<unknown>) {
    super(keyedServicesOf(op));
  }
  get subtaskIndex(): number {
    return this.op.subtaskIndex;
  }
  get parallelism(): number {
    return this.op.parallelism;
  }
  get operatorName(): string {
    return this.op.operatorName;
  }
  get timerService(): TimerService {
    return this;
  }

  getCurrentKey(): K {
    return this.keyed.currentKey() as K;
  }
  output<S>(tag: OutputTag<S>, value: S): void {
    this.op.output.collectSide(tag, value, this.timestamp);
  }
  currentWatermark(): number {
    return this.op.currentWatermark();
  }
  currentProcessingTime(): number {
    return this.op.clock.now();
  }
  registerEventTimeTimer(time: number): void {
    this.timers.registerEventTimeTimer(null, time);
  }
  registerProcessingTimeTimer(time: number): void {
    this.timers.registerProcessingTimeTimer(null, time);
  }
  deleteEventTimeTimer(time: number): void {
    this.timers.deleteEventTimeTimer(null, time);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.timers.deleteProcessingTimeTimer(null, time);
  }
}
