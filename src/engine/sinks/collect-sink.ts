// A sink that appends to an in-memory array (for tests, the harness and benchmarks). Not
// exactly-once: a restored job replays into it; use it in single runs.
// May import: sinks/sink.ts.
import type { Sink, SinkWriter } from './sink.js';

export interface Collected<T> {
  readonly values: T[];
  readonly timestamps: number[];
}

/**
 * The default store. A batch is kept as the arrays it arrived in (the runtime hands batches
 * over, so nobody writes them again) and copied into `values` and `timestamps` when they are
 * read, or when the sink closes: growing one array record by record or batch by batch cost a
 * pass-through job four times what one copy at the end costs (bench/nexmark, q0). `values`
 * is one array for the store's whole life, so a reference taken earlier sees the records
 * settled since.
 */
export class CollectedRecords<T> implements Collected<T> {
  private readonly all: T[] = [];
  private ts = new Float64Array(1024);
  private cached: number[] | undefined;
  /** Batches not copied into `all` and `ts` yet, and how many records they hold. */
  private pendingValues: (readonly T[])[] = [];
  private pendingTimes: (readonly number[])[] = [];
  private pendingCount = 0;

  get values(): T[] {
    if (this.pendingCount > 0) this.settle();
    return this.all;
  }

  get timestamps(): number[] {
    if (this.pendingCount > 0) this.settle();
    return (this.cached ??= Array.from(this.ts.subarray(0, this.all.length)));
  }

  /** Keeps the batch's arrays; the caller must not write them afterwards. */
  append(values: readonly T[], timestamps: readonly number[]): void {
    if (values.length === 0) return;
    this.pendingValues.push(values);
    this.pendingTimes.push(timestamps);
    this.pendingCount += values.length;
    // Many small batches would cost more as arrays kept than as records copied.
    if (this.pendingValues.length >= MAX_PENDING_BATCHES) this.settle();
  }

  /** Copies the batches kept into `values` and `timestamps`. */
  settle(): void {
    const at = this.all.length;
    const n = this.pendingCount;
    if (n === 0) return;
    if (at + n > this.ts.length) {
      const grown = new Float64Array(Math.max(this.ts.length * 2, at + n));
      grown.set(this.ts.subarray(0, at));
      this.ts = grown;
    }
    const all = this.all;
    const ts = this.ts;
    all.length = at + n;
    let k = at;
    for (let b = 0; b < this.pendingValues.length; b++) {
      const v = this.pendingValues[b] as readonly T[];
      const t = this.pendingTimes[b] as readonly number[];
      for (let i = 0; i < v.length; i++, k++) {
        all[k] = v[i] as T;
        ts[k] = t[i] as number;
      }
    }
    this.pendingValues = [];
    this.pendingTimes = [];
    this.pendingCount = 0;
    this.cached = undefined;
  }
}

/** Batches a CollectedRecords keeps before it copies them. */
const MAX_PENDING_BATCHES = 4096;

/** Appends records to `into`: a CollectedRecords, a plain { values, timestamps }, or only values. */
export function appendCollected<T>(into: Collected<T>, values: readonly T[], timestamps: readonly number[]): void {
  if (into instanceof CollectedRecords) {
    into.append(values, timestamps);
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
        async close() {
          if (collected instanceof CollectedRecords) collected.settle();
        },
      };
    },
  };
}
