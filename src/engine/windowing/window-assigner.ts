// The WindowAssigner contract: which windows an element belongs to, which trigger fires them
// by default, and (for merging assigners such as sessions) how overlapping windows combine.
// Imports window.ts and trigger.ts only.
import type { Trigger } from './trigger.js';
import type { Window } from './window.js';

export interface WindowAssignerContext {
  currentProcessingTime(): number;
}

export interface WindowAssigner<T, W extends Window> {
  /**
   * The windows of one element. The returned array may be reused by the next call (so the hot
   * path allocates nothing per element for tumbling windows); copy it to keep it.
   */
  assignWindows(element: T, timestamp: number, ctx: WindowAssignerContext): readonly W[];
  defaultTrigger(): Trigger<T, W>;
  /** True when windows close on the watermark; false for processing-time windows. */
  isEventTime(): boolean;
  /** Rebuilds a window from its id (for timers and checkpoints). */
  windowFromId(id: string): W;
}

export interface MergingWindowAssigner<T, W extends Window> extends WindowAssigner<T, W> {
  readonly merging: true;
  /**
   * Groups `windows` into merge sets; calls `merge(toBeMerged, mergeResult)` for every group of
   * two or more windows.
   */
  mergeWindows(windows: readonly W[], merge: (toBeMerged: W[], mergeResult: W) => void): void;
}

export function isMergingAssigner<T, W extends Window>(a: WindowAssigner<T, W>): a is MergingWindowAssigner<T, W> {
  return (a as Partial<MergingWindowAssigner<T, W>>).merging === true;
}
