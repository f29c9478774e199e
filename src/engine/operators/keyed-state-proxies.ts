// State handles given to user functions. Subtasks of one operator may share a thread and a
// user function often keeps its handles in a closure shared by all of them, so a handle must
// not be bound to one subtask's backend: these resolve the backend of the subtask currently
// running the operator (the runtime sets `slot.current` on every entry) and cache the
// backend's own handle, so the hot path costs one comparison.
// May import: state/types.ts, operators/operator.ts, api/functions.ts (types).
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  KeyedStateBackend,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  MergingState,
  ReducingState,
  ReducingStateDescriptor,
  ValueState,
  ValueStateDescriptor,
} from '../state/types.js';
import type { KeyedStateAccess } from '../api/functions.js';
import type { KeyedServices } from './operator.js';

export interface BackendSlot {
  current: KeyedStateBackend;
}

class Resolver<S> {
  private b: KeyedStateBackend | undefined;
  private s: S | undefined;
  constructor(
    private readonly slot: BackendSlot,
    private readonly make: (b: KeyedStateBackend) => S,
  ) {}
  get(): S {
    const b = this.slot.current;
    if (b !== this.b) {
      this.b = b;
      this.s = this.make(b);
    }
    return this.s as S;
  }
}

export class ValueStateProxy<T> implements ValueState<T> {
  private readonly r: Resolver<ValueState<T>>;
  constructor(slot: BackendSlot, d: ValueStateDescriptor<T>) {
    this.r = new Resolver(slot, (b) => b.getValueState(d));
  }
  value(): T | undefined {
    return this.r.get().value();
  }
  update(value: T | undefined): void {
    this.r.get().update(value);
  }
  clear(): void {
    this.r.get().clear();
  }
}

export class ListStateProxy<T> implements ListState<T> {
  private readonly r: Resolver<ListState<T>>;
  constructor(slot: BackendSlot, d: ListStateDescriptor<T>) {
    this.r = new Resolver(slot, (b) => b.getListState(d));
  }
  get(): readonly T[] {
    return this.r.get().get();
  }
  add(value: T): void {
    this.r.get().add(value);
  }
  addAll(values: readonly T[]): void {
    this.r.get().addAll(values);
  }
  update(values: readonly T[]): void {
    this.r.get().update(values);
  }
  clear(): void {
    this.r.get().clear();
  }
}

export class MapStateProxy<K, V> implements MapState<K, V> {
  private readonly r: Resolver<MapState<K, V>>;
  constructor(slot: BackendSlot, d: MapStateDescriptor<K, V>) {
    this.r = new Resolver(slot, (b) => b.getMapState(d));
  }
  get(key: K): V | undefined {
    return this.r.get().get(key);
  }
  put(key: K, value: V): void {
    this.r.get().put(key, value);
  }
  putAll(entries: Iterable<readonly [K, V]>): void {
    this.r.get().putAll(entries);
  }
  remove(key: K): void {
    this.r.get().remove(key);
  }
  contains(key: K): boolean {
    return this.r.get().contains(key);
  }
  entries(): Array<[K, V]> {
    return this.r.get().entries();
  }
  keys(): K[] {
    return this.r.get().keys();
  }
  values(): V[] {
    return this.r.get().values();
  }
  isEmpty(): boolean {
    return this.r.get().isEmpty();
  }
  clear(): void {
    this.r.get().clear();
  }
}

/** Reducing and aggregating state: both are merging state (get, add, clear). */
class MergingStateProxy<IN, OUT> implements MergingState<IN, OUT> {
  private readonly r: Resolver<MergingState<IN, OUT>>;
  constructor(slot: BackendSlot, make: (b: KeyedStateBackend) => MergingState<IN, OUT>) {
    this.r = new Resolver(slot, make);
  }
  get(): OUT | undefined {
    return this.r.get().get();
  }
  add(value: IN): void {
    this.r.get().add(value);
  }
  clear(): void {
    this.r.get().clear();
  }
}

/**
 * Keyed state access for user functions. Each getter registers the descriptor on this
 * subtask's backend at once (so a wrong descriptor fails in open()) and returns a proxy that
 * follows the running subtask.
 */
export class ProxiedStateAccess implements KeyedStateAccess {
  constructor(readonly keyed: KeyedServices) {}

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
    return new MergingStateProxy(this.keyed.slot, (b) => b.getReducingState(d));
  }
  getAggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    this.keyed.backend.getAggregatingState(d);
    return new MergingStateProxy(this.keyed.slot, (b) => b.getAggregatingState(d));
  }
}
