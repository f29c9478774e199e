// The operator contract of the runtime (design decision 4): an operator receives BATCHES
// (parallel arrays of values and event timestamps, handed over: see processBatch) and emits
// through an Output that buffers and hands whole batches to the next operator synchronously.
// No Promise per record anywhere in here.
//
// Keyed operators get a KeyedServices object: the state backend (H6's KeyedStateBackend),
// setCurrentKey (which also selects the timer key), and timer services with namespaces.
// May import: api/output-tag.ts, time/, state/types.ts.
import type { OutputTag } from '../api/output-tag.js';
import type { KeyedStateBackend, OperatorStateStore, StateKey } from '../state/types.js';
import type { Clock } from '../time/clock.js';
import type { InternalTimerService, NamespaceSerializer, Triggerable } from '../time/timer-service.js';

/** Where an operator sends its results. Buffered; the runtime flushes after each input batch. */
export interface Output<T> {
  collect(value: T, timestamp: number): void;
  /**
   * Hands a whole batch on as it is: the arrays become the output's (the caller must not
   * touch them again). What a stateless operator that rewrote its input in place calls.
   */
  collectBatch(values: T[], timestamps: number[]): void;
  collectSide<S>(tag: OutputTag<S>, value: S, timestamp: number): void;
  /** Flushes buffered records first, so order between records and watermarks is kept. */
  emitWatermark(watermark: number): void;
}

export interface KeyedServices {
  readonly backend: KeyedStateBackend;
  /**
   * Shared by all subtasks of this operator in one thread; `current` is the backend of the
   * subtask running right now. State handles given to user code resolve through it.
   */
  readonly slot: { current: KeyedStateBackend };
  /** The key of a record arriving on `input` (the stream's key selector). */
  keyOf(value: unknown, input: number): StateKey;
  /** Selects the key for state and timers; computes the key group. */
  setCurrentKey(key: StateKey): void;
  currentKey(): StateKey;
  /**
   * The timer service named `name` of this operator (one per user: a process function, a
   * window operator). Timers are per (key, namespace, time), deduplicated, checkpointed with
   * the operator, and fire through `target` with the key already set.
   */
  timerService<N = StateKey>(name: string, target: Triggerable<N>, serializer?: NamespaceSerializer<N>): InternalTimerService<N>;
}

export interface OperatorContext<OUT> {
  readonly output: Output<OUT>;
  readonly operatorName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly clock: Clock;
  /** Present when the operator was added on a keyed stream. */
  readonly keyed: KeyedServices | undefined;
  /** Operator (non-keyed) list state, checkpointed and redistributed on rescale. */
  readonly operatorState: OperatorStateStore;
  /** Counts a named event (dropped late records, ...) in the job's metrics. */
  count(metric: string, n?: number): void;
  /** Current combined input watermark. */
  currentWatermark(): number;
}

export interface StreamOperator<OUT = unknown> {
  open(ctx: OperatorContext<OUT>): void;
  /**
   * One batch from input 0 (or 1 for the second input of a two-input operator). The arrays
   * are the operator's from here on: the runtime never reads them again and gave them to no
   * one else (a batch bound for several receivers is copied for each, unless the operator
   * takes lent batches), so the operator may keep them, or rewrite them and pass them on
   * (filter and map do, instead of allocating a batch of their own).
   */
  processBatch(values: unknown[], timestamps: number[], input: number): void;
  /**
   * Optional: a batch that other receivers get after this one, which the operator must
   * neither keep nor rewrite. Without it, such a batch is copied and given to processBatch.
   * Worth having where an operator passes on a small part of what it reads (a filter on one
   * of several streams split from one source).
   */
  processLentBatch?(values: readonly unknown[], timestamps: readonly number[], input: number): void;
  /**
   * The combined watermark of all inputs advanced. Keyed operators' event-time timers have
   * already fired up to it (the runtime does that); the operator must forward a watermark
   * (usually the same) through output.emitWatermark.
   */
  processWatermark(watermark: number): void;
  /** Called once after the last input (bounded jobs), after the final watermark. */
  finish?(): void;
  close?(): void;
}

/** Optional hook for operators that keep state outside the keyed backend and the operator state store. */
export interface CheckpointListener {
  notifyCheckpointComplete?(checkpointId: number): void;
}
