// A generator source for tests and benchmarks: record i of partition p is `generate(i, p)`,
// produced on demand in batches (nothing is materialised up front), so ten million records
// cost no memory beyond one batch. Deterministic and replayable from a checkpointed index.
// May import: sources/source.ts, time/watermark.ts.
import type { Source, SourceBatch, SourceReader } from './source.js';
import { NO_TIMESTAMP } from '../time/watermark.js';

export interface GeneratorSourceOptions<T> {
  /** Records per partition; Infinity for an unbounded stream. */
  readonly count: number;
  readonly generate: (index: number, partition: number) => T;
  readonly partitions?: number;
  readonly timestampOf?: (value: T, index: number) => number;
  /** Max records per second per partition (default unlimited). */
  readonly ratePerSecond?: number;
  readonly name?: string;
}

export function generatorSource<T>(options: GeneratorSourceOptions<T>): Source<T> {
  const n = Math.max(1, options.partitions ?? 1);
  return {
    name: options.name ?? 'generator',
    async createReader(ctx): Promise<SourceReader<T>> {
      const mine: number[] = [];
      for (let i = ctx.subtaskIndex; i < n; i += ctx.parallelism) mine.push(i);
      const next = new Map<number, number>(mine.map((p) => [p, Number(ctx.restoredPositions?.[String(p)] ?? 0)]));
      const started = Date.now();
      const startAt = new Map(next);
      let rr = 0;
      return {
        partitions: () => mine.map(String),
        async poll(max): Promise<SourceBatch<T> | 'end' | null> {
          for (let k = 0; k < mine.length; k++) {
            const p = mine[(rr + k) % mine.length] as number;
            const at = next.get(p) as number;
            if (at >= options.count) continue;
            let limit = Math.min(max, options.count - at);
            if (options.ratePerSecond !== undefined) {
              const allowed = Math.floor(((Date.now() - started) / 1000) * options.ratePerSecond) - (at - (startAt.get(p) as number));
              limit = Math.min(limit, allowed);
              if (limit <= 0) continue;
            }
            rr = (rr + k + 1) % mine.length;
            const values = new Array<T>(limit);
            const timestamps = new Array<number>(limit);
            for (let i = 0; i < limit; i++) {
              const v = options.generate(at + i, p);
              values[i] = v;
              timestamps[i] = options.timestampOf ? options.timestampOf(v, at + i) : NO_TIMESTAMP;
            }
            next.set(p, at + limit);
            return { partition: String(p), values, timestamps, position: at + limit };
          }
          for (const p of mine) if ((next.get(p) as number) < options.count) {
            await new Promise((r) => setTimeout(r, 5));
            return null;
          }
          return 'end';
        },
        async close() {},
      };
    },
  };
}
