// The Redis Streams peer (Redis on 127.0.0.1:6379, ioredis): XADD pipelined a chunk at a
// time with a few chunks in flight, XREADGROUP (NOACK, so no pending-entries list grows) on a
// second connection, the latency run blocking in XREADGROUP. This Redis has no persistence
// configured (appendonly no, no RDB saves): an acknowledged XADD lives only in memory.
// May import: ioredis, ./driver.ts, ./latency.ts.
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { Acks, Driver } from './driver.js';
import { payload } from './driver.js';
import { LatencyRecorder, pace, readStamp, stampedValue, waitUntil } from './latency.js';

const PIPELINE = 1000;
const IN_FLIGHT_PIPELINES = 4;
const KEY_PREFIX = 'sluice-bench:';

type Entries = [Buffer, [Buffer, Buffer[] | null][]][] | null;

export class RedisDriver implements Driver {
  readonly name = 'redis-streams';
  private readonly created = new Set<string>();
  private constructor(
    private readonly w: Redis,
    private readonly r: Redis,
  ) {}

  static async connect(host = '127.0.0.1', port = 6379): Promise<RedisDriver> {
    const opts = { host, port, lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000, enableOfflineQueue: false };
    const w = new Redis(opts);
    const r = new Redis(opts);
    await w.connect();
    await r.connect();
    return new RedisDriver(w, r);
  }

  private key(stream: string): string {
    this.created.add(stream);
    return KEY_PREFIX + stream;
  }

  async produce(stream: string, size: number, count: number, _acks: Acks): Promise<number> {
    const key = this.key(stream);
    await this.w.del(key);
    const value = payload(size);
    const t0 = performance.now();
    const pending = new Set<Promise<unknown>>();
    for (let sent = 0; sent < count; ) {
      const n = Math.min(PIPELINE, count - sent);
      sent += n;
      const pipe = this.w.pipeline();
      for (let i = 0; i < n; i++) pipe.xadd(key, '*', 'v', value);
      const p: Promise<unknown> = pipe.exec().then((res) => {
        pending.delete(p);
        for (const [err] of res ?? []) if (err) throw err;
      });
      pending.add(p);
      if (pending.size >= IN_FLIGHT_PIPELINES) await Promise.race(pending);
    }
    await Promise.all(pending);
    return (performance.now() - t0) / 1000;
  }

  private async read(key: string, count: number, blockMs: number): Promise<[Buffer, Buffer[] | null][]> {
    // ioredis' overloads for XREADGROUP do not cover this argument order; the reply shape is Entries.
    const xreadgroup = this.r.xreadgroupBuffer.bind(this.r) as unknown as (...args: (string | number)[]) => Promise<Entries>;
    const res = await xreadgroup('GROUP', 'g', 'c', 'COUNT', count, 'BLOCK', blockMs, 'NOACK', 'STREAMS', key, '>');
    return res?.[0]?.[1] ?? [];
  }

  async consume(stream: string, count: number): Promise<number> {
    const key = this.key(stream);
    const t0 = performance.now();
    await this.r.xgroup('CREATE', key, 'g', '0');
    let got = 0;
    while (got < count) {
      const entries = await this.read(key, 10_000, 1000);
      if (entries.length === 0) break;
      got += entries.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    if (got !== count) throw new Error(`XREADGROUP returned ${got} entries of ${key}, expected ${count}`);
    return seconds;
  }

  async latency(stream: string, rate: number, durationMs: number, warmupMs: number, _acks: Acks): Promise<LatencyRecorder> {
    const key = this.key(stream);
    await this.w.del(key);
    await this.r.xgroup('CREATE', key, 'g', '0', 'MKSTREAM');
    const rec = new LatencyRecorder(Math.ceil((rate * durationMs) / 1000) + 1000, performance.now() + warmupMs);
    let stop = false;
    let readError: unknown;
    const reading = (async () => {
      while (!stop) {
        const entries = await this.read(key, 1000, 100);
        const now = performance.now();
        for (const [, fields] of entries) rec.record(readStamp(fields?.[1]), now);
      }
    })().catch((err: unknown) => {
      readError = err;
    });
    try {
      let errors = 0;
      const offered = await pace(rate, durationMs, (n, stamp) => {
        const value = stampedValue(stamp);
        const pipe = this.w.pipeline();
        for (let i = 0; i < n; i++) pipe.xadd(key, '*', 'v', value);
        pipe.exec().then(
          (res) => {
            for (const [err] of res ?? []) if (err) errors++;
          },
          () => (errors += n),
        );
      });
      await waitUntil(() => readError !== undefined || rec.received >= offered - errors, 30_000, `Redis to deliver ${offered} entries (got ${rec.received})`);
      if (readError !== undefined) throw readError;
      if (errors > 0) throw new Error(`${errors} XADDs failed during the latency run`);
      return rec;
    } finally {
      stop = true;
      await reading;
    }
  }

  async remove(stream: string): Promise<void> {
    if (!this.created.delete(stream)) return;
    await this.w.del(KEY_PREFIX + stream);
  }

  async close(): Promise<void> {
    for (const s of [...this.created]) await this.remove(s);
    this.w.disconnect();
    this.r.disconnect();
  }
}
