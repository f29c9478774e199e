// Event-time and processing-time timers per (key, namespace, time), as in Flink: registering
// the same timer twice keeps one, deleting a missing one is a no-op, event timers fire when
// the watermark passes them and processing timers when the Clock does, in time order, with
// the timer's key set as the current key. Timers are part of checkpoints, grouped by key
// group so they follow their keys when a job is restored at another parallelism.
// May import: time/, state/types.ts.
import type { StateKey } from '../state/types.js';
import { stableId } from './stable-id.js';
import { MIN_WATERMARK } from './watermark.js';

export interface Triggerable<N> {
  onEventTime(time: number, key: StateKey, namespace: N): void;
  onProcessingTime(time: number, key: StateKey, namespace: N): void;
}

/** What an operator sees: timers for the CURRENT key. */
export interface InternalTimerService<N> {
  registerEventTimeTimer(namespace: N, time: number): void;
  deleteEventTimeTimer(namespace: N, time: number): void;
  registerProcessingTimeTimer(namespace: N, time: number): void;
  deleteProcessingTimeTimer(namespace: N, time: number): void;
  currentWatermark(): number;
  currentProcessingTime(): number;
}

/** How a namespace (e.g. a window) is written into a checkpoint and read back. */
export interface NamespaceSerializer<N> {
  toPlain(namespace: N): unknown;
  fromPlain(plain: unknown): N;
}

/** [domain 0 event / 1 processing, time, key, namespace(plain)] */
export type TimerEntry = [0 | 1, number, StateKey, unknown];

interface Timer<N> {
  time: number;
  key: StateKey;
  keyGroup: number;
  namespace: N;
  id: string;
  live: boolean;
}

/** A min-heap on time with lazy deletion (deleted timers stay in the heap, marked dead). */
class TimerQueue<N> {
  readonly byId = new Map<string, Timer<N>>();
  private heap: Timer<N>[] = [];

  add(t: Timer<N>): boolean {
    if (this.byId.has(t.id)) return false;
    this.byId.set(t.id, t);
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((h[p] as Timer<N>).time <= t.time) break;
      h[i] = h[p] as Timer<N>;
      i = p;
    }
    h[i] = t;
    return true;
  }

  remove(id: string): void {
    const t = this.byId.get(id);
    if (!t) return;
    t.live = false;
    this.byId.delete(id);
  }

  /** Earliest live timer's time, or +Infinity. */
  peekTime(): number {
    this.dropDead();
    const top = this.heap[0];
    return top ? top.time : Number.POSITIVE_INFINITY;
  }

  pollUpTo(time: number): Timer<N> | undefined {
    this.dropDead();
    const top = this.heap[0];
    if (!top || top.time > time) return undefined;
    this.pop();
    this.byId.delete(top.id);
    top.live = false;
    return top;
  }

  size(): number {
    return this.byId.size;
  }

  private dropDead(): void {
    while (this.heap.length > 0 && !(this.heap[0] as Timer<N>).live) this.pop();
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Timer<N>;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    while (true) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (h[r] as Timer<N>).time < (h[l] as Timer<N>).time ? r : l;
      if ((h[c] as Timer<N>).time >= last.time) break;
      h[i] = h[c] as Timer<N>;
      i = c;
    }
    h[i] = last;
  }
}

/** Key access the timer service needs from its operator's keyed context. */
export interface TimerKeyContext {
  currentKey(): StateKey;
  currentKeyGroup(): number;
  setCurrentKey(key: StateKey): void;
  keyGroupOf(key: StateKey): number;
}

export class TimerServiceImpl<N> implements InternalTimerService<N> {
  private readonly event = new TimerQueue<N>();
  private readonly processing = new TimerQueue<N>();
  watermark = MIN_WATERMARK;

  constructor(
    private readonly keys: TimerKeyContext,
    private readonly target: Triggerable<N>,
    private readonly now: () => number,
    private readonly serializer: NamespaceSerializer<N> | undefined,
  ) {}

  private make(namespace: N, time: number): Timer<N> {
    const key = this.keys.currentKey();
    const ns = this.serializer ? this.serializer.toPlain(namespace) : namespace;
    return { time, key, keyGroup: this.keys.currentKeyGroup(), namespace, id: `${time}\u0000${stableId(key)}\u0000${stableId(ns)}`, live: true };
  }

  private idOf(namespace: N, time: number): string {
    const ns = this.serializer ? this.serializer.toPlain(namespace) : namespace;
    return `${time}\u0000${stableId(this.keys.currentKey())}\u0000${stableId(ns)}`;
  }

  registerEventTimeTimer(namespace: N, time: number): void {
    this.event.add(this.make(namespace, time));
  }
  deleteEventTimeTimer(namespace: N, time: number): void {
    this.event.remove(this.idOf(namespace, time));
  }
  registerProcessingTimeTimer(namespace: N, time: number): void {
    this.processing.add(this.make(namespace, time));
  }
  deleteProcessingTimeTimer(namespace: N, time: number): void {
    this.processing.remove(this.idOf(namespace, time));
  }
  currentWatermark(): number {
    return this.watermark;
  }
  currentProcessingTime(): number {
    return this.now();
  }

  /** Fires event timers with time <= watermark. */
  advanceWatermark(watermark: number): void {
    this.watermark = watermark;
    let t: Timer<N> | undefined;
    while ((t = this.event.pollUpTo(watermark)) !== undefined) {
      this.keys.setCurrentKey(t.key);
      this.target.onEventTime(t.time, t.key, t.namespace);
    }
  }

  /** Fires processing timers with time <= now. */
  advanceProcessingTime(now: number): void {
    let t: Timer<N> | undefined;
    while ((t = this.processing.pollUpTo(now)) !== undefined) {
      this.keys.setCurrentKey(t.key);
      this.target.onProcessingTime(t.time, t.key, t.namespace);
    }
  }

  nextProcessingTime(): number {
    return this.processing.peekTime();
  }

  nextEventTime(): number {
    return this.event.peekTime();
  }

  timerCount(): { event: number; processing: number } {
    return { event: this.event.size(), processing: this.processing.size() };
  }

  /** Live timers grouped by key group. */
  snapshot(into: Map<number, TimerEntry[]>): void {
    const put = (domain: 0 | 1, t: Timer<N>): void => {
      let list = into.get(t.keyGroup);
      if (!list) into.set(t.keyGroup, (list = []));
      list.push([domain, t.time, t.key, this.serializer ? this.serializer.toPlain(t.namespace) : t.namespace]);
    };
    for (const t of this.event.byId.values()) put(0, t);
    for (const t of this.processing.byId.values()) put(1, t);
  }

  /** Re-registers timers (the caller filters them to this subtask's key groups). */
  restore(entries: Iterable<TimerEntry>): void {
    for (const [domain, time, key, plain] of entries) {
      const namespace = this.serializer ? this.serializer.fromPlain(plain) : (plain as N);
      const t: Timer<N> = {
        time,
        key,
        keyGroup: this.keys.keyGroupOf(key),
        namespace,
        id: `${time}\u0000${stableId(key)}\u0000${stableId(plain)}`,
        live: true,
      };
      (domain === 0 ? this.event : this.processing).add(t);
    }
  }
}
