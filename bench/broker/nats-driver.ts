// The NATS JetStream peer (nats-server on 127.0.0.1:4222, `nats` npm client): a stream with
// file storage, acknowledged publishes pipelined with a bounded number of outstanding acks,
// and an ordered consumer. JetStream acknowledges a publish once stored, without an fsync per
// message (its default sync interval is 2 minutes), so it is the peer for acks=1 semantics.
// The nats.js client spends far more CPU per acknowledged publish than the server does (on a
// busy 2-core machine it tops out at a few thousand request/replies per second), so a second
// variant, `nats-jetstream-noack`, publishes with core NATS (no per-message ack) and times
// until the stream reports holding every message: the server's ingest without that client cost.
// May import: nats, ./driver.ts, ./latency.ts.
import { performance } from 'node:perf_hooks';
import { connect, StorageType } from 'nats';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { Acks, Driver } from './driver.js';
import { payload } from './driver.js';
import { LatencyRecorder, pace, readStamp, stampedValue, waitUntil } from './latency.js';

const OUTSTANDING_ACKS = 1000;

export class NatsDriver implements Driver {
  readonly name: string;
  private readonly created = new Set<string>();
  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly acked: boolean,
  ) {
    this.name = acked ? 'nats-jetstream' : 'nats-jetstream-noack';
  }

  static async connect(options: { acked: boolean; server?: string }): Promise<NatsDriver> {
    const nc = await connect({ servers: options.server ?? '127.0.0.1:4222', timeout: 5000, maxReconnectAttempts: 0 });
    const jsm = await nc.jetstreamManager({ timeout: 10_000 });
    return new NatsDriver(nc, jsm, nc.jetstream({ timeout: 60_000 }), options.acked);
  }

  /** Waits until `stream` holds `count` messages (the unacknowledged variant's completion). */
  private async stored(stream: string, count: number): Promise<void> {
    let last = -1;
    let progressAt = performance.now();
    for (;;) {
      const info = await this.jsm.streams.info(stream);
      const n = info.state.messages;
      if (n >= count) return;
      if (n !== last) {
        last = n;
        progressAt = performance.now();
      } else if (performance.now() - progressAt > 10_000) {
        throw new Error(`JetStream stored ${n} of ${count} unacknowledged messages in ${stream} (the rest were dropped)`);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  private async create(stream: string): Promise<string> {
    await this.jsm.streams.add({ name: stream, subjects: [`${stream}.x`], storage: StorageType.File, max_msg_size: 2 << 20 });
    this.created.add(stream);
    return `${stream}.x`;
  }

  async produce(stream: string, size: number, count: number, _acks: Acks): Promise<number> {
    const subject = await this.create(stream);
    const value = payload(size);
    const t0 = performance.now();
    if (!this.acked) {
      for (let i = 0; i < count; i++) this.nc.publish(subject, value);
      await this.nc.flush();
      await this.stored(stream, count);
      return (performance.now() - t0) / 1000;
    }
    const pending: Promise<unknown>[] = [];
    let head = 0;
    for (let i = 0; i < count; i++) {
      pending.push(this.js.publish(subject, value));
      if (pending.length - head >= OUTSTANDING_ACKS) await pending[head++];
    }
    await Promise.all(pending.slice(head));
    return (performance.now() - t0) / 1000;
  }

  async consume(stream: string, count: number): Promise<number> {
    const t0 = performance.now();
    const consumer = await this.js.consumers.get(stream);
    const messages = await consumer.consume({ max_messages: 10_000 });
    let got = 0;
    for await (const m of messages) {
      if (m.data.length === 0) throw new Error('empty JetStream message');
      if (++got >= count) break;
    }
    const seconds = (performance.now() - t0) / 1000;
    await messages.close();
    if (got !== count) throw new Error(`JetStream delivered ${got} records of ${stream}, expected ${count}`);
    return seconds;
  }

  async latency(stream: string, rate: number, durationMs: number, warmupMs: number, _acks: Acks): Promise<LatencyRecorder> {
    const subject = await this.create(stream);
    const consumer = await this.js.consumers.get(stream);
    const messages = await consumer.consume({ max_messages: 1000 });
    const recorder = new LatencyRecorder(Math.ceil((rate * durationMs) / 1000) + 1000);
    let readError: unknown;
    const reading = (async () => {
      for await (const m of messages) recorder.record(readStamp(m.data));
    })().catch((err: unknown) => {
      readError = err;
    });
    try {
      recorder.begin(performance.now() + warmupMs);
      let errors = 0;
      const offered = await pace(rate, durationMs, (n, stamp) => {
        const value = stampedValue(stamp);
        for (let i = 0; i < n; i++) {
          // Acknowledgements are not awaited: the offered rate stays fixed however slow they are.
          if (this.acked) this.js.publish(subject, value).catch(() => errors++);
          else this.nc.publish(subject, value);
        }
      });
      await waitUntil(() => readError !== undefined || recorder.received + errors >= offered, 120_000, `JetStream to deliver ${offered} records (got ${recorder.received})`);
      if (readError !== undefined) throw readError;
      if (errors > 0) throw new Error(`${errors} JetStream publishes failed during the latency run`);
      return recorder;
    } finally {
      await messages.close();
      await reading;
    }
  }

  async remove(stream: string): Promise<void> {
    if (!this.created.delete(stream)) return;
    await this.jsm.streams.delete(stream).catch(() => undefined);
  }

  async close(): Promise<void> {
    for (const s of [...this.created]) await this.remove(s);
    await this.nc.drain();
  }
}
