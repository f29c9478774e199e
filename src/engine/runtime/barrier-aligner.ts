// Checkpoint barrier alignment for one node instance with several input channels (the
// worker-thread runtime, where channels are asynchronous). Once a barrier arrived on a
// channel, later events of that channel wait until the barrier arrived on every channel that
// has not ended; then the instance snapshots (onAligned, possibly async), forwards the
// barrier and the held events are replayed in order. Ended channels count as aligned.
// May import: runtime/channels.ts.
import type { Barrier } from './channels.js';

export class BarrierAligner {
  private readonly blocked: boolean[];
  private readonly ended: boolean[];
  private readonly queues: (() => void)[][];
  private current: Barrier | undefined;
  private holding = false;

  constructor(
    channels: number,
    private readonly onAligned: (barrier: Barrier) => void | Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {
    this.blocked = new Array<boolean>(channels).fill(false);
    this.ended = new Array<boolean>(channels).fill(false);
    this.queues = Array.from({ length: channels }, () => []);
  }

  isBlocked(channel: number): boolean {
    return this.holding || (this.blocked[channel] as boolean);
  }

  enqueue(channel: number, event: () => void): void {
    (this.queues[channel] as (() => void)[]).push(event);
  }

  barrier(channel: number, barrier: Barrier): void {
    if (this.isBlocked(channel)) {
      this.enqueue(channel, () => this.barrier(channel, barrier));
      return;
    }
    this.current ??= barrier;
    this.blocked[channel] = true;
    this.check();
  }

  /** Returns true when every channel has ended. */
  end(channel: number): boolean {
    this.ended[channel] = true;
    this.blocked[channel] = false;
    this.check();
    return this.ended.every((e) => e);
  }

  allEnded(): boolean {
    return this.ended.every((e) => e);
  }

  private check(): void {
    const b = this.current;
    if (!b || this.holding) return;
    for (let c = 0; c < this.blocked.length; c++) if (!this.blocked[c] && !this.ended[c]) return;
    this.current = undefined;
    this.holding = true;
    let r: void | Promise<void>;
    try {
      r = this.onAligned(b);
    } catch (err) {
      this.onError(err);
      return;
    }
    if (r instanceof Promise) {
      r.then(
        () => this.release(),
        (err: unknown) => this.onError(err),
      );
    } else this.release();
  }

  private release(): void {
    this.holding = false;
    this.blocked.fill(false);
    for (let c = 0; c < this.queues.length; c++) {
      const q = this.queues[c] as (() => void)[];
      this.queues[c] = [];
      for (let i = 0; i < q.length; i++) {
        if (this.isBlocked(c)) {
          // A replayed barrier blocked the channel again: keep the rest, in order.
          (this.queues[c] as (() => void)[]).push(...q.slice(i));
          break;
        }
        (q[i] as () => void)();
      }
    }
  }
}
