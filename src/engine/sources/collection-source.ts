// An in-memory collection as a bounded source: one partition per subtask-agnostic chunk
// ("0".."n-1", records dealt round-robin), replayable from a checkpointed index.
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

export function fromCollection<T>(items: readonly T[], options: CollectionSourceOptions<T> = {}): Source<T> {
  const n = Math.max(1, options.partitions ?? 1);
  const parts: T[][] = Array.from({ length: n }, () => []);
  items.forEach((v, i) => (parts[i % n] as T[]).push(v));
  return {
    name: options.name ?? 'collection',
    async createReader(ctx): Promise<SourceReader<T>> {
      const mine: string[] = [];
      for (let i = ctx.subtaskIndex; i < n; i += ctx.parallelism) mine.push(String(i));
      const pos = new Map<string, number>(mine.map((p) => [p, Number(ctx.restoredPositions?.[p] ?? 0)]));
      let rr = 0;
      return {
        partitions: () => mine,
        async poll(max): Promise<SourceBatch<T> | 'end'> {
          for (let k = 0; k < mine.length; k++) {
            const p = mine[(rr + k) % mine.length] as string;
            const items = parts[Number(p)] as T[];
            const at = pos.get(p) as number;
            if (at >= items.length) continue;
            rr = (rr + k + 1) % mine.length;
            const values = items.slice(at, at + max);
            pos.set(p, at + values.length);
            const timestamps = values.map((v) => (options.timestampOf ? options.timestampOf(v) : NO_TIMESTAMP));
            return { partition: p, values, timestamps, position: at + values.length };
          }
          return 'end';
        },
        async close() {},
      };
    },
  };
}
