// What a node instance exposes to its upstream: batches in, watermarks and idleness per input
// channel. A channel is one (edge, upstream subtask) pair; the instance combines watermarks
// over its channels by minimum, ignoring idle ones. In one thread these are direct calls;
// across worker threads an exchange turns them into batched messages.
// May import nothing from the engine.

/** A checkpoint barrier (worker-thread runtime: barriers flow with the data and are aligned per instance). */
export interface Barrier {
  readonly id: number;
  readonly savepoint: boolean;
}

export interface InputReceiver {
  /**
   * The arrays become the receiver's (see StreamOperator.processBatch), unless `lent`: then
   * they are the receiver's for this call only (the same batch goes on to other receivers
   * after it), and what it keeps or rewrites it must copy first.
   */
  receive(values: unknown[], timestamps: number[], input: number, channel: number, lent?: boolean): void;
  receiveWatermark(channel: number, watermark: number): void;
  receiveIdle(channel: number, idle: boolean): void;
  receiveBarrier(channel: number, barrier: Barrier): void;
  /** The channel will send nothing more. */
  receiveEnd(channel: number): void;
}

/** Watermarks of the input channels of one node instance, combined by minimum over active channels. */
export class ChannelWatermarks {
  private readonly marks: number[];
  private readonly idle: boolean[];
  private combined = Number.NEGATIVE_INFINITY;

  constructor(channels: number) {
    this.marks = new Array<number>(channels).fill(Number.NEGATIVE_INFINITY);
    this.idle = new Array<boolean>(channels).fill(false);
  }

  get current(): number {
    return this.combined;
  }

  /** The new combined watermark if it advanced. */
  update(channel: number, watermark: number): number | undefined {
    if (watermark > (this.marks[channel] as number)) this.marks[channel] = watermark;
    this.idle[channel] = false;
    return this.recompute();
  }

  setIdle(channel: number, idle: boolean): number | undefined {
    this.idle[channel] = idle;
    return this.recompute();
  }

  allIdle(): boolean {
    return this.idle.length > 0 && this.idle.every((x) => x);
  }

  private recompute(): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    let any = false;
    for (let i = 0; i < this.marks.length; i++) {
      if (this.idle[i]) continue;
      any = true;
      const m = this.marks[i] as number;
      if (m < min) min = m;
    }
    if (!any || min <= this.combined) return undefined;
    this.combined = min;
    return min;
  }
}
