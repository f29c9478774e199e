// The context object keyed user functions see (process, co-process, broadcast-process): keyed
// state access, timers of the current key, side outputs. One instance per operator, reused
// for every record and timer: set `timestamp`/`timeDomain` before calling the function.
// May import: operators/operator.ts, api/, state/types.ts, time/.
import type { KeyedRuntimeContext, OnTimerContext, TimerService } from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  ValueState,
  ValueStateDescriptor,
} from '../state/types.js';
import type { InternalTimerService } from '../time/timer-service.js';
import type { KeyedServices, OperatorContext } from './operator.js';
import { SluiceError } from '../../errors.js';
import { AggregatingStateProxy, ListStateProxy, MapStateProxy, ReducingStateProxy, ValueStateProxy } from './keyed-state-proxies.js';

export class KeyedFunctionContext<K> implements OnTimerContext<K>, TimerService, KeyedRuntimeContext {
  timestamp = 0;
  timeDomain: 'event' | 'processing' = 'event';
  readonly keyed: KeyedServices;
  timers!: InternalTimerService<null>;

  constructor(private readonly op: OperatorContext<unknown>) {
    if (!op.keyed) throw new SluiceError('INVALID_ARGUMENT', `${op.operatorName}: keyed functions need a keyed stream (call keyBy first)`);
    this.keyed = op.keyed;
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

  // Registered on this subtask's backend at once (so a wrong descriptor fails in open()),
  // used through proxies that follow the running subtask.
  getState<T>(d: ValueStateDescriptor<T>): ValueState<T> {
    this.keyed.backend.getValueState(d);
    return new ValueStateProxy(this.keyed.slot, d);
  }
  getListState<T>(d: ListStateDescriptor<T>): ListState<T> {
    this.keyed.backend.getListState(d);
    return new ListStateProxy(this.keyed.slot, d);
  }
  getMapState<MK, V>(d: MapStateDescriptor<MK, V>): MapState<MK, V> {
    this.keyed.backend.getMapState(d);
    return new MapStateProxy(this.keyed.slot, d);
  }
  getReducingState<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    this.keyed.backend.getReducingState(d);
    return new ReducingStateProxy(this.keyed.slot, d);
  }
  getAggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    this.keyed.backend.getAggregatingState(d);
    return new AggregatingStateProxy(this.keyed.slot, d);
  }
}
