// Injected time for the coordinators. Every wait in the group and transaction coordinators
// (session, rebalance, sync and transaction timeouts) is a timer from here, so tests can
// drive hours of protocol time in microseconds with ManualTimers and never sleep.
// Imports nothing.

export type TimerHandle = { readonly id: number };

export interface Timers {
  /** Wall-clock milliseconds. */
  now(): number;
  /** Runs `fn` once after `delayMs`; the timer never keeps the process alive. */
  set(fn: () => void, delayMs: number): TimerHandle;
  clear(handle: TimerHandle | undefined): void;
}

/** Real time: Date.now and unref'd setTimeout. */
export class SystemTimers implements Timers {
  private readonly live = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  now(): number {
    return Date.now();
  }

  set(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(() => {
      this.live.delete(id);
      fn();
    }, Math.max(0, delayMs));
    t.unref();
    this.live.set(id, t);
    return { id };
  }

  clear(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    const t = this.live.get(handle.id);
    if (t !== undefined) {
      clearTimeout(t);
      this.live.delete(handle.id);
    }
  }
}

/** Test time: nothing happens until `advance` moves the clock; due timers fire in deadline order. */
export class ManualTimers implements Timers {
  private current: number;
  private readonly pending = new Map<number, { at: number; seq: number; fn: () => void }>();
  private nextId = 1;

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  set(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.pending.set(id, { at: this.current + Math.max(0, delayMs), seq: id, fn });
    return { id };
  }

  clear(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.pending.delete(handle.id);
  }

  /** Number of timers not yet fired (tests use it to check nothing leaks). */
  get size(): number {
    return this.pending.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due (including ones set by fired timers). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let nextId = -1;
      let next: { at: number; seq: number; fn: () => void } | undefined;
      for (const [id, t] of this.pending) {
        if (t.at > target) continue;
        if (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq)) {
          next = t;
          nextId = id;
        }
      }
      if (next === undefined) break;
      this.pending.delete(nextId);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = target;
  }
}
