// A public test harness so users (and the engine's own tests) can test functions and
// operators without running a job: push records and watermarks, move processing time by
// hand, read main and side outputs, watermarks and keyed state, snapshot and restore.
// Runs the real runtime pieces (OperatorInstance, KeyedServices, the heap backend).
// May import: runtime/, operators/, api/, state/, time/.
import type { OutputTag } from '../api/output-tag.js';
import type { KeySelector } from '../graph/stream-graph.js';
import type { StreamOperator } from '../operators/operator.js';
import type { KeyGroupSnapshot, OperatorStateSnapshot, StateKey, ValueStateDescriptor, ListStateDescriptor, MapStateDescriptor } from '../state/types.js';
import type { TimerEntry } from '../time/timer-service.js';
import type { StateBackendFactory } from '../api/state-backend.js';
import type { InstanceOutput } from '../runtime/operator-instance.js';
import { OperatorInstance } from '../runtime/operator-instance.js';
import { KeyedServicesImpl } from '../runtime/keyed-services.js';
import { heapStateBackend } from '../api/state-backend.js';
import { ManualClock } from '../time/clock.js';
import { NO_TIMESTAMP } from '../time/watermark.js';
import { DEFAULT_MAX_PARALLELISM, keyGroupFor, keyGroupRangeFor } from '../state/key-group.js';
import { createOperatorStateStore } from '../state/operator-state.js';

export interface Emitted<T> {
  readonly value: T;
  readonly timestamp: number;
}

export interface HarnessSnapshot {
  readonly keyed: KeyGroupSnapshot[];
  readonly timers: Record<string, TimerEntry[]>;
  readonly operatorState: OperatorStateSnapshot;
}

export interface HarnessOptions {
  /** One key selector per input for keyed operators. */
  readonly keySelectors?: readonly (KeySelector | undefined)[];
  /** Number of inputs (default: keySelectors.length or 1). */
  readonly inputs?: number;
  readonly clock?: ManualClock;
  readonly stateBackend?: StateBackendFactory;
  readonly maxParallelism?: number;
  readonly subtaskIndex?: number;
  readonly parallelism?: number;
  readonly restore?: HarnessSnapshot;
}

class CollectingOutput implements InstanceOutput {
  readonly main: Emitted<unknown>[] = [];
  readonly sides = new Map<string, Emitted<unknown>[]>();
  readonly watermarks: number[] = [];
  collect(value: unknown, timestamp: number): void {
    this.main.push({ value, timestamp });
  }
  collectBatch(values: unknown[], timestamps: number[]): void {
    for (let i = 0; i < values.length; i++) this.main.push({ value: values[i], timestamp: timestamps[i] as number });
  }
  collectSide<S>(tag: OutputTag<S>, value: S, timestamp: number): void {
    let l = this.sides.get(tag.id);
    if (!l) this.sides.set(tag.id, (l = []));
    l.push({ value, timestamp });
  }
  emitWatermark(watermark: number): void {
    this.watermarks.push(watermark);
  }
  flush(): void {}
  setIdle(): void {}
}

export class OperatorHarness<OUT> {
  readonly clock: ManualClock;
  private readonly out = new CollectingOutput();
  private readonly instance: OperatorInstance;
  private readonly keyed: KeyedServicesImpl | undefined;
  readonly metrics: Record<string, number> = {};

  private readonly inputs: number;

  constructor(operator: StreamOperator<OUT>, options: HarnessOptions = {}) {
    this.clock = options.clock ?? new ManualClock(0);
    const maxP = options.maxParallelism ?? DEFAULT_MAX_PARALLELISM;
    const p = options.parallelism ?? 1;
    const s = options.subtaskIndex ?? 0;
    const inputs = options.inputs ?? options.keySelectors?.length ?? 1;
    this.inputs = inputs;
    if (options.keySelectors) {
      const range = keyGroupRangeFor(s, p, maxP);
      const backend = (options.stateBackend ?? heapStateBackend())({ maxParallelism: maxP, keyGroupRange: range, clock: () => this.clock.now(), operatorUid: 'harness', subtaskIndex: s });
      if (options.restore) backend.restore(options.restore.keyed);
      this.keyed = new KeyedServicesImpl(backend, options.keySelectors, maxP, range, () => this.clock.now());
      if (options.restore) this.keyed.restoreTimers(options.restore.timers);
    }
    const opState = createOperatorStateStore(options.restore?.operatorState);
    this.instance = new OperatorInstance(
      {
        uid: 'harness',
        name: 'harness',
        subtaskIndex: s,
        parallelism: p,
        maxParallelism: maxP,
        clock: this.clock,
        count: (m, n = 1) => (this.metrics[m] = (this.metrics[m] ?? 0) + n),
      },
      operator as StreamOperator,
      this.out,
      this.keyed,
      opState,
      inputs,
    );
    this.instance.open();
  }

  processElement(value: unknown, timestamp: number = NO_TIMESTAMP, input = 0): this {
    this.instance.receive([value], [timestamp], input);
    return this;
  }

  processElements(values: readonly unknown[], timestamps?: readonly number[], input = 0): this {
    // Copies: the operator owns the batch it gets and may rewrite it; the caller's arrays stay as they are.
    this.instance.receive(values.slice(), timestamps?.slice() ?? values.map(() => NO_TIMESTAMP), input);
    return this;
  }

  /** A watermark on `input` (channel); with several inputs the operator sees their minimum. */
  processWatermark(watermark: number, input = 0): this {
    this.instance.receiveWatermark(input, watermark);
    return this;
  }

  /** Marks an input idle (excluded from the watermark minimum) or active again. */
  setInputIdle(input: number, idle: boolean): this {
    this.instance.receiveIdle(input, idle);
    return this;
  }

  setProcessingTime(time: number): this {
    this.clock.set(time);
    this.instance.advanceProcessingTime(time);
    return this;
  }

  advanceProcessingTime(ms: number): this {
    return this.setProcessingTime(this.clock.now() + ms);
  }

  /** Main output so far, with timestamps. */
  output(): Emitted<OUT>[] {
    return this.out.main as Emitted<OUT>[];
  }

  outputValues(): OUT[] {
    return this.out.main.map((e) => e.value as OUT);
  }

  /** Returns and clears the main output. */
  extractOutputValues(): OUT[] {
    const v = this.outputValues();
    this.out.main.length = 0;
    return v;
  }

  sideOutput<S>(tag: OutputTag<S>): Emitted<S>[] {
    return (this.out.sides.get(tag.id) ?? []) as Emitted<S>[];
  }

  sideOutputValues<S>(tag: OutputTag<S>): S[] {
    return this.sideOutput(tag).map((e) => e.value);
  }

  /** Watermarks the operator forwarded. */
  watermarks(): number[] {
    return this.out.watermarks;
  }

  currentWatermark(): number {
    return this.instance.watermarks.current;
  }

  /** Number of timers registered (all keys). */
  timerCount(): { event: number; processing: number } {
    const t = { event: 0, processing: 0 };
    if (!this.keyed) return t;
    for (const entries of Object.values(this.keyed.snapshotTimers())) for (const e of entries) {
        if (e[0] === 0) t.event++;
        else t.processing++;
      }
    return t;
  }

  /** Reads a value state of `key` (namespace default). */
  valueState<T>(key: StateKey, descriptor: ValueStateDescriptor<T>): T | undefined {
    return this.withKey(key, () => this.keyed?.backend.getValueState(descriptor).value());
  }

  listState<T>(key: StateKey, descriptor: ListStateDescriptor<T>): readonly T[] {
    return this.withKey(key, () => this.keyed?.backend.getListState(descriptor).get() ?? []);
  }

  mapState<K, V>(key: StateKey, descriptor: MapStateDescriptor<K, V>): Array<[K, V]> {
    return this.withKey(key, () => this.keyed?.backend.getMapState(descriptor).entries() ?? []);
  }

  private withKey<R>(key: StateKey, fn: () => R): R {
    const b = this.keyed?.backend;
    if (!b) throw new Error('not a keyed harness (pass keySelectors)');
    const prevKey = b.getCurrentKey();
    const prevKg = b.getCurrentKeyGroup();
    b.setCurrentKey(key, keyGroupFor(key, b.maxParallelism));
    try {
      return fn();
    } finally {
      if (prevKg >= 0) b.setCurrentKey(prevKey, prevKg);
    }
  }

  snapshot(): HarnessSnapshot {
    return {
      keyed: this.keyed ? this.keyed.backend.snapshot() : [],
      timers: this.keyed ? this.keyed.snapshotTimers() : {},
      operatorState: this.instance.operatorState.snapshot(),
    };
  }

  /** End of input: the final watermark on every input, then finish(). */
  finish(): this {
    for (let i = 0; i < this.inputs; i++) this.instance.receiveWatermark(i, Number.POSITIVE_INFINITY);
    this.instance.finish();
    return this;
  }

  async close(): Promise<void> {
    await this.instance.close();
  }
}
