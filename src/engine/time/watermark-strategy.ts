// Watermark strategies (Flink's vocabulary): a generator per source partition sees each
// record's event time and says how far event time has surely progressed. Idleness lets a
// partition that stopped receiving data drop out of the minimum so it cannot hold the whole
// job's event time back. Alignment (Flink's watermark alignment) does the converse: a source
// subtask whose watermark runs more than maxDrift ahead of the slowest aligned one is not
// polled until the others catch up, so state waiting for the slow one stays bounded
// (runtime/watermark-alignment.ts).
// May import: api/duration.ts, time/watermark.ts.
import { toMillis, type Duration } from '../api/duration.js';
import { MIN_WATERMARK } from './watermark.js';

export interface WatermarkGenerator {
  /** Sees the event time of one record. */
  onEvent(timestamp: number): void;
  /** Optional: sees a whole batch's event times at once (one call per batch instead of per record). */
  onEvents?(timestamps: readonly number[]): void;
  /** The watermark so far (MIN_WATERMARK until the first record). */
  current(): number;
}

export interface WatermarkStrategy {
  createGenerator(): WatermarkGenerator;
  /** A partition without records for this long (processing time) is idle; undefined: never. */
  readonly idleTimeoutMs: number | undefined;
  withIdleness(timeout: Duration): WatermarkStrategy;
  /** Max event-time lead over the slowest aligned source subtask; undefined: not aligned. */
  readonly alignmentMs: number | undefined;
  withAlignment(maxDrift: Duration): WatermarkStrategy;
}

class BoundedOutOfOrdernessGenerator implements WatermarkGenerator {
  private maxTs = MIN_WATERMARK;
  constructor(private readonly delayMs: number) {}
  onEvent(timestamp: number): void {
    if (timestamp > this.maxTs) this.maxTs = timestamp;
  }
  onEvents(timestamps: readonly number[]): void {
    let max = this.maxTs;
    for (let i = 0; i < timestamps.length; i++) {
      const t = timestamps[i] as number;
      if (t > max) max = t;
    }
    this.maxTs = max;
  }
  current(): number {
    // -1 as in Flink: a record exactly at maxTs - delay may still arrive.
    return this.maxTs === MIN_WATERMARK ? MIN_WATERMARK : this.maxTs - this.delayMs - 1;
  }
}

class Strategy implements WatermarkStrategy {
  constructor(
    private readonly delayMs: number,
    readonly idleTimeoutMs: number | undefined,
    readonly alignmentMs: number | undefined,
  ) {}
  createGenerator(): WatermarkGenerator {
    return new BoundedOutOfOrdernessGenerator(this.delayMs);
  }
  withIdleness(timeout: Duration): WatermarkStrategy {
    return new Strategy(this.delayMs, toMillis(timeout, 'idleness'), this.alignmentMs);
  }
  withAlignment(maxDrift: Duration): WatermarkStrategy {
    return new Strategy(this.delayMs, this.idleTimeoutMs, toMillis(maxDrift, 'maxDrift'));
  }
}

/** Records may arrive up to `maxOutOfOrderness` behind the newest one seen. */
export function boundedOutOfOrderness(maxOutOfOrderness: Duration): WatermarkStrategy {
  return new Strategy(toMillis(maxOutOfOrderness, 'maxOutOfOrderness'), undefined, undefined);
}

/** Event time never goes backwards within a partition. */
export function monotonous(): WatermarkStrategy {
  return new Strategy(0, undefined, undefined);
}

/** Never emits a watermark of its own (timestamps only); the final watermark still arrives at the end. */
export function noWatermarks(): WatermarkStrategy {
  return {
    idleTimeoutMs: undefined,
    alignmentMs: undefined,
    createGenerator: () => ({ onEvent: () => undefined, current: () => MIN_WATERMARK }),
    withIdleness(): WatermarkStrategy {
      return this;
    },
    // Without watermarks there is nothing to align on.
    withAlignment(): WatermarkStrategy {
      return this;
    },
  };
}
