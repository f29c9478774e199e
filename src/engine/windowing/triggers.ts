// The built-in triggers, one small class each, named as in Flink so a Flink user finds
// EventTimeTrigger, ProcessingTimeTrigger, CountTrigger, ContinuousProcessingTimeTrigger,
// ContinuousEventTimeTrigger and PurgingTrigger where they expect them, plus
// EarlyFiringEventTimeTrigger (early results on a processing-time interval, optionally only
// for windows that changed).
// Imports trigger.ts and window.ts only.
import { SluiceError } from '../../errors.js';
import type { Duration } from '../api/duration.js';
import { toMillis } from '../api/duration.js';
import type { OnMergeContext, Trigger, TriggerContext, TriggerStateDescriptor } from './trigger.js';
import { TriggerResult } from './trigger.js';
import type { Window } from './window.js';

const minNumber = (a: number, b: number): number => Math.min(a, b);
const sumNumbers = (a: number, b: number): number => a + b;

function positiveInterval(name: string, d: Duration): number {
  const interval = typeof d === 'number' ? d : toMillis(d, name);
  if (!(interval > 0) || !Number.isFinite(interval)) {
    throw new SluiceError('INVALID_ARGUMENT', `${name} needs a positive finite interval in ms, got ${interval}`);
  }
  return interval;
}

/**
 * The next periodic firing of one window, kept in trigger state with its timer in one time
 * domain: scheduling, cancelling and merging keep the two in step. Merged windows keep the
 * earliest pending firing.
 */
class PendingFiring {
  private readonly descriptor: TriggerStateDescriptor<number>;

  constructor(
    name: string,
    private readonly domain: 'event' | 'processing',
  ) {
    this.descriptor = { name, merge: minNumber };
  }

  time(ctx: TriggerContext): number | undefined {
    return ctx.getState(this.descriptor).value();
  }

  schedule(ctx: TriggerContext, time: number): void {
    ctx.getState(this.descriptor).update(time);
    if (this.domain === 'event') ctx.registerEventTimeTimer(time);
    else ctx.registerProcessingTimeTimer(time);
  }

  /** Forgets the firing; its timer, if it is still to come, fires into nothing. */
  forget(ctx: TriggerContext): void {
    ctx.getState(this.descriptor).clear();
  }

  cancel(ctx: TriggerContext): void {
    const state = ctx.getState(this.descriptor);
    const time = state.value();
    if (time !== undefined) {
      if (this.domain === 'event') ctx.deleteEventTimeTimer(time);
      else ctx.deleteProcessingTimeTimer(time);
    }
    state.clear();
  }

  merge(ctx: OnMergeContext): void {
    ctx.mergeState(this.descriptor);
    const time = ctx.getState(this.descriptor).value();
    if (time === undefined) return;
    if (this.domain === 'event') ctx.registerEventTimeTimer(time);
    else ctx.registerProcessingTimeTimer(time);
  }
}

/** Defaults of the built-ins: timers of a domain the trigger does not use change nothing; all merge. */
abstract class BuiltInTrigger<T, W extends Window = Window> implements Trigger<T, W> {
  abstract onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult;

  onEventTime(_time: number, _window: W, _ctx?: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(_time: number, _window: W, _ctx?: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(_window: W, _ctx: OnMergeContext): void {}

  clear(_window: W, _ctx: TriggerContext): void {}
}

/**
 * Fires once the watermark passes the window's end. An element arriving after that (late but
 * within allowed lateness, or the operator would have dropped it) fires at once, so the
 * window's result is re-emitted with the late element included.
 */
export class EventTimeTrigger<T = unknown> extends BuiltInTrigger<T> {
  static create<T = unknown>(): EventTimeTrigger<T> {
    return new EventTimeTrigger<T>();
  }

  onElement(_e: T, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.currentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  override onEventTime(time: number, window: Window, _ctx?: TriggerContext): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    // A merged session whose end the watermark already passed needs no timer: the next
    // element or the cleanup decides its fate.
    if (window.maxTimestamp() > ctx.currentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }

  override clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}

/** Fires when the processing-time clock passes the window's end. */
export class ProcessingTimeTrigger<T = unknown> extends BuiltInTrigger<T> {
  static create<T = unknown>(): ProcessingTimeTrigger<T> {
    return new ProcessingTimeTrigger<T>();
  }

  onElement(_e: T, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  override onProcessingTime(time: number, window: Window, _ctx?: TriggerContext): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.currentProcessingTime()) ctx.registerProcessingTimeTimer(window.maxTimestamp());
  }

  override clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }
}

/** Fires every `maxCount` elements of a window; the usual trigger of global windows. */
export class CountTrigger<T = unknown> extends BuiltInTrigger<T> {
  private readonly countState: TriggerStateDescriptor<number> = { name: 'count', merge: sumNumbers };

  private constructor(private readonly maxCount: number) {
    super();
  }

  static of<T = unknown>(maxCount: number): CountTrigger<T> {
    if (!Number.isSafeInteger(maxCount) || maxCount < 1) {
      throw new SluiceError('INVALID_ARGUMENT', `CountTrigger needs a positive integer count, got ${maxCount}`);
    }
    return new CountTrigger<T>(maxCount);
  }

  onElement(_e: T, _ts: number, _w: Window, ctx: TriggerContext): TriggerResult {
    const state = ctx.getState(this.countState);
    const count = (state.value() ?? 0) + 1;
    if (count >= this.maxCount) {
      state.clear();
      return TriggerResult.FIRE;
    }
    state.update(count);
    return TriggerResult.CONTINUE;
  }

  override onMerge(_w: Window, ctx: OnMergeContext): void {
    ctx.mergeState(this.countState);
  }

  override clear(_w: Window, ctx: TriggerContext): void {
    ctx.getState(this.countState).clear();
  }
}

/**
 * Flink's ContinuousProcessingTimeTrigger: fires every `interval` ms of processing time while
 * the window is open and at its end in processing time. Firing does not purge, so each result
 * covers every element so far. For early results of event-time windows use
 * EarlyFiringEventTimeTrigger.
 */
export class ContinuousProcessingTimeTrigger<T = unknown> extends BuiltInTrigger<T> {
  private readonly nextFire = new PendingFiring('next-fire-pt', 'processing');

  private constructor(private readonly interval: number) {
    super();
  }

  static of<T = unknown>(interval: Duration): ContinuousProcessingTimeTrigger<T> {
    return new ContinuousProcessingTimeTrigger<T>(positiveInterval('ContinuousProcessingTimeTrigger', interval));
  }

  private schedule(from: number, window: Window, ctx: TriggerContext): void {
    this.nextFire.schedule(ctx, Math.min(from + this.interval, window.maxTimestamp()));
  }

  onElement(_e: T, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (this.nextFire.time(ctx) === undefined) {
      const now = ctx.currentProcessingTime();
      this.schedule(now - (now % this.interval), window, ctx);
    }
    return TriggerResult.CONTINUE;
  }

  override onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return TriggerResult.FIRE;
    if (this.nextFire.time(ctx) !== time) return TriggerResult.CONTINUE;
    this.schedule(time, window, ctx);
    return TriggerResult.FIRE;
  }

  override onMerge(_w: Window, ctx: OnMergeContext): void {
    this.nextFire.merge(ctx);
  }

  override clear(_w: Window, ctx: TriggerContext): void {
    this.nextFire.cancel(ctx);
  }
}

export interface EarlyFiringOptions {
  /**
   * Fire early only for windows that received elements since their last firing (at most once
   * per interval each), instead of every open window every interval. With many open windows
   * (tens of thousands of sessions) this avoids re-emitting unchanged results.
   */
  readonly onlyOnChange?: boolean;
}

/**
 * Early results for event-time windows: fires every `interval` ms of processing time while
 * the watermark has not yet reached the window's end, then behaves exactly like
 * EventTimeTrigger (final result when the watermark passes the end, an updated result for
 * each late element within allowed lateness). With `{ onlyOnChange: true }` an early firing
 * happens only when the window got elements since its last firing.
 */
export class EarlyFiringEventTimeTrigger<T = unknown> extends BuiltInTrigger<T> {
  private readonly nextFire: PendingFiring;
  private readonly eventTime = new EventTimeTrigger<T>();

  private constructor(
    private readonly interval: number,
    private readonly onlyOnChange: boolean,
  ) {
    super();
    // Separate state names: a savepoint of one mode does not leave a stale firing in the other.
    this.nextFire = new PendingFiring(onlyOnChange ? 'early-on-change' : 'next-fire-early', 'processing');
  }

  static of<T = unknown>(interval: Duration, options: EarlyFiringOptions = {}): EarlyFiringEventTimeTrigger<T> {
    return new EarlyFiringEventTimeTrigger<T>(positiveInterval('EarlyFiringEventTimeTrigger', interval), options.onlyOnChange === true);
  }

  onElement(e: T, ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    const result = this.eventTime.onElement(e, ts, window, ctx);
    if (result === TriggerResult.CONTINUE && this.nextFire.time(ctx) === undefined) {
      // Aligned to the interval, so the early firings of many windows coincide.
      const now = ctx.currentProcessingTime();
      this.nextFire.schedule(ctx, now - (now % this.interval) + this.interval);
    }
    return result;
  }

  override onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    const result = this.eventTime.onEventTime(time, window);
    if (result !== TriggerResult.CONTINUE) this.nextFire.cancel(ctx);
    return result;
  }

  override onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (this.nextFire.time(ctx) !== time) return TriggerResult.CONTINUE;
    if (window.maxTimestamp() <= ctx.currentWatermark()) {
      // The final result has been (or is being) emitted in event time; early firings are over.
      this.nextFire.forget(ctx);
      return TriggerResult.CONTINUE;
    }
    // On change: the next element schedules the next firing; else fire again an interval later.
    if (this.onlyOnChange) this.nextFire.forget(ctx);
    else this.nextFire.schedule(ctx, time + this.interval);
    return TriggerResult.FIRE;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    this.nextFire.merge(ctx);
    this.eventTime.onMerge(window, ctx);
  }

  override clear(window: Window, ctx: TriggerContext): void {
    this.nextFire.cancel(ctx);
    this.eventTime.clear(window, ctx);
  }
}

/**
 * Fires every `interval` ms of event time (as the watermark advances through the window)
 * and at the window's end.
 */
export class ContinuousEventTimeTrigger<T = unknown> extends BuiltInTrigger<T> {
  private readonly nextFire = new PendingFiring('next-fire-et', 'event');

  private constructor(private readonly interval: number) {
    super();
  }

  static of<T = unknown>(interval: Duration): ContinuousEventTimeTrigger<T> {
    return new ContinuousEventTimeTrigger<T>(positiveInterval('ContinuousEventTimeTrigger', interval));
  }

  onElement(_e: T, ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.currentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(window.maxTimestamp());
    if (this.nextFire.time(ctx) === undefined) {
      // Aligned to the interval (also for negative event times).
      const start = ts - (((ts % this.interval) + this.interval) % this.interval);
      this.nextFire.schedule(ctx, start + this.interval);
    }
    return TriggerResult.CONTINUE;
  }

  override onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return TriggerResult.FIRE;
    if (this.nextFire.time(ctx) !== time) return TriggerResult.CONTINUE;
    this.nextFire.schedule(ctx, time + this.interval);
    return TriggerResult.FIRE;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    this.nextFire.merge(ctx);
    if (window.maxTimestamp() > ctx.currentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }

  override clear(window: Window, ctx: TriggerContext): void {
    this.nextFire.cancel(ctx);
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}

/** Turns every FIRE of the wrapped trigger into FIRE_AND_PURGE (each result covers only new elements). */
export class PurgingTrigger<T, W extends Window> implements Trigger<T, W> {
  private constructor(private readonly inner: Trigger<T, W>) {}

  static of<T, W extends Window>(inner: Trigger<T, W>): PurgingTrigger<T, W> {
    return new PurgingTrigger(inner);
  }

  private purgeOnFire(r: TriggerResult): TriggerResult {
    return r === TriggerResult.FIRE ? TriggerResult.FIRE_AND_PURGE : r;
  }

  onElement(e: T, ts: number, w: W, ctx: TriggerContext): TriggerResult {
    return this.purgeOnFire(this.inner.onElement(e, ts, w, ctx));
  }

  onEventTime(time: number, w: W, ctx: TriggerContext): TriggerResult {
    return this.purgeOnFire(this.inner.onEventTime(time, w, ctx));
  }

  onProcessingTime(time: number, w: W, ctx: TriggerContext): TriggerResult {
    return this.purgeOnFire(this.inner.onProcessingTime(time, w, ctx));
  }

  canMerge(): boolean {
    return this.inner.canMerge();
  }

  onMerge(w: W, ctx: OnMergeContext): void {
    this.inner.onMerge(w, ctx);
  }

  clear(w: W, ctx: TriggerContext): void {
    this.inner.clear(w, ctx);
  }
}

/** Never fires; for global windows whose results are not wanted until a custom trigger replaces it. */
export class NeverTrigger<T = unknown> extends BuiltInTrigger<T> {
  onElement(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
}
