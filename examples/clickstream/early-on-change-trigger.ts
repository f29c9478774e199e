// A trigger for live dashboards over long event-time windows (30-minute sessions): behaves as
// EventTimeTrigger (the final result when the watermark passes the window's end), and before
// that fires a provisional result at most once per `interval` of processing time, and only for
// windows that received elements since their last firing. The engine's
// EarlyFiringEventTimeTrigger fires every open window every interval; with tens of thousands
// of open sessions that re-emits unchanged sessions over and over, which this one does not.
// Ordinary user code on the engine's Trigger contract. May import src/engine/windowing.
import type { OnMergeContext, Trigger, TriggerContext, TriggerStateDescriptor } from '../../src/engine/windowing/trigger.js';
import type { Window } from '../../src/engine/windowing/window.js';
import { TriggerResult } from '../../src/engine/windowing/trigger.js';
import { EventTimeTrigger } from '../../src/engine/windowing/triggers.js';
import { SluiceError } from '../../src/errors.js';

export class EarlyOnChangeTrigger<T = unknown> implements Trigger<T, Window> {
  /** The processing time of the pending early firing, set while the window has unreported elements. */
  private readonly pending: TriggerStateDescriptor<number> = { name: 'early-on-change', merge: (a, b) => Math.min(a, b) };
  private readonly eventTime = EventTimeTrigger.create<T>();

  private constructor(private readonly interval: number) {}

  static of<T = unknown>(intervalMs: number): EarlyOnChangeTrigger<T> {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new SluiceError('INVALID_ARGUMENT', `EarlyOnChangeTrigger interval must be a positive number of ms, got ${intervalMs}`);
    return new EarlyOnChangeTrigger<T>(intervalMs);
  }

  onElement(e: T, ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    const result = this.eventTime.onElement(e, ts, window, ctx);
    if (result !== TriggerResult.CONTINUE) return result;
    const state = ctx.getState(this.pending);
    if (state.value() === undefined) {
      // Aligned to the interval, so the firings of many windows coincide (one funnel update).
      const now = ctx.currentProcessingTime();
      const next = now - (now % this.interval) + this.interval;
      state.update(next);
      ctx.registerProcessingTimeTimer(next);
    }
    return result;
  }

  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    const result = this.eventTime.onEventTime(time, window);
    if (result !== TriggerResult.CONTINUE) this.cancel(ctx);
    return result;
  }

  onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    const state = ctx.getState(this.pending);
    if (state.value() !== time) return TriggerResult.CONTINUE;
    state.clear();
    // Once the watermark passed the end the final result is the event-time firing's.
    return window.maxTimestamp() <= ctx.currentWatermark() ? TriggerResult.CONTINUE : TriggerResult.FIRE;
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(window: Window, ctx: OnMergeContext): void {
    this.eventTime.onMerge(window, ctx);
    ctx.mergeState(this.pending);
    const next = ctx.getState(this.pending).value();
    if (next !== undefined) ctx.registerProcessingTimeTimer(next);
  }

  clear(window: Window, ctx: TriggerContext): void {
    this.eventTime.clear(window, ctx);
    this.cancel(ctx);
  }

  private cancel(ctx: TriggerContext): void {
    const state = ctx.getState(this.pending);
    const next = state.value();
    if (next !== undefined) ctx.deleteProcessingTimeTimer(next);
    state.clear();
  }
}
