// The built-in window assigners, named as in Flink: tumbling, sliding and session windows in
// event time and processing time, and the global window. All sizes, slides, offsets and gaps
// are Durations ("10s", "5m" or ms numbers). Imports window.ts, trigger(s).ts,
// window-assigner.ts and api/duration.ts only.
import { SluiceError } from '../../errors.js';
import type { Duration } from '../api/duration.js';
import { toMillis } from '../api/duration.js';
import type { Trigger } from './trigger.js';
import { EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger } from './triggers.js';
import { GlobalWindow, TimeWindow, windowStartWithOffset } from './window.js';
import type { MergingWindowAssigner, WindowAssigner, WindowAssignerContext } from './window-assigner.js';

function checkPositive(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new SluiceError('INVALID_ARGUMENT', `${what} must be a positive integer number of ms, got ${value}`);
  }
}

function positiveMillis(what: string, d: Duration): number {
  const ms = typeof d === 'number' ? d : toMillis(d, what);
  checkPositive(what, ms);
  return ms;
}

/** Offsets may be negative (e.g. -8h for windows aligned to a time zone), so they are parsed by sign. */
function offsetMillis(d: Duration): number {
  if (typeof d === 'number') return d;
  const t = d.trim();
  return t.startsWith('-') ? -toMillis(t.slice(1), 'window offset') : toMillis(t, 'window offset');
}

function checkOffset(offset: number, size: number): void {
  if (!Number.isSafeInteger(offset) || Math.abs(offset) >= size) {
    throw new SluiceError('INVALID_ARGUMENT', `window offset must be an integer with |offset| < ${size}, got ${offset}`);
  }
}

export function checkTimestamp(timestamp: number): void {
  // NaN or an absent timestamp would silently land in no window or a bogus one.
  if (!Number.isFinite(timestamp)) {
    throw new SluiceError('INVALID_ARGUMENT', `a record needs a finite timestamp for time windows, got ${timestamp}`);
  }
}

/**
 * What the time-window assigners share: an element's time is its event timestamp or, for
 * processing-time windows, the clock when it is seen; the default trigger fires in the same
 * domain; windows rebuild from their ids.
 */
abstract class TimeWindowAssigner<T> implements WindowAssigner<T, TimeWindow> {
  protected constructor(private readonly eventTime: boolean) {}

  /** The windows of `element` at `time` (validated here). */
  protected abstract assignAt(element: T, time: number): readonly TimeWindow[];

  assignWindows(element: T, timestamp: number, ctx?: WindowAssignerContext): readonly TimeWindow[] {
    if (this.eventTime) return this.assignAt(element, timestamp);
    if (ctx === undefined) throw new SluiceError('INVALID_ARGUMENT', 'processing-time windows need the assigner context (the clock)');
    return this.assignAt(element, ctx.currentProcessingTime());
  }

  defaultTrigger(): Trigger<T, TimeWindow> {
    return this.eventTime ? new EventTimeTrigger<T>() : new ProcessingTimeTrigger<T>();
  }

  isEventTime(): boolean {
    return this.eventTime;
  }

  windowFromId(id: string): TimeWindow {
    return TimeWindow.fromId(id);
  }
}

abstract class TumblingWindows<T> extends TimeWindowAssigner<T> {
  // One-slot cache: consecutive records mostly fall into the same window, so most calls
  // return the same array without allocating.
  private last: TimeWindow[] = [];

  protected constructor(
    eventTime: boolean,
    readonly size: number,
    readonly offset: number,
  ) {
    super(eventTime);
    checkPositive('tumbling window size', size);
    checkOffset(offset, size);
  }

  protected assignAt(_element: T, timestamp: number): readonly TimeWindow[] {
    checkTimestamp(timestamp);
    const start = windowStartWithOffset(timestamp, this.offset, this.size);
    const cached = this.last[0];
    if (cached !== undefined && cached.start === start) return this.last;
    this.last = [new TimeWindow(start, start + this.size)];
    return this.last;
  }
}

/** Fixed-size, non-overlapping event-time windows: [k*size + offset, (k+1)*size + offset). */
export class TumblingEventTimeWindows<T = unknown> extends TumblingWindows<T> {
  static of<T = unknown>(size: Duration, offset: Duration = 0): TumblingEventTimeWindows<T> {
    return new TumblingEventTimeWindows<T>(true, positiveMillis('tumbling window size', size), offsetMillis(offset));
  }
}

/** Tumbling windows over the processing-time clock at the moment each record is seen. */
export class TumblingProcessingTimeWindows<T = unknown> extends TumblingWindows<T> {
  static of<T = unknown>(size: Duration, offset: Duration = 0): TumblingProcessingTimeWindows<T> {
    return new TumblingProcessingTimeWindows<T>(false, positiveMillis('tumbling window size', size), offsetMillis(offset));
  }
}

abstract class SlidingWindows<T> extends TimeWindowAssigner<T> {
  protected constructor(
    eventTime: boolean,
    readonly size: number,
    readonly slide: number,
    readonly offset: number,
  ) {
    super(eventTime);
    checkPositive('sliding window size', size);
    checkPositive('sliding window slide', slide);
    checkOffset(offset, slide);
  }

  // One-slot cache as in TumblingWindows: consecutive records share their windows (the same
  // array and the same TimeWindow objects, so their ids are not rebuilt either). The windows
  // depend on the latest start and, when size is no multiple of slide, on how many fit.
  private last: TimeWindow[] = [];

  /** Every window containing `timestamp`, latest start first (size/slide of them, rounded up). */
  protected assignAt(_element: T, timestamp: number): readonly TimeWindow[] {
    checkTimestamp(timestamp);
    const lastStart = windowStartWithOffset(timestamp, this.offset, this.slide);
    // Starts lastStart - k*slide for k = 0.. while start > timestamp - size.
    const count = Math.floor((lastStart - timestamp + this.size - 1) / this.slide) + 1;
    const cached = this.last;
    if (cached.length === count && count > 0 && (cached[0] as TimeWindow).start === lastStart) return cached;
    const out: TimeWindow[] = [];
    for (let start = lastStart; start > timestamp - this.size; start -= this.slide) {
      // Reuse the window objects the previous array shares with this one (a slide later, all but one).
      const prev = this.findCached(start);
      out.push(prev ?? new TimeWindow(start, start + this.size));
    }
    this.last = out;
    return out;
  }

  private findCached(start: number): TimeWindow | undefined {
    const c = this.last;
    for (let i = 0; i < c.length; i++) if ((c[i] as TimeWindow).start === start) return c[i];
    return undefined;
  }
}

/** Windows of `size` starting every `slide`; an element belongs to ceil(size/slide) of them. */
export class SlidingEventTimeWindows<T = unknown> extends SlidingWindows<T> {
  static of<T = unknown>(size: Duration, slide: Duration, offset: Duration = 0): SlidingEventTimeWindows<T> {
    return new SlidingEventTimeWindows<T>(true, positiveMillis('sliding window size', size), positiveMillis('sliding window slide', slide), offsetMillis(offset));
  }
}

export class SlidingProcessingTimeWindows<T = unknown> extends SlidingWindows<T> {
  static of<T = unknown>(size: Duration, slide: Duration, offset: Duration = 0): SlidingProcessingTimeWindows<T> {
    return new SlidingProcessingTimeWindows<T>(false, positiveMillis('sliding window size', size), positiveMillis('sliding window slide', slide), offsetMillis(offset));
  }
}

/** Gap of a session: a constant or computed per element (Flink's dynamic gap). */
export type SessionGap<T> = number | ((element: T) => number);

abstract class SessionWindows<T> extends TimeWindowAssigner<T> implements MergingWindowAssigner<T, TimeWindow> {
  readonly merging = true as const;

  protected constructor(
    eventTime: boolean,
    private readonly gap: SessionGap<T>,
  ) {
    super(eventTime);
    if (typeof gap === 'number') checkPositive('session gap', gap);
  }

  protected assignAt(element: T, timestamp: number): readonly TimeWindow[] {
    checkTimestamp(timestamp);
    const gap = typeof this.gap === 'number' ? this.gap : this.gap(element);
    if (typeof this.gap !== 'number') checkPositive('session gap (from the gap extractor)', gap);
    return [new TimeWindow(timestamp, timestamp + gap)];
  }

  /** Sorts by start and sweeps, folding each window into the current group while they intersect. */
  mergeWindows(windows: readonly TimeWindow[], merge: (toBeMerged: TimeWindow[], mergeResult: TimeWindow) => void): void {
    const sorted = [...windows].sort((a, b) => a.start - b.start);
    let group: TimeWindow[] = [];
    let cover: TimeWindow | undefined;
    const flush = (): void => {
      if (cover !== undefined && group.length > 1) merge(group, cover);
    };
    for (const w of sorted) {
      if (cover !== undefined && cover.intersects(w)) {
        group.push(w);
        cover = cover.cover(w);
      } else {
        flush();
        group = [w];
        cover = w;
      }
    }
    flush();
  }
}

/**
 * Sessions in event time: each element opens [ts, ts + gap); windows that overlap or touch
 * merge, so a session ends after `gap` ms without elements.
 */
export class EventTimeSessionWindows<T = unknown> extends SessionWindows<T> {
  static withGap<T = unknown>(gap: Duration): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>(true, positiveMillis('session gap', gap));
  }
  static withDynamicGap<T>(gap: (element: T) => number): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>(true, gap);
  }
}

export class ProcessingTimeSessionWindows<T = unknown> extends SessionWindows<T> {
  static withGap<T = unknown>(gap: Duration): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>(false, positiveMillis('session gap', gap));
  }
  static withDynamicGap<T>(gap: (element: T) => number): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>(false, gap);
  }
}

const GLOBAL: readonly GlobalWindow[] = [GlobalWindow.INSTANCE];

/** One window per key holding everything; needs a trigger (e.g. CountTrigger) to emit anything. */
export class GlobalWindows<T = unknown> implements WindowAssigner<T, GlobalWindow> {
  static create<T = unknown>(): GlobalWindows<T> {
    return new GlobalWindows<T>();
  }
  assignWindows(_e?: T, _ts?: number, _ctx?: WindowAssignerContext): readonly GlobalWindow[] {
    return GLOBAL;
  }
  defaultTrigger(): Trigger<T, GlobalWindow> {
    return new NeverTrigger<T>();
  }
  isEventTime(): boolean {
    return false;
  }
  windowFromId(_id?: string): GlobalWindow {
    return GlobalWindow.INSTANCE;
  }
}

// Short names for the event-time assigners, as the README's examples write them
// (`.window(tumbling("1m"))`); the Flink class names above stay for Flink users.
export const tumbling = <T = unknown>(size: Duration, offset: Duration = 0): TumblingEventTimeWindows<T> =>
  TumblingEventTimeWindows.of<T>(size, offset);
export const sliding = <T = unknown>(size: Duration, slide: Duration, offset: Duration = 0): SlidingEventTimeWindows<T> =>
  SlidingEventTimeWindows.of<T>(size, slide, offset);
export const session = <T = unknown>(gap: Duration): EventTimeSessionWindows<T> => EventTimeSessionWindows.withGap<T>(gap);
export const globalWindow = <T = unknown>(): GlobalWindows<T> => GlobalWindows.create<T>();
