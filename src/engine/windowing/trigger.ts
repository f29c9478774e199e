// The Trigger contract, with Flink's semantics: a trigger looks at each element and each
// timer of one (key, window) and answers whether the window should be evaluated (FIRE),
// emptied (PURGE), both, or left alone (CONTINUE). Triggers keep their own small per-window
// state through the context, so the same trigger object serves every key and window.
// Imports only window.ts; the window operator implements the contexts.
import type { Window } from './window.js';

export const TriggerResult = {
  CONTINUE: 0,
  FIRE: 1,
  PURGE: 2,
  FIRE_AND_PURGE: 3,
} as const;
export type TriggerResult = (typeof TriggerResult)[keyof typeof TriggerResult];

export function isFire(r: TriggerResult): boolean {
  return (r & TriggerResult.FIRE) !== 0;
}
export function isPurge(r: TriggerResult): boolean {
  return (r & TriggerResult.PURGE) !== 0;
}

/**
 * A value a trigger keeps per (key, window). `merge` combines the values of windows that a
 * merging assigner folds into one (e.g. two session counts add up).
 */
export interface TriggerStateDescriptor<V> {
  readonly name: string;
  merge(a: V, b: V): V;
}

export interface TriggerState<V> {
  value(): V | undefined;
  update(value: V): void;
  clear(): void;
}

export interface TriggerContext {
  currentWatermark(): number;
  currentProcessingTime(): number;
  registerEventTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  registerProcessingTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  /** State of the current key and window. */
  getState<V>(descriptor: TriggerStateDescriptor<V>): TriggerState<V>;
}

export interface OnMergeContext extends TriggerContext {
  /** Folds the state of every merged window into the state of the merge result. */
  mergeState<V>(descriptor: TriggerStateDescriptor<V>): void;
}

export interface Trigger<T, W extends Window> {
  onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult;
  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** Whether this trigger supports merging windows (session windows need it). */
  canMerge(): boolean;
  onMerge(window: W, ctx: OnMergeContext): void;
  /** Drops timers and state this trigger holds for the window; called when the window is purged for good. */
  clear(window: W, ctx: TriggerContext): void;
}
