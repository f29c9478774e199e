// A sink that appends to an in-memory array (for tests, the harness and benchmarks). Not
// exactly-once: a restored job replays into it; use it in single runs.
// May import: sinks/sink.ts.
import type { Sink, SinkWriter } from './sink.js';

export interface Collected<T> {
  readonly values: T[];
  readonly timestamps: number[];
}

/**
 * The default store: values in an array, timestamps in a growing Float64Array turned into an
 * array when read. Pushing every record into two arrays that grow side by side cost a
 * pass-through job about three times what one array costs.
 */
export class CollectedRecords<T> implements Collected<T> {
  readonly values: T[] = [];
  private ts = new Float64Array(1024);
  private cached: number[] | undefined;

  get timestamps(): number[] {
    return (this.cached ??= Array.from(this.ts.subarray(0, this.values.length)));
  }

  append(values: readonly T[], timestamps: readonly number[]): void {
    const at = this.values.length;
    const n = values.length;
    if (at + n > this.ts.length) {
      const grown = new Float64Array(Math.max(this.ts.length * 2, at + n));
      grown.set(this.ts.subarray(0, at));
      this.ts = grown;
    }
    const ts = this.ts;
    const out = this.values;
    // A batch is at most a few thousand records: one push with them all as arguments copies
    // them in the builtin (far below the engine's argument limit); bigger inputs go one by one.
    if (n <= 8192) Array.prototype.push.apply(out, values as T[]);
    else for (let i = 0; i < n; i++) out.push(values[i] as T);
    for (let i = 0; i < n; i++) ts[at + i] = timestamps[i] as number;
    this.cached = undefined;
  }
}

/** Appends records to `into`: a CollectedRecords, a plain { values, timestamps }, or only values. */
export function appendCollected<T>(into: Collected<T>, values: readonly T[], timestamps: readonly number[]): void {
  if (into instanceof CollectedRecords) {
    (into as CollectedRecords<T>).append(values, timestamps);
    return;
  }
  for (let i = 0; i < values.length; i++) {
    into.values.push(values[i] as T);
    into.timestamps.push(timestamps[i] as number);
  }
}

export function collectSink<T>(into: Collected<T> | T[] = new CollectedRecords<T>(), name = 'collect'): Sink<T> & { readonly collected: Collected<T> } {
  const collected: Collected<T> = Array.isArray(into) ? { values: into, timestamps: [] } : into;
  return {
    name,
    collected,
    async createWriter(): Promise<SinkWriter<T>> {
      return {
        write(values, timestamps) {
          appendCollected(collected, values, timestamps);
        },
        async close() {},
      };
    },
  };
}
