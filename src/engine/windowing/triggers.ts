// The built-in triggers, one small class each, named as in Flink so a Flink user finds
// EventTimeTrigger, ProcessingTimeTrigger, CountTrigger, ContinuousProcessingTimeTrigger,
// ContinuousEventTimeTrigger and PurgingTrigger where they expect them, plus
// EarlyFiringEventTimeTrigger (early results on a processing-time interval).
// Imports trigger.ts and window.ts only.
import { SluiceError } from '../../errors.js';
import type { Duration } from '../api/duration.js';
import { toMillis } from '../api/duration.js';
import type { OnMergeContext, Trigger, TriggerContext, TriggerStateDescriptor } from './trigger.js';
import { TriggerResult } from './trigger.js';
import type { Window } from './window.js';

/**
 * Fires once the watermark passes the window's end. An element arriving after that (late but
 * within allowed lateness, or the operator would have dropped it) fires at once, so the
 * window's result is re-emitted with the late element included.
 */
export class EventTimeTrigger<T = unknown> implements Trigger<T, Window> {
  static create<T = unknown>(): EventTimeTrigger<T> {
    return new EventTimeTrigger<T>();
  }

  onElement(_e: T, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.currentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, window: Window, _ctx?: TriggerContext): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }

  onProcessingTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(window: Window, ctx: OnMergeContext): void {
    // A merged session whose end the watermark already passed needs no timer: the next
    // element or the cleanup decides its fate.
    if (window.maxTimestamp() > ctx.currentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}

/** Fires when the processing-time clock passes the window's end. */
export class ProcessingTimeTrigger<T = unknown> implements Trigger<T, Window> {
  static create<T = unknown>(): ProcessingTimeTrigger<T> {
    return new ProcessingTimeTrigger<T>();
  }

  onElement(_e: T, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  onEventTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(time: number, window: Window, _ctx?: TriggerContext): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(window: Window, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.currentProcessingTime()) ctx.registerProcessingTimeTimer(window.maxTimestamp());
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }
}

const sumNumbers = (a: number, b: number): number => a + b;

/** Fires every `maxCount` elements of a window; the usual trigger of global windows. */
export class CountTrigger<T = unknown> implements Trigger<T, Window> {
  private readonly countState: TriggerStateDescriptor<number> = { name: 'count', merge: sumNumbers };

  private constructor(private readonly maxCount: number) {}

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

  onEventTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(_w: Window, ctx: OnMergeContext): void {
    ctx.mergeState(this.countState);
  }

  clear(_w: Window, ctx: TriggerContext): void {
    ctx.getState(this.countState).clear();
  }
}

const minNumber = (a: number, b: number): number => Math.min(a, b);

function positiveInterval(name: string, d: Duration): number {
  const interval = typeof d === 'number' ? d : toMillis(d, name);
  if (!(interval > 0) || !Number.isFinite(interval)) {
    throw new SluiceError('INVALID_ARGUMENT', `${name} needs a positive finite interval in ms, got ${interval}`);
  }
  return interval;
}

/**
 * Flink's ContinuousProcessingTimeTrigger: fires every `interval` ms of processing time while
 * the window is open and at its end in processing time. Firing does not purge, so each result
 * covers every element so far. For early results of event-time windows use
 * EarlyFiringEventTimeTrigger.
 */
export class ContinuousProcessingTimeTrigger<T = unknown> implements Trigger<T, Window> {
  private readonly nextFire: TriggerStateDescriptor<number> = { name: 'next-fire-pt', merge: minNumber };

  private constructor(private readonly interval: number) {}

  static of<T = unknown>(interval: Duration): ContinuousProcessingTimeTrigger<T> {
    return new ContinuousProcessingTimeTrigger<T>(positiveInterval('ContinuousProcessingTimeTrigger', interval));
  }

  private schedule(from: number, window: Window, ctx: TriggerContext): void {
    const next = Math.min(from + this.interval, window.maxTimestamp());
    ctx.getState(this.nextFire).update(next);
    ctx.registerProcessingTimeTimer(next);
  }

  onElement(_e: T, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (ctx.getState(this.nextFire).value() === undefined) {
      const now = ctx.currentProcessingTime();
      this.schedule(now - (now % this.interval), window, ctx);
    }
    return TriggerResult.CONTINUE;
  }

  onEventTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return TriggerResult.FIRE;
    if (ctx.getState(this.nextFire).value() !== time) return TriggerResult.CONTINUE;
    this.schedule(time, window, ctx);
    return TriggerResult.FIRE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(_w: Window, ctx: OnMergeContext): void {
    ctx.mergeState(this.nextFire);
    const next = ctx.getState(this.nextFire).value();
    if (next !== undefined) ctx.registerProcessingTimeTimer(next);
  }

  clear(_w: Window, ctx: TriggerContext): void {
    const state = ctx.getState(this.nextFire);
    const next = state.value();
    if (next !== undefined) ctx.deleteProcessingTimeTimer(next);
    state.clear();
  }
}

/**
 * Early results for event-time windows: fires every `interval` ms of processing time while
 * the watermark has not yet reached the window's end, then behaves exactly like
 * EventTimeTrigger (final result when the watermark passes the end, an updated result for
 * each late element within allowed lateness).
 */
export class EarlyFiringEventTimeTrigger<T = unknown> implements Trigger<T, Window> {
  private readonly nextFire: TriggerStateDescriptor<number> = { name: 'next-fire-early', merge: minNumber };
  private readonly eventTime = new EventTimeTrigger<T>();

  private constructor(private readonly interval: number) {}

  static of<T = unknown>(interval: Duration): EarlyFiringEventTimeTrigger<T> {
    return new EarlyFiringEventTimeTrigger<T>(positiveInterval('EarlyFiringEventTimeTrigger', interval));
  }

  onElement(e: T, ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    const result = this.eventTime.onElement(e, ts, window, ctx);
    const state = ctx.getState(this.nextFire);
    if (result === TriggerResult.CONTINUE && state.value() === undefined) {
      const now = ctx.currentProcessingTime();
      const next = now - (now % this.interval) + this.interval;
      state.update(next);
      ctx.registerProcessingTimeTimer(next);
    }
    return result;
  }

  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    const result = this.eventTime.onEventTime(time, window);
    if (result !== TriggerResult.CONTINUE) this.stopEarlyFirings(ctx);
    return result;
  }

  onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    const state = ctx.getState(this.nextFire);
    if (state.value() !== time) return TriggerResult.CONTINUE;
    if (window.maxTimestamp() <= ctx.currentWatermark()) {
      // The final result has been (or is being) emitted in event time; early firings are over.
      state.clear();
      return TriggerResult.CONTINUE;
    }
    const next = time + this.interval;
    state.update(next);
    ctx.registerProcessingTimeTimer(next);
    return TriggerResult.FIRE;
  }

  private stopEarlyFirings(ctx: TriggerContext): void {
    const state = ctx.getState(this.nextFire);
    const next = state.value();
    if (next !== undefined) ctx.deleteProcessingTimeTimer(next);
    state.clear();
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(window: Window, ctx: OnMergeContext): void {
    ctx.mergeState(this.nextFire);
    const next = ctx.getState(this.nextFire).value();
    if (next !== undefined) ctx.registerProcessingTimeTimer(next);
    this.eventTime.onMerge(window, ctx);
  }

  clear(window: Window, ctx: TriggerContext): void {
    this.stopEarlyFirings(ctx);
    this.eventTime.clear(window, ctx);
  }
}

/**
 * Fires every `interval` ms of event time (as the watermark advances through the window)
 * and at the window's end.
 */
export class ContinuousEventTimeTrigger<T = unknown> implements Trigger<T, Window> {
  private readonly nextFire: TriggerStateDescriptor<number> = { name: 'next-fire-et', merge: minNumber };

  private constructor(private readonly interval: number) {}

  static of<T = unknown>(interval: Duration): ContinuousEventTimeTrigger<T> {
    return new ContinuousEventTimeTrigger<T>(positiveInterval('ContinuousEventTimeTrigger', interval));
  }

  onElement(_e: T, ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.currentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(window.maxTimestamp());
    const state = ctx.getState(this.nextFire);
    if (state.value() === undefined) {
      const start = ts - (((ts % this.interval) + this.interval) % this.interval);
      const next = start + this.interval;
      state.update(next);
      ctx.registerEventTimeTimer(next);
    }
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return TriggerResult.FIRE;
    const state = ctx.getState(this.nextFire);
    if (state.value() !== time) return TriggerResult.CONTINUE;
    const next = time + this.interval;
    state.update(next);
    ctx.registerEventTimeTimer(next);
    return TriggerResult.FIRE;
  }

  onProcessingTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(window: Window, ctx: OnMergeContext): void {
    ctx.mergeState(this.nextFire);
    const next = ctx.getState(this.nextFire).value();
    if (next !== undefined) ctx.registerEventTimeTimer(next);
    if (window.maxTimestamp() > ctx.currentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }

  clear(window: Window, ctx: TriggerContext): void {
    const state = ctx.getState(this.nextFire);
    const next = state.value();
    if (next !== undefined) ctx.deleteEventTimeTimer(next);
    state.clear();
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
export class NeverTrigger<T = unknown> implements Trigger<T, Window> {
  onElement(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  onEventTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  onProcessingTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  canMerge(): boolean {
    return true;
  }
  onMerge(): void {}
  clear(): void {}
}
