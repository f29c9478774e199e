// The keyed side of an operator subtask: its state backend, the current key, and its named
// timer services (all sharing the key the runtime sets). Also snapshots/restores timers by
// key group for checkpoints.
// May import: operators/operator.ts, state/, time/.
import type { KeyedServices } from '../operators/operator.js';
import type { KeyGroupRange, KeyedStateBackend, StateKey } from '../state/types.js';
import type { KeySelector } from '../graph/stream-graph.js';
import type { NamespaceSerializer, TimerEntry, Triggerable } from '../time/timer-service.js';
import { keyGroupFor } from '../state/key-group.js';
import { TimerServiceImpl } from '../time/timer-service.js';
import { SluiceError } from '../../errors.js';

export class KeyedServicesImpl implements KeyedServices {
  private readonly services = new Map<string, TimerServiceImpl<unknown>>();
  private restoredTimers: Record<string, TimerEntry[]> = {};

  readonly slot: { current: KeyedStateBackend };

  constructor(
    readonly backend: KeyedStateBackend,
    private readonly selectors: readonly (KeySelector | undefined)[],
    private readonly maxParallelism: number,
    private readonly range: KeyGroupRange,
    private readonly now: () => number,
    slot?: { current: KeyedStateBackend },
  ) {
    this.slot = slot ?? { current: backend };
  }

  /** Makes this subtask the one user state handles act on. */
  enter(): void {
    this.slot.current = this.backend;
  }

  keyOf(value: unknown, input: number): StateKey {
    const ks = this.selectors[input];
    if (!ks) throw new SluiceError('INTERNAL', `input ${input} is not keyed`);
    return ks(value);
  }

  // Key group of the last primitive key: runs of one key (or one global key) hash it once.
  private lastKey: StateKey = undefined;
  private lastKg = -1;

  setCurrentKey(key: StateKey): void {
    let kg: number;
    if (key === this.lastKey && this.lastKg >= 0 && (typeof key !== 'object' || key === null)) kg = this.lastKg;
    else {
      kg = keyGroupFor(key, this.maxParallelism);
      this.lastKey = key;
      this.lastKg = kg;
    }
    this.backend.setCurrentKey(key, kg);
  }

  currentKey(): StateKey {
    return this.backend.getCurrentKey();
  }

  timerService<N>(name: string, target: Triggerable<N>, serializer?: NamespaceSerializer<N>): TimerServiceImpl<N> {
    let s = this.services.get(name) as TimerServiceImpl<N> | undefined;
    if (s) return s;
    const backend = this.backend;
    s = new TimerServiceImpl<N>(
      {
        currentKey: () => backend.getCurrentKey(),
        currentKeyGroup: () => backend.getCurrentKeyGroup(),
        setCurrentKey: (k) => this.setCurrentKey(k),
        keyGroupOf: (k) => keyGroupFor(k, this.maxParallelism),
      },
      target,
      this.now,
      serializer,
    );
    this.services.set(name, s as TimerServiceImpl<unknown>);
    const restored = this.restoredTimers[name];
    if (restored) {
      s.restore(restored);
      delete this.restoredTimers[name];
    }
    return s;
  }

  advanceWatermark(watermark: number): void {
    for (const s of this.services.values()) s.advanceWatermark(watermark);
  }

  advanceProcessingTime(now: number): void {
    for (const s of this.services.values()) if (s.nextProcessingTime() <= now) s.advanceProcessingTime(now);
  }

  nextProcessingTime(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const s of this.services.values()) t = Math.min(t, s.nextProcessingTime());
    return t;
  }

  /** Timers per service name (entries carry their keys; the restore side filters by key group). */
  snapshotTimers(): Record<string, TimerEntry[]> {
    const out: Record<string, TimerEntry[]> = {};
    for (const [name, s] of this.services) {
      const m = new Map<number, TimerEntry[]>();
      s.snapshot(m);
      out[name] = [...m.values()].flat();
    }
    // Timers restored but whose service was never asked for again stay in the checkpoint.
    for (const [name, entries] of Object.entries(this.restoredTimers)) out[name] = entries;
    return out;
  }

  /** Keeps the timers of our key groups; services pick theirs up when first asked for. */
  restoreTimers(byService: Record<string, TimerEntry[]>): void {
    for (const [name, entries] of Object.entries(byService)) {
      const mine = entries.filter((e) => {
        const kg = keyGroupFor(e[2], this.maxParallelism);
        return kg >= this.range.start && kg <= this.range.end;
      });
      const existing = this.services.get(name);
      if (existing) existing.restore(mine);
      else this.restoredTimers[name] = [...(this.restoredTimers[name] ?? []), ...mine];
    }
  }
}
