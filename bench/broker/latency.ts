// Produce-to-consume latency at a fixed rate: an open-loop pacer that hands the client the
// records due so far every millisecond (so a slow acknowledgement does not slow the offered
// load), each value stamped with performance.now() at hand-off, and a recorder the consumer
// feeds with the stamps it reads back. Producer and consumer live in this one process, so
// the stamps share a clock. Samples from the warm-up (connections, JIT) are dropped.
// May import: node built-ins only.
import { performance } from 'node:perf_hooks';

export const LATENCY_VALUE_BYTES = 100;

/** A 100-byte value whose first 8 bytes are the hand-off time (ms, float64 LE). */
export function stampedValue(stampMs: number): Buffer {
  const b = Buffer.alloc(LATENCY_VALUE_BYTES, 0x61);
  b.writeDoubleLE(stampMs, 0);
  return b;
}

export function readStamp(value: Buffer | Uint8Array | null | undefined): number {
  if (!value || value.length < 8) return Number.NaN;
  const b = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return b.readDoubleLE(0);
}

export class LatencyRecorder {
  private readonly samples: Float64Array;
  private n = 0;
  received = 0;
  bad = 0;
  private started: boolean;

  /** `warmupUntilMs` may be left out and set by begin() once the consumer is ready. */
  constructor(
    capacity: number,
    private warmupUntilMs = Number.POSITIVE_INFINITY,
  ) {
    this.samples = new Float64Array(capacity);
    this.started = warmupUntilMs !== Number.POSITIVE_INFINITY;
  }

  /** Starts counting: records stamped before `warmupUntilMs` are read but not recorded. */
  begin(warmupUntilMs: number): void {
    this.warmupUntilMs = warmupUntilMs;
    this.started = true;
  }

  /** Called by the consumer for every record read back. */
  record(stampMs: number, now = performance.now()): void {
    if (!this.started) return;
    this.received++;
    if (!Number.isFinite(stampMs)) {
      this.bad++;
      return;
    }
    if (stampMs < this.warmupUntilMs || this.n >= this.samples.length) return;
    this.samples[this.n++] = now - stampMs;
  }

  get count(): number {
    return this.n;
  }

  /** Nearest-rank percentiles (q in 0..1) of the recorded latencies, in ms. */
  percentiles(qs: number[]): number[] {
    if (this.n === 0) return qs.map(() => Number.NaN);
    const s = this.samples.slice(0, this.n).sort();
    return qs.map((q) => s[Math.min(this.n - 1, Math.max(0, Math.ceil(q * this.n) - 1))]!);
  }
}

/**
 * Offers `rate` records/s for `durationMs`: every ~1 ms calls `send(n, stamp)` with the number
 * of records that fell due since the last call. Returns how many records were offered.
 */
export async function pace(rate: number, durationMs: number, send: (n: number, stampMs: number) => void): Promise<number> {
  const start = performance.now();
  let sent = 0;
  for (;;) {
    const now = performance.now();
    const elapsed = now - start;
    if (elapsed >= durationMs) break;
    const due = Math.floor((rate * elapsed) / 1000) - sent;
    if (due > 0) {
      send(due, now);
      sent += due;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  return sent;
}

/** Resolves once `done()` is true, or rejects after `timeoutMs`. */
export async function waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
