// An in-memory collection as a bounded source: `partitions` partitions ("0".."n-1"), record i
// in partition i mod n, replayable from a checkpointed index. Partitions are read in place,
// by stride, so the collection is never copied up front; one partition hands out slices.
// Record timestamps come from `timestampOf` when given, else NO_TIMESTAMP.
// May import: sources/source.ts, time/watermark.ts.
import type { Source, SourceBatch, SourceReader } from './source.js';
import { NO_TIMESTAMP } from '../time/watermark.js';

export interface CollectionSourceOptions<T> {
  /** Number of partitions (default 1). */
  readonly partitions?: number;
  readonly timestampOf?: (value: T) => number;
  readonly name?: string;
}

/** NO_TIMESTAMP repeated, copied out by noTimestamps (a copy of a double array is one memcpy). */
let noTimestampRow: number[] = [];

/** A fresh array of `n` NO_TIMESTAMPs, already of double elements, so stamping event times in place does not convert it. */
function noTimestamps(n: number): number[] {
  if (noTimestampRow.length < n) noTimestampRow = new Array<number>(n).fill(NO_TIMESTAMP);
  return noTimestampRow.slice(0, n);
}

export function fromCollection<T>(items: readonly T[], options: CollectionSourceOptions<T> = {}): Source<T> {
  const n = Math.max(1, options.partitions ?? 1);
  const timestampOf = options.timestampOf;
  /** Records in partition p: p, p + n, p + 2n, ... */
  const sizeOf = (p: number): number => (items.length > p ? Math.ceil((items.length - p) / n) : 0);
  /** Up to `max` records of partition p from its position `at` (counted within the partition). */
  const read = (p: number, at: number, max: number): T[] => {
    if (n === 1) return items.slice(at, at + max);
    const len = Math.min(max, sizeOf(p) - at);
    const out = new Array<T>(len);
    for (let i = 0, j = p + at * n; i < len; i++, j += n) out[i] = items[j] as T;
    return out;
  };
  return {
    name: options.name ?? 'collection',
    async createReader(ctx): Promise<SourceReader<T>> {
      const mine: number[] = [];
      for (let p = ctx.subtaskIndex; p < n; p += ctx.parallelism) mine.push(p);
      const ids = mine.map(String);
      const pos = ids.map((id) => Number(ctx.restoredPositions?.[id] ?? 0));
      let rr = 0;
      return {
        partitions: () => ids,
        async poll(max): Promise<SourceBatch<T> | 'end'> {
          for (let k = 0; k < mine.length; k++) {
            const i = (rr + k) % mine.length;
            const p = mine[i] as number;
            const at = pos[i] as number;
            if (at >= sizeOf(p)) continue;
            rr = (i + 1) % mine.length;
            const values = read(p, at, max);
            const len = values.length;
            pos[i] = at + len;
            let timestamps: number[];
            if (timestampOf === undefined) timestamps = noTimestamps(len);
            else {
              timestamps = new Array<number>(len);
              for (let j = 0; j < len; j++) timestamps[j] = timestampOf(values[j] as T);
            }
            return { partition: ids[i] as string, values, timestamps, position: at + len };
          }
          return 'end';
        },
        async close() {},
      };
    },
  };
}
