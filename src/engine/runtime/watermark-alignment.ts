// Watermark alignment (as Flink's): source subtasks whose watermark strategy has
// `withAlignment(maxDrift)` are polled only while their watermark is at most maxDrift ahead of
// the slowest aligned source subtask, wherever it runs. Without it, a source that reads faster
// than another (more CPU, a worker with less work, a topic partition with older data) drives
// its watermark far ahead while every window and join downstream waits for the slow one's,
// so their state grows with the lead. Ended and idle subtasks do not hold the others back.
// The one-thread runtime sees all its sources; on worker threads each worker announces its
// aligned sources' watermark to its peers (worker-subtask.ts) and takes the minimum with theirs.
// May import: runtime/source-instance.ts (type).
import type { SourceInstance } from './source-instance.js';

/** The smallest maxDrift among `sources` (instances or the graph's source nodes' strategies); undefined: none asks for alignment. */
export function alignmentDrift(sources: readonly { readonly alignmentMs: number | undefined }[]): number | undefined {
  let drift: number | undefined;
  for (const s of sources) {
    const d = s.alignmentMs;
    if (d !== undefined && (drift === undefined || d < drift)) drift = d;
  }
  return drift;
}

/** The slowest watermark among aligned sources still reading (+Infinity when none is). */
export function slowestAligned(sources: readonly SourceInstance[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const s of sources) if (s.alignmentMs !== undefined && !s.ended && !s.isIdle && s.watermark < min) min = s.watermark;
  return min;
}

/**
 * Whether `src` may be polled when the slowest aligned watermark (this thread's and its peers')
 * is `slowest`: always when it is not aligned; while some aligned source has read nothing
 * (-Infinity), only sources that have read nothing either.
 */
export function mayPoll(src: SourceInstance, slowest: number, drift: number | undefined): boolean {
  if (drift === undefined || src.alignmentMs === undefined) return true;
  return src.watermark <= slowest + drift;
}
