// Window slicing for tumbling and sliding event-time windows with an incremental aggregate
// (what Flink SQL's window aggregation does). A record is added to ONE slice (one slide long;
// the window size is a multiple of the slide) instead of to every window that holds it:
// size/slide state updates per record become one. When the watermark passes a window's end,
// the window's result is the merge of its slices; a tumbling window is one slice and needs no
// merge at all.
//
// Per key, one value in state holds the key's open slices (start and accumulator, in start
// order) and the time of the key's one pending timer, the end of the next window to fire.
// Firing drops the slice no later window holds and schedules the next window that has data.
// Everything is in keyed state and timers, so checkpoints and rescaling work as for the
// general WindowOperator. Used by WindowedStream only where the results are the same as the
// general operator's: event-time tumbling or sliding windows, the assigner's own trigger, no
// allowed lateness, aggregate contents, a size that is a multiple of the slide, and an
// accumulator that structured clone copies faithfully (see copiesFaithfully).
// Imports windowing/, operators/ contracts, state/ descriptors and types, time/.
import type { Collector } from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import { BaseOperator } from '../operators/base-operator.js';
import type { KeyedServices, OperatorContext } from '../operators/operator.js';
import { valueStateDescriptor } from '../state/descriptors.js';
import type { AggregateFunction, StateKey, ValueState } from '../state/types.js';
import type { InternalTimerService, Triggerable } from '../time/timer-service.js';
import { TimeWindow, windowStartWithOffset } from './window.js';
import { checkTimestamp } from './assigners.js';
import type { ProcessWindowContext } from './window-function.js';
import type { WindowEmitter } from './window-operator.js';
import { LATE_RECORDS_DROPPED } from './window-operator.js';
import { SluiceError } from '../../errors.js';

export interface SlicedWindowConfig<T, K, ACC, R, OUT> {
  readonly size: number;
  readonly slide: number;
  readonly offset: number;
  readonly fn: AggregateFunction<T, ACC, R>;
  readonly lateTag: OutputTag<T> | undefined;
  readonly emit: WindowEmitter<R, OUT, K, TimeWindow>;
}

/** A key's open slices, oldest first, and the timer pending for it (null: none; state stays plain data). */
interface KeySlices<ACC> {
  starts: number[];
  accs: ACC[];
  timer: number | null;
}

const SLICES = 'sliced-window-slices';
const TIMERS = 'sliced-window-timers';
/** Timers of this operator have one namespace: the key's next window, whatever it is. */
const NS = 0;
/** No run of same-key records yet in processBatch (no key is this object). */
const NO_RUN = Symbol('no run');

/**
 * A copy of an accumulator that merge may consume: a merge may reuse or change either
 * argument (Flink's contract), and a slice's accumulator serves several windows. Values
 * other than objects are immutable and need no copy.
 */
function mergeable<ACC>(acc: ACC): ACC {
  return typeof acc === 'object' && acc !== null ? structuredClone(acc) : acc;
}

const CLONED_AS_IS: ReadonlySet<unknown> = new Set([null, Object.prototype, Array.prototype, Map.prototype, Set.prototype]);

/**
 * Whether structured clone copies `acc` as it is: a primitive, or a plain object, array, Map,
 * Set or typed array (a class instance would come back as a plain object, without its methods).
 * Checked on a fresh accumulator when the pipeline is built.
 */
export function copiesFaithfully(acc: unknown): boolean {
  if (typeof acc === 'function') return false;
  if (typeof acc !== 'object' || acc === null) return true;
  return ArrayBuffer.isView(acc) || CLONED_AS_IS.has(Object.getPrototypeOf(acc));
}

export class SlicedWindowOperator<T, K, ACC, R, OUT>
  extends BaseOperator<OUT>
  implements Triggerable<number>, ProcessWindowContext<TimeWindow>, Collector<OUT>
{
  private keyed!: KeyedServices;
  private state!: ValueState<KeySlices<ACC>>;
  private timers!: InternalTimerService<number>;
  /** Slices per window. */
  private readonly perWindow: number;
  // The window function's context is this object, re-pointed before each firing.
  window!: TimeWindow;
  readonly isUpdate = false;
  private emitTimestamp = 0;

  constructor(private readonly config: SlicedWindowConfig<T, K, ACC, R, OUT>) {
    super();
    if (config.size % config.slide !== 0) throw new SluiceError('INTERNAL', 'sliced windows need a size that is a multiple of the slide');
    this.perWindow = config.size / config.slide;
  }

  override open(ctx: OperatorContext<OUT>): void {
    super.open(ctx);
    if (ctx.keyed === undefined) {
      throw new SluiceError('INVALID_ARGUMENT', `${ctx.operatorName}: windows need a keyed stream (call keyBy before window)`);
    }
    this.keyed = ctx.keyed;
    this.state = ctx.keyed.backend.getValueState(valueStateDescriptor<KeySlices<ACC>>(SLICES));
    this.timers = ctx.keyed.timerService<number>(TIMERS, this, { toPlain: (n) => n, fromPlain: (p) => p as number });
  }

  /** The end of the first window that ends after `t` (window ends lie on the slide grid). */
  private firstEndAfter(t: number): number {
    return windowStartWithOffset(t, this.config.offset, this.config.slide) + this.config.slide;
  }

  processBatch(values: readonly unknown[], timestamps: readonly number[]): void {
    const keyed = this.keyed;
    const { size, slide, offset, fn } = this.config;
    // Timers fire between batches, so the watermark, and with it the end of the first window
    // not fired yet (windows ending at or below watermark + 1 have fired), hold for the batch.
    const watermark = this.timers.currentWatermark();
    const firstUnfiredEnd = Number.isFinite(watermark) ? this.firstEndAfter(watermark + 1) : Number.NEGATIVE_INFINITY;
    // A run of records with the same key (a global window, a hot key, a keyed source) reads
    // the key's slices once and writes them back once, not once per record: nothing else sees
    // the state within a batch. Keys are compared by identity, so only primitive keys (null, the
    // key of windowAll, among them) form runs.
    let runKey: unknown = NO_RUN;
    let s: KeySlices<ACC> | undefined;
    let sliceStart = Number.NaN;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as T;
      const ts = timestamps[i] as number;
      checkTimestamp(ts);
      const key = keyed.keyOf(v, 0);
      if (key !== runKey || (typeof key === 'object' && key !== null)) {
        if (s !== undefined) this.state.update(s);
        keyed.setCurrentKey(key);
        s = this.state.value();
        runKey = key;
      }
      // The record's slice starts where its last window starts; once the watermark reached that
      // window's max timestamp, every window of the record has fired. Timestamps mostly stay in
      // the previous record's slice, which spares the modulo (a floating-point one on epoch ms).
      if (!(ts >= sliceStart && ts < sliceStart + slide)) sliceStart = windowStartWithOffset(ts, offset, slide);
      const start = sliceStart;
      if (start + size - 1 <= watermark) {
        this.late(v, ts);
        continue;
      }
      if (s === undefined) {
        // Arrays of the one slice, not empty ones grown by push (which reserves room for 17).
        s = { starts: [start], accs: [fn.add(v, fn.createAccumulator())], timer: null };
      } else {
        const starts = s.starts;
        // Slices mostly arrive in order: search from the newest.
        let j = starts.length - 1;
        while (j >= 0 && (starts[j] as number) > start) j--;
        if (j >= 0 && starts[j] === start) s.accs[j] = fn.add(v, s.accs[j] as ACC);
        else if (j === starts.length - 1) {
          starts.push(start);
          s.accs.push(fn.add(v, fn.createAccumulator()));
        } else {
          starts.splice(j + 1, 0, start);
          s.accs.splice(j + 1, 0, fn.add(v, fn.createAccumulator()));
        }
      }
      // The slice's first window ends one slide after the slice starts; fire the first one not fired yet.
      const due = Math.max(start + slide, firstUnfiredEnd) - 1;
      if (s.timer === null || s.timer > due) {
        if (s.timer !== null) this.timers.deleteEventTimeTimer(NS, s.timer);
        this.timers.registerEventTimeTimer(NS, due);
        s.timer = due;
      }
    }
    if (s !== undefined) this.state.update(s);
  }

  private late(v: T, ts: number): void {
    if (this.config.lateTag !== undefined) this.ctx.output.collectSide(this.config.lateTag, v, ts);
    else this.ctx.count(LATE_RECORDS_DROPPED);
  }

  /** The key's window ending at time + 1 is complete: emit it, drop what no later window needs, schedule the next. */
  onEventTime(time: number, key: StateKey): void {
    const s = this.state.value();
    if (s === undefined || s.timer !== time) return;
    const { size, slide, fn } = this.config;
    const end = time + 1;
    const start = end - size;
    const starts = s.starts;
    let acc: ACC | undefined;
    let first = 0;
    while (first < starts.length && (starts[first] as number) < start) first++;
    for (let j = first; j < starts.length && (starts[j] as number) < end; j++) {
      const a = s.accs[j] as ACC;
      // One slice per window (tumbling) is the window's accumulator as it is.
      acc = this.perWindow === 1 ? a : fn.merge(acc === undefined ? fn.createAccumulator() : acc, mergeable(a));
    }
    if (acc !== undefined) this.fire(key as K, start, end, fn.getResult(acc));
    // The next window starts at start + slide: slices before it are done.
    let keep = first;
    while (keep < starts.length && (starts[keep] as number) < start + slide) keep++;
    // shift, not splice: mostly one slice leaves, and splice would allocate the removed ones' array.
    for (let j = 0; j < keep; j++) {
      starts.shift();
      s.accs.shift();
    }
    if (starts.length === 0) {
      this.state.clear();
      return;
    }
    s.timer = Math.max(end + slide, this.firstEndAfter(starts[0] as number)) - 1;
    this.timers.registerEventTimeTimer(NS, s.timer);
    this.state.update(s);
  }

  onProcessingTime(): void {
    // Event-time windows register no processing-time timers.
  }

  private fire(key: K, start: number, end: number, result: R): void {
    // Timers fire grouped by time, so consecutive firings (of different keys) mostly share the window.
    const w = this.window as TimeWindow | undefined;
    if (w === undefined || w.end !== end) this.window = new TimeWindow(start, end);
    this.emitTimestamp = end - 1;
    this.config.emit(key, this, [result], this);
  }

  collect(value: OUT): void {
    this.ctx.output.collect(value, this.emitTimestamp);
  }

  output<S>(tag: OutputTag<S>, value: S): void {
    this.ctx.output.collectSide(tag, value, this.emitTimestamp);
  }

  currentWatermark(): number {
    return this.timers.currentWatermark();
  }

  currentProcessingTime(): number {
    return this.timers.currentProcessingTime();
  }
}
