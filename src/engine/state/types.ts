// Public interfaces of keyed state (design decision 6): what operators, windows and the
// runtime program against. Backends (heap, LMDB) implement KeyedStateBackend; everything
// else in the engine imports only this file (plus key-group.ts for routing).
// May import: errors only. Must not import runtime/operators/windowing (they import us).

/**
 * A key or namespace as state sees it: string, number (0 and -0 are one key), bigint,
 * boolean, null, undefined, or arrays / objects of these (objects by their own enumerable
 * string properties, in sorted order, so `{a:1,b:2}` and `{b:2,a:1}` are the same key and
 * a class instance is encoded like a plain object). Anything else (functions, symbols,
 * Maps, Dates) is rejected with SluiceError INVALID_ARGUMENT. Values taken back from a
 * backend (keys(), snapshot restore) come back as plain objects/arrays.
 */
export type StateKey = unknown;

/** The namespace used when an operator never calls setCurrentNamespace (non-window state). */
export const DEFAULT_NAMESPACE: StateKey = null;

// ---------------------------------------------------------------------------------------
// Aggregate function: one shape for the whole engine (windowing imports it from here).
// ---------------------------------------------------------------------------------------

/**
 * Incremental aggregation, as in Flink. `add` and `merge` may mutate and return their
 * accumulator argument (the heap backend keeps the returned object; the LMDB backend
 * serializes it), so an accumulator must be msgpack-serializable (plain data) when state is
 * durable or snapshotted.
 */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  merge(a: ACC, b: ACC): ACC;
  getResult(accumulator: ACC): OUT;
}

/** Combines two values of the same type; used by ReducingState. */
export type ReduceFunction<T> = (a: T, b: T) => T;

// ---------------------------------------------------------------------------------------
// TTL
// ---------------------------------------------------------------------------------------

export type TtlUpdateType = 'OnCreateAndWrite' | 'OnReadAndWrite';
export type TtlVisibility = 'NeverReturnExpired';

/**
 * Time to live by processing time (the backend's injected clock). An entry expires once
 * `now >= lastTimestamp + ttlMs`; expired entries are never returned, are removed lazily on
 * access and are never written into snapshots.
 */
export interface StateTtlConfig {
  readonly ttlMs: number;
  /** Which accesses refresh the timestamp. Default OnCreateAndWrite. */
  readonly updateType?: TtlUpdateType;
  /** Only NeverReturnExpired is supported (the default). */
  readonly visibility?: TtlVisibility;
}

// ---------------------------------------------------------------------------------------
// Descriptors (build them with the helpers in descriptors.ts: valueStateDescriptor(...)).
// A state name is unique per backend: asking again with the same name and kind returns the
// same state object; the same name with another kind is a STATE_ERROR.
// ---------------------------------------------------------------------------------------

export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

interface StateDescriptorBase {
  readonly name: string;
  readonly ttl?: StateTtlConfig;
}

export interface ValueStateDescriptor<T> extends StateDescriptorBase {
  readonly kind: 'value';
  /** Returned by value() when there is no (unexpired) value. Not copied: keep it immutable. */
  readonly defaultValue?: T;
}

export interface ListStateDescriptor<T> extends StateDescriptorBase {
  readonly kind: 'list';
  /** Type witness only; never set. */
  readonly __element?: T;
}

export interface MapStateDescriptor<K, V> extends StateDescriptorBase {
  readonly kind: 'map';
  readonly __entry?: [K, V];
}

export interface ReducingStateDescriptor<T> extends StateDescriptorBase {
  readonly kind: 'reducing';
  readonly reduce: ReduceFunction<T>;
}

export interface AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptorBase {
  readonly kind: 'aggregating';
  readonly aggregate: AggregateFunction<IN, ACC, OUT>;
}

export type AnyStateDescriptor =
  | ValueStateDescriptor<unknown>
  | ListStateDescriptor<unknown>
  | MapStateDescriptor<unknown, unknown>
  | ReducingStateDescriptor<unknown>
  | AggregatingStateDescriptor<unknown, unknown, unknown>;

// ---------------------------------------------------------------------------------------
// State handles. Every call acts on the backend's CURRENT key and namespace, so one handle
// is created once (in open()) and used for every record. Calls are synchronous.
// ---------------------------------------------------------------------------------------

export interface State {
  /** Removes the value for the current key and namespace. */
  clear(): void;
}

export interface ValueState<T> extends State {
  /** The value, or the descriptor's defaultValue (undefined if none). */
  value(): T | undefined;
  /** Sets the value; `undefined` clears it. */
  update(value: T | undefined): void;
}

/** State that values are added to and that can be merged across namespaces. */
export interface MergingState<IN, OUT> extends State {
  /** undefined when empty (list state returns an empty array instead). */
  get(): OUT | undefined;
  add(value: IN): void;
}

export interface ListState<T> extends MergingState<T, readonly T[]> {
  /** The elements in insertion order; an empty array when none. Do not mutate it. */
  get(): readonly T[];
  addAll(values: readonly T[]): void;
  /** Replaces the whole list (an empty array clears). */
  update(values: readonly T[]): void;
}

export type ReducingState<T> = MergingState<T, T>;

export type AggregatingState<IN, OUT> = MergingState<IN, OUT>;

export interface MapState<K, V> extends State {
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  putAll(entries: Iterable<readonly [K, V]>): void;
  remove(key: K): void;
  contains(key: K): boolean;
  /** A stable copy (safe to modify the state while iterating it). Order is unspecified. */
  entries(): Array<[K, V]>;
  keys(): K[];
  values(): V[];
  isEmpty(): boolean;
}

// ---------------------------------------------------------------------------------------
// Key groups
// ---------------------------------------------------------------------------------------

/** Inclusive range of key groups [start, end] owned by one subtask (as in Flink). */
export interface KeyGroupRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The state of ONE key group in one backend, self-describing (magic, format version,
 * maxParallelism, key group, every state's name, kind and entries). A checkpoint stores
 * these per key group, so restore can reassemble them at any parallelism.
 */
export interface KeyGroupSnapshot {
  readonly keyGroup: number;
  readonly maxParallelism: number;
  /** msgpack bytes; see snapshot-format.ts. */
  readonly bytes: Uint8Array;
}

// ---------------------------------------------------------------------------------------
// The backend
// ---------------------------------------------------------------------------------------

export interface KeyedStateBackendOptions {
  /** Number of key groups; fixed for the life of a job. Default 128. */
  readonly maxParallelism?: number;
  /** Key groups this backend owns. Default: all, [0, maxParallelism - 1]. */
  readonly keyGroupRange?: KeyGroupRange;
  /** Processing-time clock in ms for TTL. Default Date.now. */
  readonly clock?: () => number;
}

/**
 * Keyed state of one operator subtask. The runtime calls setCurrentKey before handing a
 * record to the operator; window operators additionally set the namespace (the window).
 * Not thread-safe and not reentrant: one task drives one backend.
 */
export interface KeyedStateBackend {
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;

  /**
   * Selects the key all state handles act on. `keyGroup` is keyGroupFor(key,
   * maxParallelism) — pass it when the runtime already computed it for routing; it is
   * computed otherwise. A key outside keyGroupRange is a STATE_ERROR.
   */
  setCurrentKey(key: StateKey, keyGroup?: number): void;
  getCurrentKey(): StateKey;
  getCurrentKeyGroup(): number;
  /** Selects the namespace (a window); DEFAULT_NAMESPACE until set. */
  setCurrentNamespace(namespace: StateKey): void;
  getCurrentNamespace(): StateKey;

  getValueState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(
    descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
  ): AggregatingState<IN, OUT>;

  /**
   * For the current key, merges the state `stateName` of every source namespace into
   * `target` and clears the sources (session-window merging). Valid for list, reducing and
   * aggregating state (list: target elements first, then each source's in order; reducing:
   * reduce; aggregating: AggregateFunction.merge). Missing sources are skipped.
   */
  mergeNamespaces(stateName: string, target: StateKey, sources: readonly StateKey[]): void;

  /**
   * The keys (in this backend's range) that have state `stateName`, in any namespace or only
   * in `namespace` when given. A stable copy: the caller may set keys and modify state
   * while using it. Expired TTL entries are not reported.
   */
  keys(stateName: string, namespace?: StateKey): StateKey[];

  /** Names of the states registered so far (or restored). */
  stateNames(): string[];

  /**
   * Serializes the key groups in `range` (default: keyGroupRange), one snapshot per key
   * group that holds any state. Expired TTL entries are dropped. Synchronous: the runtime
   * calls it while the task is paused on the checkpoint barrier.
   */
  snapshot(range?: KeyGroupRange): KeyGroupSnapshot[];

  /**
   * Replaces this backend's state with the given snapshots, keeping only those whose key
   * group lies in keyGroupRange (so a checkpoint taken at any parallelism can be handed to
   * every new subtask in full). Bad bytes are a STATE_ERROR and leave the backend empty.
   * maxParallelism must match (key groups cannot be re-split).
   */
  restore(snapshots: Iterable<KeyGroupSnapshot>): void;

  /** Releases memory / closes files. Further calls are a STATE_ERROR. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// Operator (non-keyed) state, for sources and sinks (e.g. partition offsets).
// ---------------------------------------------------------------------------------------

/**
 * How operator list state is handed out when a job is restored at another parallelism:
 * 'split' deals the union of all subtasks' elements round-robin over the new subtasks;
 * 'union' gives every new subtask all elements (as Flink's getUnionListState);
 * 'broadcast' is for state every subtask holds identically (broadcast state): each new
 * subtask gets one old subtask's copy, so nothing is duplicated.
 */
export type OperatorStateMode = 'split' | 'union' | 'broadcast';

export interface OperatorStateSnapshot {
  /** state name -> mode and elements of this subtask. */
  readonly states: Readonly<Record<string, { readonly mode: OperatorStateMode; readonly elements: readonly unknown[] }>>;
}

export interface OperatorStateStore {
  getListState<T>(name: string, mode?: OperatorStateMode): OperatorListState<T>;
  snapshot(): OperatorStateSnapshot;
}

export interface OperatorListState<T> {
  get(): readonly T[];
  add(value: T): void;
  update(values: readonly T[]): void;
  clear(): void;
}
