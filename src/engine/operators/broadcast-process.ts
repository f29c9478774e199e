// The broadcast pattern: a (usually small) rules stream reaches every subtask and is kept in
// broadcast state (maps named by MapStateDescriptors); the other input, keyed or not, reads
// it. Every subtask holds the same broadcast state; a restore at any parallelism gives one
// copy to every subtask.
// May import: operators/, api/, state/types.ts.
import type {
  BroadcastContext,
  Collector,
  BroadcastProcessFunction,
  BroadcastState,
  KeyedBroadcastProcessFunction,
  KeyedReadOnlyBroadcastContext,
} from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import type { MapStateDescriptor, OperatorListState } from '../state/types.js';
import type { OperatorContext } from './operator.js';
import { BaseOperator, TimestampedCollector, perSubtaskCopy } from './base-operator.js';
import type { KeyedFunctionContext } from './keyed-function-context.js';
import { KeyedFunctionOperator } from './keyed-function-operator.js';
import { SluiceError } from '../../errors.js';

class MapBroadcastState<K, V> implements BroadcastState<K, V> {
  readonly map = new Map<K, V>();
  constructor(private readonly writable: () => boolean) {}
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  contains(key: K): boolean {
    return this.map.has(key);
  }
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
  put(key: K, value: V): void {
    this.check();
    this.map.set(key, value);
  }
  remove(key: K): void {
    this.check();
    this.map.delete(key);
  }
  clear(): void {
    this.check();
    this.map.clear();
  }
  private check(): void {
    if (!this.writable()) throw new SluiceError('STATE_ERROR', 'broadcast state is read-only outside processBroadcastElement');
  }
}

/** Broadcast state of one operator, stored in operator list state (mode 'broadcast') as [name, key, value] rows. */
class BroadcastStates {
  private readonly states = new Map<string, MapBroadcastState<unknown, unknown>>();
  private store!: OperatorListState<[string, unknown, unknown]>;
  writable = false;

  open(ctx: OperatorContext<unknown>, descriptors: readonly MapStateDescriptor<unknown, unknown>[]): void {
    for (const d of descriptors) this.states.set(d.name, new MapBroadcastState(() => this.writable));
    // 'broadcast' mode: every subtask stores its (identical) copy; a restore hands each new subtask one copy.
    this.store = ctx.operatorState.getListState<[string, unknown, unknown]>('broadcast-state', 'broadcast');
    for (const [name, k, v] of this.store.get()) {
      let s = this.states.get(name);
      if (!s) this.states.set(name, (s = new MapBroadcastState(() => this.writable)));
      s.map.set(k, v);
    }
  }

  get<K, V>(d: MapStateDescriptor<K, V>): MapBroadcastState<K, V> {
    const s = this.states.get(d.name);
    if (!s) throw new SluiceError('STATE_ERROR', `broadcast state "${d.name}" was not declared in broadcast(...)`);
    return s as unknown as MapBroadcastState<K, V>;
  }

  /** Called before each checkpoint through the operator state store. */
  sync(): void {
    const rows: [string, unknown, unknown][] = [];
    for (const [name, s] of this.states) for (const [k, v] of s.map) rows.push([name, k, v]);
    this.store.update(rows);
  }
}

/**
 * The broadcast input of both operators: its state, the loop that may write it, and the
 * context both inputs' functions see (reused; `timestamp` is the current record's).
 */
class BroadcastSide implements BroadcastContext {
  readonly states = new BroadcastStates();
  timestamp = 0;
  private op!: OperatorContext<unknown>;

  open(ctx: OperatorContext<unknown>, descriptors: readonly MapStateDescriptor<unknown, unknown>[]): void {
    this.op = ctx;
    this.states.open(ctx, descriptors);
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
  getBroadcastState<K, V>(d: MapStateDescriptor<K, V>): BroadcastState<K, V> {
    return this.states.get(d);
  }

  /** Broadcast elements may write the broadcast state; it is synced into operator state after the batch. */
  processBatch<B, O>(
    values: readonly unknown[],
    timestamps: readonly number[],
    collector: TimestampedCollector<O>,
    fn: { processBroadcastElement(value: B, ctx: BroadcastContext, out: Collector<O>): void },
  ): void {
    this.states.writable = true;
    for (let i = 0; i < values.length; i++) {
      this.timestamp = collector.timestamp = timestamps[i] as number;
      fn.processBroadcastElement(values[i] as B, this, collector);
    }
    this.states.writable = false;
    this.states.sync();
  }
}

export class BroadcastProcessOperator<I, B, O> extends BaseOperator<O> {
  private readonly side = new BroadcastSide();
  private collector!: TimestampedCollector<O>;

  private readonly fn: BroadcastProcessFunction<I, B, O>;
  constructor(
    fn: BroadcastProcessFunction<I, B, O>,
    private readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {
    super();
    this.fn = perSubtaskCopy(fn);
  }
  override open(ctx: OperatorContext<O>): void {
    super.open(ctx);
    this.side.open(ctx as OperatorContext<unknown>, this.descriptors);
    this.collector = new TimestampedCollector(ctx.output);
    this.fn.open?.({ subtaskIndex: ctx.subtaskIndex, parallelism: ctx.parallelism, operatorName: ctx.operatorName });
  }
  processBatch(values: readonly unknown[], timestamps: readonly number[], input: number): void {
    const side = this.side;
    if (input === 1) {
      side.processBatch(values, timestamps, this.collector, this.fn);
      return;
    }
    for (let i = 0; i < values.length; i++) {
      side.timestamp = this.collector.timestamp = timestamps[i] as number;
      this.fn.processElement(values[i] as I, side, this.collector);
    }
  }
  close(): void {
    this.fn.close?.();
  }
}

type KeyedBroadcastFunctionContext<K> = KeyedFunctionContext<K> & KeyedReadOnlyBroadcastContext<K>;

export class KeyedBroadcastProcessOperator<K, I, B, O> extends KeyedFunctionOperator<
  K,
  O,
  KeyedBroadcastProcessFunction<K, I, B, O>,
  KeyedBroadcastFunctionContext<K>
> {
  private readonly side = new BroadcastSide();

  constructor(
    fn: KeyedBroadcastProcessFunction<K, I, B, O>,
    private readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {
    super(fn);
  }
  override open(ctx: OperatorContext<O>): void {
    // Broadcast state is restored before the function's open() may read it.
    this.side.open(ctx as OperatorContext<unknown>, this.descriptors);
    super.open(ctx);
  }
  protected override createContext(ctx: OperatorContext<unknown>): KeyedBroadcastFunctionContext<K> {
    const f = super.createContext(ctx);
    f.getBroadcastState = <BK, BV>(d: MapStateDescriptor<BK, BV>) => this.side.states.get(d);
    return f;
  }
  override processBatch(values: readonly unknown[], timestamps: readonly number[], input: number): void {
    if (input === 1) this.side.processBatch(values, timestamps, this.collector, this.fn);
    else super.processBatch(values, timestamps, input);
  }
  protected processElement(value: unknown): void {
    this.fn.processElement(value as I, this.fctx, this.collector);
  }
}
