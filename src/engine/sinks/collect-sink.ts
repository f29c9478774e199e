// A sink that appends to an in-memory array (for tests and the harness). Not exactly-once:
// a restored job replays into it; use it in single runs.
// May import: sinks/sink.ts.
import type { Sink, SinkWriter } from './sink.js';

export interface Collected<T> {
  readonly values: T[];
  readonly timestamps: number[];
}

export function collectSink<T>(into: Collected<T> | T[] = { values: [], timestamps: [] }, name = 'collect'): Sink<T> & { readonly collected: Collected<T> } {
  const collected: Collected<T> = Array.isArray(into) ? { values: into, timestamps: [] } : into;
  return {
    name,
    collected,
    async createWriter(): Promise<SinkWriter<T>> {
      return {
        write(values, timestamps) {
          for (let i = 0; i < values.length; i++) {
            collected.values.push(values[i] as T);
            collected.timestamps.push(timestamps[i] as number);
          }
        },
        async close() {},
      };
    },
  };
}
