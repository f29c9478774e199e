// The broadcast pattern: a (usually small) rules stream reaches every subtask and is kept in
// broadcast state (maps named by MapStateDescriptors); the other input, keyed or not, reads
// it. Every subtask holds the same broadcast state; a restore at any parallelism gives one
// copy to every subtask.
// May import: operators/, api/, state/types.ts.
import type {
  BroadcastContext,
  BroadcastProcessFunction,
  BroadcastState,
  KeyedBroadcastProcessFunction,
  KeyedReadOnlyBroadcastContext,
} from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import type { MapStateDescriptor, OperatorListState, StateKey } from '../state/types.js';
import type { Triggerable } from '../time/timer-service.js';
import type { OperatorContext } from './operator.js';
import { BaseOperator, TimestampedCollector, perSubtaskCopy } from './base-operator.js';
import { KeyedFunctionContext } from './keyed-function-context.js';
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

interface SideSwitch {
  timestamp: number;
}

function makeBroadcastContext(ctx: OperatorContext<unknown>, states: BroadcastStates, cur: SideSwitch): BroadcastContext {
  return {
    get timestamp() {
      return cur.timestamp;
    },
    output<S>(tag: OutputTag<S>, value: S): void {
      ctx.output.collectSide(tag, value, cur.timestamp);
    },
    currentWatermark: () => ctx.currentWatermark(),
    currentProcessingTime: () => ctx.clock.now(),
    getBroadcastState: <K, V>(d: MapStateDescriptor<K, V>) => states.get(d),
  };
}

export class BroadcastProcessOperator<I, B, O> extends BaseOperator<O> {
  private readonly states = new BroadcastStates();
  private bctx!: BroadcastContext;
  private collector!: TimestampedCollector<O>;
  private readonly cur: SideSwitch = { timestamp: 0 };

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
    this.states.open(ctx as OperatorContext<unknown>, this.descriptors);
    this.bctx = makeBroadcastContext(ctx as OperatorContext<unknown>, this.states, this.cur);
    this.collector = new TimestampedCollector(ctx.output);
    this.fn.open?.({ subtaskIndex: ctx.subtaskIndex, parallelism: ctx.parallelism, operatorName: ctx.operatorName });
  }
  processBatch(values: readonly unknown[], timestamps: readonly number[], input: number): void {
    this.states.writable = input === 1;
    for (let i = 0; i < values.length; i++) {
      this.cur.timestamp = this.collector.timestamp = timestamps[i] as number;
      if (input === 0) this.fn.processElement(values[i] as I, this.bctx, this.collector);
      else this.fn.processBroadcastElement(values[i] as B, this.bctx, this.collector);
    }
    this.states.writable = false;
    if (input === 1) this.states.sync();
  }
  close(): void {
    this.fn.close?.();
  }
}

export class KeyedBroadcastProcessOperator<K, I, B, O> extends BaseOperator<O> implements Triggerable<null> {
  private readonly states = new BroadcastStates();
  private fctx!: KeyedFunctionContext<K> & KeyedReadOnlyBroadcastContext<K>;
  private bctx!: BroadcastContext;
  private collector!: TimestampedCollector<O>;
  private readonly cur: SideSwitch = { timestamp: 0 };

  private readonly fn: KeyedBroadcastProcessFunction<K, I, B, O>;
  constructor(
    fn: KeyedBroadcastProcessFunction<K, I, B, O>,
    private readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {
    super();
    this.fn = perSubtaskCopy(fn);
  }
  override open(ctx: OperatorContext<O>): void {
    super.open(ctx);
    this.states.open(ctx as OperatorContext<unknown>, this.descriptors);
    const f = new KeyedFunctionContext<K>(ctx as OperatorContext<unknown>) as KeyedFunctionContext<K> & KeyedReadOnlyBroadcastContext<K>;
    f.getBroadcastState = <BK, BV>(d: MapStateDescriptor<BK, BV>) => this.states.get(d);
    f.timers = f.keyed.timerService<null>('user-timers', this);
    this.fctx = f;
    this.bctx = makeBroadcastContext(ctx as OperatorContext<unknown>, this.states, this.cur);
    this.collector = new TimestampedCollector(ctx.output);
    this.fn.open?.(f);
  }
  processBatch(values: readonly unknown[], timestamps: readonly number[], input: number): void {
    const keyed = this.fctx.keyed;
    if (input === 1) {
      this.states.writable = true;
      for (let i = 0; i < values.length; i++) {
        this.cur.timestamp = this.collector.timestamp = timestamps[i] as number;
        this.fn.processBroadcastElement(values[i] as B, this.bctx, this.collector);
      }
      this.states.writable = false;
      this.states.sync();
      return;
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      keyed.setCurrentKey(keyed.keyOf(v, 0));
      this.fctx.timestamp = this.collector.timestamp = timestamps[i] as number;
      this.fn.processElement(v as I, this.fctx, this.collector);
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
