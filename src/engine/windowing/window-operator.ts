// The WindowOperator: Flink's keyed window operator on Sluice's batch operator contract.
// Window contents live in keyed state namespaced by window id (aggregating state for
// incremental aggregation, list state for process window functions); trigger timers and the
// cleanup timer (window.maxTimestamp + allowedLateness) live in the operator's timer service
// with the window id as namespace; session windows keep a MergingWindowSet per key in state
// so state windows merge as windows merge. Everything is in state or timers, so a checkpoint
// of the backend and timers captures a window operator completely.
// Imports windowing/, aggregations types, operators/ contracts, state/ descriptors, time/.
import { SluiceError } from '../../errors.js';
import type { Collector } from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import { BaseOperator } from '../operators/base-operator.js';
import type { KeyedServices, OperatorContext } from '../operators/operator.js';
import { aggregatingStateDescriptor, listStateDescriptor, reducingStateDescriptor, valueStateDescriptor } from '../state/descriptors.js';
import type { AggregateFunction, AggregatingState, KeyedStateBackend, ListState, ReducingState, StateKey, ValueState } from '../state/types.js';
import { DEFAULT_NAMESPACE } from '../state/types.js';
import type { InternalTimerService, Triggerable } from '../time/timer-service.js';
import type { MergingWindowSetSnapshot } from './merging-window-set.js';
import { MergingWindowSet } from './merging-window-set.js';
import type { OnMergeContext, Trigger, TriggerState, TriggerStateDescriptor } from './trigger.js';
import { isFire, isPurge } from './trigger.js';
import type { Window } from './window.js';
import type { MergingWindowAssigner, WindowAssigner, WindowAssignerContext } from './window-assigner.js';
import { isMergingAssigner } from './window-assigner.js';
import type { ProcessWindowContext } from './window-function.js';

/** How elements are kept until the window fires. */
export type WindowContents<T, R> =
  | { readonly kind: 'aggregate'; readonly fn: AggregateFunction<T, unknown, R> }
  | { readonly kind: 'list' };

/** Evaluates a fired window: R is the aggregate result (aggregate) or the element type (list). */
export type WindowEmitter<R, OUT, K, W extends Window> = (
  key: K,
  ctx: ProcessWindowContext<W>,
  contents: readonly R[],
  out: Collector<OUT>,
) => void;

export interface WindowOperatorConfig<T, K, W extends Window, R, OUT> {
  readonly assigner: WindowAssigner<T, W>;
  readonly trigger: Trigger<T, W>;
  /** ms an event-time window keeps its state past its end to accept late elements. */
  readonly allowedLateness: number;
  /** Where elements too late for every window go; dropped and counted when absent. */
  readonly lateTag: OutputTag<T> | undefined;
  readonly contents: WindowContents<T, R>;
  readonly emit: WindowEmitter<R, OUT, K, W>;
}

/** Metric counted for every element dropped as too late (Flink's name). */
export const LATE_RECORDS_DROPPED = 'numLateRecordsDropped';

const CONTENTS = 'window-contents';
const FIRED = 'window-fired';
const MERGING = 'window-merging-set';
const TRIGGER_PREFIX = 'window-trigger-';
const NEVER = Number.MAX_SAFE_INTEGER;

/** The state reads and writes the operator needs, whichever kind of contents it keeps. */
interface ContentsState<R> {
  add(value: unknown): void;
  /** undefined when the window holds nothing. */
  read(): readonly R[] | undefined;
  clear(): void;
}

export class WindowOperator<T, K, W extends Window, R, OUT>
  extends BaseOperator<OUT>
  implements Triggerable<string>, OnMergeContext, WindowAssignerContext, Collector<OUT>, ProcessWindowContext<W>
{
  private keyed!: KeyedServices;
  private backend!: KeyedStateBackend;
  private timers!: InternalTimerService<string>;
  private contents!: ContentsState<R>;
  private fired!: ValueState<boolean>;
  private mergingSet: ValueState<MergingWindowSetSnapshot> | undefined;
  private readonly mergingAssigner: MergingWindowAssigner<T, W> | undefined;
  private readonly triggerStates = new Map<string, ReducingState<unknown>>();

  // The trigger and process-function contexts are this object, re-pointed before each call
  // (one allocation per operator, not per record or firing).
  window!: W;
  private mergedWindows: readonly W[] = [];
  private lastTimerWindow: W | undefined;
  /** The last event-time timer the trigger registered for `window` during onElement (NaN: none). */
  private triggerTimer = Number.NaN;
  /**
   * Merging sets by the snapshot object last stored for their key: a backend that hands back
   * the stored object itself (the heap) lets the next record of the key reuse the parsed set
   * instead of rebuilding it; any other backend just misses. Entries are taken on load and put
   * back on save, so a set is only reused while it matches what state holds.
   */
  private readonly mergingSets = new WeakMap<MergingWindowSetSnapshot, MergingWindowSet<W>>();
  isUpdate = false;
  private emitTimestamp = 0;

  constructor(private readonly config: WindowOperatorConfig<T, K, W, R, OUT>) {
    super();
    if (!Number.isSafeInteger(config.allowedLateness) || config.allowedLateness < 0) {
      throw new SluiceError('INVALID_ARGUMENT', `allowed lateness must be a non-negative integer of ms, got ${config.allowedLateness}`);
    }
    this.mergingAssigner = isMergingAssigner(config.assigner) ? config.assigner : undefined;
    if (this.mergingAssigner !== undefined && !config.trigger.canMerge()) {
      throw new SluiceError('INVALID_ARGUMENT', 'this trigger cannot be used with merging (session) windows');
    }
  }

  override open(ctx: OperatorContext<OUT>): void {
    super.open(ctx);
    if (ctx.keyed === undefined) {
      throw new SluiceError('INVALID_ARGUMENT', `${ctx.operatorName}: windows need a keyed stream (call keyBy before window)`);
    }
    this.keyed = ctx.keyed;
    this.backend = ctx.keyed.backend;
    this.timers = ctx.keyed.timerService<string>('window-timers', this);
    this.fired = this.backend.getValueState(valueStateDescriptor<boolean>(FIRED));
    if (this.mergingAssigner !== undefined) {
      this.mergingSet = this.backend.getValueState(valueStateDescriptor<MergingWindowSetSnapshot>(MERGING));
    }
    const c = this.config.contents;
    if (c.kind === 'aggregate') {
      const s: AggregatingState<unknown, R> = this.backend.getAggregatingState(aggregatingStateDescriptor(CONTENTS, c.fn));
      this.contents = {
        add: (v) => s.add(v),
        read: () => {
          const r = s.get();
          return r === undefined ? undefined : [r];
        },
        clear: () => s.clear(),
      };
    } else {
      const s: ListState<R> = this.backend.getListState(listStateDescriptor<R>(CONTENTS));
      this.contents = {
        add: (v) => s.add(v as R),
        read: () => {
          const r = s.get();
          return r.length === 0 ? undefined : r;
        },
        clear: () => s.clear(),
      };
    }
  }

  // ---- elements -------------------------------------------------------------------------

  processBatch(values: readonly unknown[], timestamps: readonly number[]): void {
    const keyed = this.keyed;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as T;
      keyed.setCurrentKey(keyed.keyOf(v, 0));
      this.processElement(v, timestamps[i] as number);
    }
  }

  private processElement(element: T, timestamp: number): void {
    const windows = this.config.assigner.assignWindows(element, timestamp, this);
    let skipped = true;
    if (this.mergingAssigner !== undefined) {
      const set = this.loadMergingSet();
      for (let i = 0; i < windows.length; i++) {
        const actual = set.addWindow(windows[i] as W, (result, merged, stateResult, mergedState) =>
          this.onWindowsMerged(result, merged, stateResult, mergedState),
        );
        if (this.isWindowLate(actual)) {
          set.retireWindow(actual);
          continue;
        }
        skipped = false;
        const stateWindow = set.getStateWindow(actual);
        if (stateWindow === undefined) throw new SluiceError('INTERNAL', `window ${actual.id} has no state window`);
        this.addToWindow(element, timestamp, actual, stateWindow);
      }
      this.saveMergingSet(set);
    } else {
      for (let i = 0; i < windows.length; i++) {
        const w = windows[i] as W;
        if (this.isWindowLate(w)) continue;
        skipped = false;
        this.addToWindow(element, timestamp, w, w);
      }
    }
    if (skipped && this.isElementLate(timestamp)) {
      if (this.config.lateTag !== undefined) this.ctx.output.collectSide(this.config.lateTag, element, timestamp);
      else this.ctx.count(LATE_RECORDS_DROPPED);
    }
  }

  private addToWindow(element: T, timestamp: number, window: W, stateWindow: W): void {
    this.backend.setCurrentNamespace(stateWindow.id);
    this.contents.add(element);
    this.window = window;
    this.triggerTimer = Number.NaN;
    const result = this.config.trigger.onElement(element, timestamp, window, this);
    if (isFire(result)) this.emitWindow(window, stateWindow);
    if (isPurge(result)) this.purge(window, stateWindow);
    // The default trigger just registered the same timer (end of window, no lateness): once is enough.
    const cleanup = this.cleanupTime(window);
    if (cleanup !== this.triggerTimer || !this.config.assigner.isEventTime()) this.registerCleanupTimer(window);
  }

  private onWindowsMerged(result: W, merged: readonly W[], stateResult: W, mergedState: readonly W[]): void {
    if (this.config.assigner.isEventTime() && this.cleanupTime(result) <= this.timers.currentWatermark()) {
      // Cannot happen while cleanup timers fire before the watermark moves past them.
      throw new SluiceError('INTERNAL', `window ${result.id} became late by merging`);
    }
    const trigger = this.config.trigger;
    this.window = result;
    this.mergedWindows = merged;
    trigger.onMerge(result, this);
    this.mergedWindows = [];
    for (const m of merged) {
      this.window = m;
      trigger.clear(m, this);
      this.deleteCleanupTimer(m);
      this.backend.setCurrentNamespace(m.id);
      this.fired.clear();
    }
    const sources = mergedState.filter((w) => w.id !== stateResult.id).map((w) => w.id);
    if (sources.length > 0) this.backend.mergeNamespaces(CONTENTS, stateResult.id, sources);
  }

  // ---- timers ---------------------------------------------------------------------------

  onEventTime(time: number, _key: StateKey, windowId: string): void {
    this.onTimer(time, windowId, true);
  }

  onProcessingTime(time: number, _key: StateKey, windowId: string): void {
    this.onTimer(time, windowId, false);
  }

  private onTimer(time: number, windowId: string, eventTime: boolean): void {
    // Timers fire grouped by time, so consecutive ones mostly name the same window: parse once.
    let window = this.lastTimerWindow;
    if (window === undefined || window.id !== windowId) this.lastTimerWindow = window = this.config.assigner.windowFromId(windowId);
    let set: MergingWindowSet<W> | undefined;
    let stateWindow: W = window;
    if (this.mergingAssigner !== undefined) {
      set = this.loadMergingSet();
      const sw = set.getStateWindow(window);
      // A timer of a window that has since merged into another or been purged: nothing to do.
      if (sw === undefined) return;
      stateWindow = sw;
    }
    this.window = window;
    const trigger = this.config.trigger;
    const result = eventTime ? trigger.onEventTime(time, window, this) : trigger.onProcessingTime(time, window, this);
    if (isFire(result)) this.emitWindow(window, stateWindow);
    if (isPurge(result)) this.purge(window, stateWindow);
    if (eventTime === this.config.assigner.isEventTime() && time === this.cleanupTime(window)) {
      this.clearAllState(window, stateWindow, set);
    }
    if (set !== undefined) this.saveMergingSet(set);
  }

  private clearAllState(window: W, stateWindow: W, set: MergingWindowSet<W> | undefined): void {
    this.backend.setCurrentNamespace(stateWindow.id);
    this.contents.clear();
    this.backend.setCurrentNamespace(window.id);
    this.fired.clear();
    this.window = window;
    this.config.trigger.clear(window, this);
    if (set !== undefined) set.retireWindow(window);
  }

  // ---- firing ---------------------------------------------------------------------------

  private emitWindow(window: W, stateWindow: W): void {
    this.backend.setCurrentNamespace(stateWindow.id);
    const contents = this.contents.read();
    if (contents === undefined) return;
    this.backend.setCurrentNamespace(window.id);
    this.isUpdate = this.fired.value() === true;
    if (!this.isUpdate) this.fired.update(true);
    this.window = window;
    this.emitTimestamp = window.maxTimestamp();
    this.config.emit(this.keyed.currentKey() as K, this, contents, this);
  }

  private purge(window: W, stateWindow: W): void {
    this.backend.setCurrentNamespace(stateWindow.id);
    this.contents.clear();
    this.backend.setCurrentNamespace(window.id);
    this.fired.clear();
  }

  /** Collector of the window function: results carry the window's maxTimestamp. */
  collect(value: OUT): void {
    this.ctx.output.collect(value, this.emitTimestamp);
  }

  output<S>(tag: OutputTag<S>, value: S): void {
    this.ctx.output.collectSide(tag, value, this.emitTimestamp);
  }

  // ---- lateness and cleanup -------------------------------------------------------------

  private cleanupTime(window: W): number {
    const max = window.maxTimestamp();
    if (max >= NEVER) return NEVER;
    if (!this.config.assigner.isEventTime()) return max;
    const t = max + this.config.allowedLateness;
    return t >= NEVER ? NEVER : t;
  }

  private isWindowLate(window: W): boolean {
    return this.config.assigner.isEventTime() && this.cleanupTime(window) <= this.timers.currentWatermark();
  }

  private isElementLate(timestamp: number): boolean {
    return this.config.assigner.isEventTime() && timestamp + this.config.allowedLateness <= this.timers.currentWatermark();
  }

  private registerCleanupTimer(window: W): void {
    const t = this.cleanupTime(window);
    if (t === NEVER) return;
    if (this.config.assigner.isEventTime()) this.timers.registerEventTimeTimer(window.id, t);
    else this.timers.registerProcessingTimeTimer(window.id, t);
  }

  private deleteCleanupTimer(window: W): void {
    const t = this.cleanupTime(window);
    if (t === NEVER) return;
    if (this.config.assigner.isEventTime()) this.timers.deleteEventTimeTimer(window.id, t);
    else this.timers.deleteProcessingTimeTimer(window.id, t);
  }

  // ---- merging window set persistence ---------------------------------------------------

  private loadMergingSet(): MergingWindowSet<W> {
    const state = this.mergingSet as ValueState<MergingWindowSetSnapshot>;
    this.backend.setCurrentNamespace(DEFAULT_NAMESPACE);
    const snap = state.value();
    if (snap !== undefined) {
      const cached = this.mergingSets.get(snap);
      if (cached !== undefined) {
        this.mergingSets.delete(snap);
        cached.loadedFrom = snap;
        return cached;
      }
    }
    const set = new MergingWindowSet<W>(this.mergingAssigner as MergingWindowAssigner<unknown, W>, snap);
    set.loadedFrom = snap;
    return set;
  }

  private saveMergingSet(set: MergingWindowSet<W>): void {
    const state = this.mergingSet as ValueState<MergingWindowSetSnapshot>;
    this.backend.setCurrentNamespace(DEFAULT_NAMESPACE);
    if (!set.changed && set.loadedFrom !== undefined) {
      // Nothing merged, nothing added or retired: state already holds this set.
      this.mergingSets.set(set.loadedFrom, set);
      return;
    }
    set.changed = false;
    if (set.size === 0) {
      state.update(undefined);
      return;
    }
    const snap = set.snapshot();
    state.update(snap);
    this.mergingSets.set(snap, set);
  }

  // ---- contexts (TriggerContext, OnMergeContext, WindowAssignerContext, ProcessWindowContext)

  currentWatermark(): number {
    return this.timers.currentWatermark();
  }

  currentProcessingTime(): number {
    return this.ctx.clock.now();
  }

  registerEventTimeTimer(time: number): void {
    this.triggerTimer = time;
    this.timers.registerEventTimeTimer(this.window.id, time);
  }

  deleteEventTimeTimer(time: number): void {
    if (time === this.triggerTimer) this.triggerTimer = Number.NaN;
    this.timers.deleteEventTimeTimer(this.window.id, time);
  }

  registerProcessingTimeTimer(time: number): void {
    this.timers.registerProcessingTimeTimer(this.window.id, time);
  }

  deleteProcessingTimeTimer(time: number): void {
    this.timers.deleteProcessingTimeTimer(this.window.id, time);
  }

  private triggerState<V>(d: TriggerStateDescriptor<V>): ReducingState<V> {
    let s = this.triggerStates.get(d.name);
    if (s === undefined) {
      s = this.backend.getReducingState(reducingStateDescriptor<unknown>(TRIGGER_PREFIX + d.name, d.merge as (a: unknown, b: unknown) => unknown));
      this.triggerStates.set(d.name, s);
    }
    return s as ReducingState<V>;
  }

  getState<V>(d: TriggerStateDescriptor<V>): TriggerState<V> {
    const s = this.triggerState(d);
    // Bound to the window current at the call, since the backend's namespace moves between calls.
    const ns = this.window.id;
    const backend = this.backend;
    return {
      value: () => {
        backend.setCurrentNamespace(ns);
        return s.get();
      },
      update: (v) => {
        backend.setCurrentNamespace(ns);
        s.clear();
        s.add(v);
      },
      clear: () => {
        backend.setCurrentNamespace(ns);
        s.clear();
      },
    };
  }

  mergeState<V>(d: TriggerStateDescriptor<V>): void {
    this.triggerState(d);
    const target = this.window.id;
    const sources = this.mergedWindows.filter((w) => w.id !== target).map((w) => w.id);
    if (sources.length > 0) this.backend.mergeNamespaces(TRIGGER_PREFIX + d.name, target, sources);
  }
}
