// The user-facing function interfaces, named as in Flink so a Flink user recognises them.
// Functions are plain objects (or arrow functions for map/filter/flatMap); contexts passed
// to them are reused between records, so do not keep a context beyond the call.
// May import: api/output-tag.ts, state/types.ts, time/.
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
import type { OutputTag } from './output-tag.js';

export interface Collector<T> {
  /** Emits a record with the timestamp of the record (or timer) being processed. */
  collect(value: T): void;
}

export type MapFunction<I, O> = (value: I) => O;
export type FilterFunction<I> = (value: I) => boolean;
export type FlatMapFunction<I, O> = (value: I, out: Collector<O>) => void;

export interface TimerService {
  currentWatermark(): number;
  currentProcessingTime(): number;
  registerEventTimeTimer(time: number): void;
  registerProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
}

/** Keyed state access; call in open() and keep the handles (they follow the current key). */
export interface KeyedStateAccess {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
}

export interface RuntimeContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly operatorName: string;
}

export interface KeyedRuntimeContext extends RuntimeContext, KeyedStateAccess {}

export interface ProcessContext {
  /** Event timestamp of the current record (NO_TIMESTAMP when none). */
  readonly timestamp: number;
  output<S>(tag: OutputTag<S>, value: S): void;
  currentWatermark(): number;
  currentProcessingTime(): number;
}

export interface KeyedProcessContext<K> extends ProcessContext {
  getCurrentKey(): K;
  readonly timerService: TimerService;
}

export interface OnTimerContext<K> extends KeyedProcessContext<K> {
  readonly timeDomain: 'event' | 'processing';
}

export interface ProcessFunction<I, O> {
  open?(ctx: RuntimeContext): void;
  processElement(value: I, ctx: ProcessContext, out: Collector<O>): void;
  close?(): void;
}

export interface KeyedProcessFunction<K, I, O> {
  open?(ctx: KeyedRuntimeContext): void;
  processElement(value: I, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
  close?(): void;
}

export interface CoProcessFunction<I1, I2, O> {
  open?(ctx: RuntimeContext): void;
  processElement1(value: I1, ctx: ProcessContext, out: Collector<O>): void;
  processElement2(value: I2, ctx: ProcessContext, out: Collector<O>): void;
  close?(): void;
}

export interface KeyedCoProcessFunction<K, I1, I2, O> {
  open?(ctx: KeyedRuntimeContext): void;
  processElement1(value: I1, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  processElement2(value: I2, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
  close?(): void;
}

/** Broadcast state as the non-broadcast side sees it. */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  entries(): IterableIterator<[K, V]>;
}

export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  remove(key: K): void;
  clear(): void;
}

export interface ReadOnlyBroadcastContext extends ProcessContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}

export interface BroadcastContext extends ProcessContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V>;
}

export interface KeyedReadOnlyBroadcastContext<K> extends ReadOnlyBroadcastContext {
  getCurrentKey(): K;
  readonly timerService: TimerService;
}

export interface BroadcastProcessFunction<I, B, O> {
  open?(ctx: RuntimeContext): void;
  processElement(value: I, ctx: ReadOnlyBroadcastContext, out: Collector<O>): void;
  processBroadcastElement(value: B, ctx: BroadcastContext, out: Collector<O>): void;
  close?(): void;
}

export interface KeyedBroadcastProcessFunction<K, I, B, O> {
  open?(ctx: KeyedRuntimeContext): void;
  processElement(value: I, ctx: KeyedReadOnlyBroadcastContext<K>, out: Collector<O>): void;
  processBroadcastElement(value: B, ctx: BroadcastContext, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
  close?(): void;
}
