// The one shape every system under test takes in this benchmark (Sluice through kafkajs,
// NATS JetStream, Redis Streams), so main.ts runs the same cases over each of them.
// A "stream" is a Kafka topic with one partition, a JetStream stream, or a Redis stream key.
// May import: ./latency.ts.
import type { LatencyRecorder } from './latency.js';

export type Acks = 1 | -1;

export interface Driver {
  readonly name: string;
  /** Creates `stream` and writes `count` records of `size` bytes, waiting for every acknowledgement; returns seconds. */
  produce(stream: string, size: number, count: number, acks: Acks): Promise<number>;
  /** Reads the `count` records of `stream` from the start; returns seconds. */
  consume(stream: string, count: number): Promise<number>;
  /** Produce-to-consume latency at `rate` records/s for `durationMs` (the first `warmupMs` not recorded). */
  latency(stream: string, rate: number, durationMs: number, warmupMs: number, acks: Acks): Promise<LatencyRecorder>;
  /** Deletes `stream` and everything the driver created for it. */
  remove(stream: string): Promise<void>;
  close(): Promise<void>;
}

/** Same-content payload of `size` bytes (no compression is in play, so content does not matter). */
export function payload(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 97 + ((i * 7) % 26);
  return b;
}
