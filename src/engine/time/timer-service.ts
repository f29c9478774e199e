// Event-time and processing-time timers per (key, namespace, time), as in Flink: registering
// the same timer twice keeps one, deleting a missing one is a no-op, event timers fire when
// the watermark passes them and processing timers when the Clock does, in time order, with
// the timer's key set as the current key. Timers are part of checkpoints, grouped by key
// group so they follow their keys when a job is restored at another parallelism.
// May import: time/, state/types.ts, state/key-codec.ts (the one key identity).
import type { StateKey } from '../state/types.js';
import { heapKeyOf } from '../state/key-codec.js';
import type { HeapKey } from '../state/key-codec.js';
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
  /** heapKeyOf(key) and heapKeyOf(namespace in plain form): the dedupe identity, no strings built. */
  keyH: HeapKey;
  nsH: HeapKey;
  keyGroup: number;
  namespace: N;
  /** Registration order, so a checkpoint lists timers as they were registered. */
  seq: number;
  live: boolean;
}

/** The timers of one (namespace, key): one timer (the common case) or several by time. */
type Slot<N> = Timer<N> | Map<number, Timer<N>>;

/** Several timers of one time, in registration order; `at` is where firing has got to. */
class TimerBucket<N> {
  at = 0;
  constructor(readonly timers: Timer<N>[]) {}
}

/**
 * Timers bucketed by time: a min-heap of the distinct times plus, per time, its timers in
 * registration order. Firing order is by time, then by registration: a total order, so timers
 * of equal time fire in the same order in a job and in its restored copy (a snapshot lists
 * timers by registration). Windows and most timers share a few
 * times (window ends lie on a grid), so registering and firing cost a Map lookup instead of
 * a sift through a heap of every key's timer. A time with one timer (timers at distinct
 * times, such as each auction's own expiry) holds the timer itself, not a bucket around it.
 * Deletion is lazy (a deleted timer stays where it is, marked dead). An index namespace ->
 * key -> time deduplicates; it is looked up BEFORE a timer is allocated, so re-registering an
 * existing timer (the common case: every element of a window registers the window's end)
 * allocates nothing. Namespaces come first because there are few of them (windows, or one
 * namespace for user timers), so few Maps are created.
 */
class TimerQueue<N> {
  private readonly index = new Map<HeapKey, Map<HeapKey, Slot<N>>>();
  private readonly buckets = new Map<number, Timer<N> | TimerBucket<N>>();
  /** Min-heap of the times that have a bucket. */
  private readonly times: number[] = [];
  private count = 0;
  private seq = 0;
  /** The last timer found or added: a record registering the same timer twice hits it. */
  private last: Timer<N> | undefined;

  find(keyH: HeapKey, nsH: HeapKey, time: number): Timer<N> | undefined {
    const l = this.last;
    if (l !== undefined && l.live && l.time === time && l.keyH === keyH && l.nsH === nsH) return l;
    const s = this.index.get(nsH)?.get(keyH);
    if (s === undefined) return undefined;
    const t = s instanceof Map ? s.get(time) : s.time === time ? s : undefined;
    // The slot may hold the timer being fired (dead, see pollUpTo): it is not registered.
    if (t === undefined || !t.live) return undefined;
    this.last = t;
    return t;
  }

  add(t: Timer<N>): void {
    let byKey = this.index.get(t.nsH);
    if (byKey === undefined) this.index.set(t.nsH, (byKey = new Map()));
    const s = byKey.get(t.keyH);
    // Taking over the slot of the timer being fired updates the entry in place: a window's
    // next timer, registered as it fires, costs no Map delete and insert.
    if (s === undefined || (!(s instanceof Map) && !s.live)) byKey.set(t.keyH, t);
    else if (s instanceof Map) s.set(t.time, t);
    else
      byKey.set(
        t.keyH,
        new Map([
          [s.time, s],
          [t.time, t],
        ]),
      );
    t.seq = this.seq++;
    this.count++;
    this.last = t;
    const entry = this.buckets.get(t.time);
    if (entry === undefined) {
      this.buckets.set(t.time, t);
      pushTime(this.times, t.time);
    } else if (entry instanceof TimerBucket) entry.timers.push(t);
    else this.buckets.set(t.time, new TimerBucket([entry, t]));
  }

  remove(t: Timer<N>): void {
    t.live = false;
    this.count--;
    this.unindex(t);
  }

  /** Removes t's index entry, unless a successor has already taken its slot. */
  unindex(t: Timer<N>): void {
    const byKey = this.index.get(t.nsH);
    if (byKey === undefined) return;
    const s = byKey.get(t.keyH);
    if (s === t) byKey.delete(t.keyH);
    else if (s instanceof Map) {
      if (s.get(t.time) !== t) return;
      s.delete(t.time);
      if (s.size === 0) byKey.delete(t.keyH);
    } else return;
    if (byKey.size === 0) this.index.delete(t.nsH);
  }

  /** What firstLive found the earliest live timer in (the timer itself, or its bucket). */
  private front: Timer<N> | TimerBucket<N> | undefined;

  /** The earliest live timer (a bucket's `at` moved onto it); undefined when none. */
  private firstLive(): Timer<N> | undefined {
    while (this.times.length > 0) {
      const time = this.times[0] as number;
      const entry = this.buckets.get(time) as Timer<N> | TimerBucket<N>;
      if (entry instanceof TimerBucket) {
        const timers = entry.timers;
        while (entry.at < timers.length && !(timers[entry.at] as Timer<N>).live) entry.at++;
        this.front = entry;
        if (entry.at < timers.length) return timers[entry.at];
      } else if (entry.live) return (this.front = entry);
      this.buckets.delete(time);
      popTime(this.times);
    }
    return undefined;
  }

  /** Earliest live timer's time, or +Infinity. */
  peekTime(): number {
    const t = this.firstLive();
    return t === undefined ? Number.POSITIVE_INFINITY : t.time;
  }

  /**
   * Takes the earliest timer due at `time`. It is dead from here on but stays in the index
   * while it fires, so a successor its firing registers for the same (namespace, key) takes
   * its entry over; the caller ends the firing with unindex(). If the callback throws, the dead
   * entry stays, and lookups keep treating it as absent.
   */
  pollUpTo(time: number): Timer<N> | undefined {
    const top = this.firstLive();
    if (top === undefined || top.time > time) return undefined;
    const entry = this.front;
    if (entry instanceof TimerBucket) entry.at++;
    else {
      this.buckets.delete(top.time);
      popTime(this.times);
    }
    top.live = false;
    this.count--;
    return top;
  }

  size(): number {
    return this.count;
  }

  /** Live timers in registration order. */
  liveTimers(): Timer<N>[] {
    const out: Timer<N>[] = [];
    for (const entry of this.buckets.values()) {
      if (entry instanceof TimerBucket) {
        for (let i = entry.at; i < entry.timers.length; i++) if ((entry.timers[i] as Timer<N>).live) out.push(entry.timers[i] as Timer<N>);
      } else if (entry.live) out.push(entry);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }
}

function pushTime(h: number[], time: number): void {
  h.push(time);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if ((h[p] as number) <= time) break;
    h[i] = h[p] as number;
    i = p;
  }
  h[i] = time;
}

function popTime(h: number[]): void {
  const last = h.pop() as number;
  const n = h.length;
  if (n === 0) return;
  let i = 0;
  while (true) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && (h[r] as number) < (h[l] as number) ? r : l;
    if ((h[c] as number) >= last) break;
    h[i] = h[c] as number;
    i = c;
  }
  h[i] = last;
}

const UNSEEN: unique symbol = Symbol('unseen');
/** Fired timers kept for reuse, at most. */
const SPARE_TIMERS = 4096;

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

  // heapKeyOf of the last key and namespace seen: all timer calls of one record share the key
  // (an object key would otherwise be re-encoded per call), and a window's id is one string.
  // Keys are compared by identity; equal-by-value objects just miss the cache.
  private lastKey: unknown = UNSEEN;
  private lastKeyH: HeapKey = undefined;
  private lastNs: unknown = UNSEEN;
  private lastNsH: HeapKey = undefined;

  private currentKeyH(): HeapKey {
    const key = this.keys.currentKey();
    if (key !== this.lastKey) {
      this.lastKeyH = heapKeyOf(key);
      this.lastKey = key;
    }
    return this.lastKeyH;
  }

  private nsHOf(namespace: N): HeapKey {
    if (namespace !== this.lastNs) {
      this.lastNsH = heapKeyOf(this.serializer ? this.serializer.toPlain(namespace) : namespace);
      this.lastNs = namespace;
    }
    return this.lastNsH;
  }

  private register(q: TimerQueue<N>, namespace: N, time: number): void {
    const keyH = this.currentKeyH();
    const nsH = this.nsHOf(namespace);
    if (q.find(keyH, nsH, time) !== undefined) return;
    const key = this.keys.currentKey();
    const keyGroup = this.keys.currentKeyGroup();
    const t = this.spare.pop();
    if (t === undefined) {
      q.add({ time, key, keyH, nsH, keyGroup, namespace, seq: 0, live: true });
      return;
    }
    t.time = time;
    t.key = key;
    t.keyH = keyH;
    t.nsH = nsH;
    t.keyGroup = keyGroup;
    t.namespace = namespace;
    t.live = true;
    q.add(t);
  }

  /**
   * Fired timers, reused by register: a window operator fires and registers a timer per key
   * and window, which then allocates nothing. A fired timer is in no index and no bucket's
   * unfired part, so nothing can reach it as the timer it was.
   */
  private readonly spare: Timer<N>[] = [];

  private recycle(t: Timer<N>): void {
    if (this.spare.length < SPARE_TIMERS) this.spare.push(t);
  }

  private unregister(q: TimerQueue<N>, namespace: N, time: number): void {
    const t = q.find(this.currentKeyH(), this.nsHOf(namespace), time);
    if (t !== undefined) q.remove(t);
  }

  registerEventTimeTimer(namespace: N, time: number): void {
    this.register(this.event, namespace, time);
  }
  deleteEventTimeTimer(namespace: N, time: number): void {
    this.unregister(this.event, namespace, time);
  }
  registerProcessingTimeTimer(namespace: N, time: number): void {
    this.register(this.processing, namespace, time);
  }
  deleteProcessingTimeTimer(namespace: N, time: number): void {
    this.unregister(this.processing, namespace, time);
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
      this.event.unindex(t);
      this.recycle(t);
    }
  }

  /** Fires processing timers with time <= now. */
  advanceProcessingTime(now: number): void {
    let t: Timer<N> | undefined;
    while ((t = this.processing.pollUpTo(now)) !== undefined) {
      this.keys.setCurrentKey(t.key);
      this.target.onProcessingTime(t.time, t.key, t.namespace);
      this.processing.unindex(t);
      this.recycle(t);
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
    for (const t of this.event.liveTimers()) put(0, t);
    for (const t of this.processing.liveTimers()) put(1, t);
  }

  /** Re-registers timers (the caller filters them to this subtask's key groups). */
  restore(entries: Iterable<TimerEntry>): void {
    for (const [domain, time, key, plain] of entries) {
      const namespace = this.serializer ? this.serializer.fromPlain(plain) : (plain as N);
      const q = domain === 0 ? this.event : this.processing;
      const keyH = heapKeyOf(key);
      const nsH = heapKeyOf(plain);
      if (q.find(keyH, nsH, time) !== undefined) continue;
      q.add({ time, key, keyH, nsH, keyGroup: this.keys.keyGroupOf(key), namespace, seq: 0, live: true });
    }
  }
}
