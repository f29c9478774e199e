// Feeds pre-generated Nexmark events to the engine (so the generator's cost stays out of the
// query measurement) and keeps a "stream clock": the event time of the newest event handed to
// the engine. Used as the pipeline's Clock, it makes "a checkpoint every 10 s" mean every 10 s
// of the stream's own time (the generator's rate), i.e. every 100,000 events at the default
// 10,000 events/s, rather than never in a run that lasts two wall-clock seconds.
// Imports the engine's source contract and the collection source.
import type { Source, SourceReader } from '../../src/engine/sources/source.js';
import type { Clock } from '../../src/engine/time/clock.js';
import { fromCollection } from '../../src/engine/sources/collection-source.js';
import type { NexmarkEvent } from './model.js';

export class StreamClock implements Clock {
  private t: number;
  constructor(start: number) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  advanceTo(t: number): void {
    if (t > this.t) this.t = t;
  }
}

/** Events dealt round-robin over `partitions` partitions; the stream clock follows what was read. */
export function nexmarkSource(events: readonly NexmarkEvent[], options: { partitions?: number; clock?: StreamClock } = {}): Source<NexmarkEvent> {
  // No timestampOf: the queries assign event time with withWatermarks, so the source does not read every event twice.
  const inner = fromCollection(events, { partitions: options.partitions ?? 1, name: 'nexmark' });
  const clock = options.clock;
  if (clock === undefined) return inner;
  return {
    name: inner.name,
    async createReader(ctx): Promise<SourceReader<NexmarkEvent>> {
      const reader = await inner.createReader(ctx);
      return {
        partitions: () => reader.partitions(),
        async poll(max, timeoutMs) {
          const b = await reader.poll(max, timeoutMs);
          const last = b !== null && b !== 'end' ? b.values[b.values.length - 1] : undefined;
          if (last !== undefined) clock.advanceTo(last.dateTime);
          return b;
        },
        close: () => reader.close(),
      };
    },
  };
}
