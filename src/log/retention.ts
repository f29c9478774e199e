// Retention for cleanup.policy=delete: drops whole closed segments from the front of a
// partition once they are older than retentionMs or once the partition is larger than
// retentionBytes. The active segment is never touched, and only a prefix of segments is
// ever removed, so logStartOffset only moves forward and offsets stay contiguous.
// Planning is a pure function over the partition's segment list (easy to test);
// applying it goes through the partition's deleteSegmentsBefore hook.
// May import: ./segment/segment.ts (types), ./topic-config.ts (types), ../errors.ts.
import type { SegmentInfo } from './segment/segment.js';
import type { TopicConfig } from './topic-config.js';

/** What retention needs from a partition (a structural slice of Partition). */
export interface RetentionTarget {
  segments(): readonly SegmentInfo[];
  deleteSegmentsBefore(baseOffset: number): Promise<number>;
}

export type RetentionConfig = Pick<TopicConfig, 'retentionMs' | 'retentionBytes' | 'cleanupPolicy'>;

export interface RetentionPlan {
  /** Delete every segment whose baseOffset is below this; undefined = nothing to delete. */
  deleteBefore: number | undefined;
  segments: number;
  bytes: number;
  /** Segments at the front removed because of age, and the rest of the removed prefix (size, then age again). */
  byTime: number;
  bySize: number;
}

/** The time a segment counts as written: its newest record, else its file's modification time. */
export function segmentTimestamp(s: SegmentInfo): number {
  return s.maxTimestamp >= 0 ? s.maxTimestamp : s.lastModifiedMs;
}

export function planRetention(segments: readonly SegmentInfo[], config: RetentionConfig, now: number): RetentionPlan {
  const none: RetentionPlan = { deleteBefore: undefined, segments: 0, bytes: 0, byTime: 0, bySize: 0 };
  if (!config.cleanupPolicy.split(',').includes('delete')) return none;
  const sorted = [...segments].sort((a, b) => a.baseOffset - b.baseOffset);
  // Only closed segments before the first active one are candidates.
  let closed = sorted.findIndex((s) => s.active);
  if (closed < 0) closed = sorted.length;

  let byTime = 0;
  if (config.retentionMs >= 0) {
    while (byTime < closed && now - segmentTimestamp(sorted[byTime]!) > config.retentionMs) byTime++;
  }
  let bySize = 0;
  if (config.retentionBytes >= 0) {
    let excess = sorted.reduce((n, s) => n + s.sizeBytes, 0) - config.retentionBytes;
    // As Kafka does: delete a segment only if the partition stays at or above the limit without it.
    while (bySize < closed && excess >= sorted[bySize]!.sizeBytes) {
      excess -= sorted[bySize]!.sizeBytes;
      bySize++;
    }
  }
  let count = Math.max(byTime, bySize);
  // Once size retention removed a young segment, older-looking ones behind it may now be at the front.
  const expired = (i: number) => config.retentionMs >= 0 && now - segmentTimestamp(sorted[i]!) > config.retentionMs;
  while (count < closed && expired(count)) count++;
  if (count === 0) return none;
  const deleteBefore = count < sorted.length ? sorted[count]!.baseOffset : sorted[count - 1]!.nextOffset;
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += sorted[i]!.sizeBytes;
  return { deleteBefore, segments: count, bytes, byTime: Math.min(byTime, count), bySize: count - Math.min(byTime, count) };
}

export interface RetentionResult extends RetentionPlan {
  deleted: number;
}

/** Plans and applies retention to one partition. */
export async function applyRetention(target: RetentionTarget, config: RetentionConfig, now: number): Promise<RetentionResult> {
  const plan = planRetention(target.segments(), config, now);
  if (plan.deleteBefore === undefined) return { ...plan, deleted: 0 };
  const deleted = await target.deleteSegmentsBefore(plan.deleteBefore);
  return { ...plan, deleted };
}
