// Per-partition watermarks of one source subtask, combined by minimum over the partitions
// that are not idle (design decision 5). A partition becomes idle after the strategy's idle
// timeout without records and active again with its next record. When every partition is
// idle (or the subtask owns none) the whole subtask is idle and downstream ignores it.
// May import: time/ only.
import type { WatermarkGenerator, WatermarkStrategy } from './watermark-strategy.js';
import { MIN_WATERMARK } from './watermark.js';

interface PartitionTrack {
  gen: WatermarkGenerator;
  lastActivity: number;
  idle: boolean;
}

export class PartitionWatermarks {
  private readonly parts = new Map<string, PartitionTrack>();
  private emitted = MIN_WATERMARK;

  constructor(
    private readonly strategy: WatermarkStrategy,
    private readonly now: () => number,
  ) {}

  addPartition(partition: string): void {
    if (!this.parts.has(partition)) {
      this.parts.set(partition, { gen: this.strategy.createGenerator(), lastActivity: this.now(), idle: false });
    }
  }

  removePartition(partition: string): void {
    this.parts.delete(partition);
  }

  /** Feeds the event times of one batch of one partition. */
  onBatch(partition: string, timestamps: readonly number[]): void {
    let p = this.parts.get(partition);
    if (!p) {
      this.addPartition(partition);
      p = this.parts.get(partition) as PartitionTrack;
    }
    const gen = p.gen;
    if (gen.onEvents) gen.onEvents(timestamps);
    else for (let i = 0; i < timestamps.length; i++) gen.onEvent(timestamps[i] as number);
    if (timestamps.length > 0) {
      p.lastActivity = this.now();
      p.idle = false;
    }
  }

  /** Marks partitions idle whose timeout passed. */
  checkIdleness(): void {
    const timeout = this.strategy.idleTimeoutMs;
    if (timeout === undefined) return;
    const now = this.now();
    for (const p of this.parts.values()) if (!p.idle && now - p.lastActivity >= timeout) p.idle = true;
  }

  /** True when no partition is active (all idle, or none owned). */
  isIdle(): boolean {
    for (const p of this.parts.values()) if (!p.idle) return false;
    return true;
  }

  /**
   * The combined watermark if it advanced past the last one returned, else undefined.
   * Watermarks never go backwards, even when an idle partition comes back behind the others.
   */
  advance(): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    let any = false;
    for (const p of this.parts.values()) {
      if (p.idle) continue;
      any = true;
      const w = p.gen.current();
      if (w < min) min = w;
    }
    if (!any || min <= this.emitted) return undefined;
    this.emitted = min;
    return min;
  }

  current(): number {
    return this.emitted;
  }
}
