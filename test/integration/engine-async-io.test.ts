// The async I/O operator inside the real runtime: ordering, watermarks, the capacity bound
// and source backpressure, retries and timeouts, exactly-once across a crash with elements in
// flight at the checkpoint, and typed failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from '../../src/engine/api/pipeline.js';
import { outputTag } from '../../src/engine/api/output-tag.js';
import { generatorSource } from '../../src/engine/sources/generator-source.js';
import { collectSink } from '../../src/engine/sinks/collect-sink.js';
import { boundedOutOfOrderness } from '../../src/engine/time/watermark-strategy.js';
import { asyncIO } from '../../src/engine/operators/async-io.js';
import { ASYNC_IO_STATE } from '../../src/engine/operators/async-io.js';
import { CheckpointStorage } from '../../src/engine/checkpoint/checkpoint-storage.js';
import type { AsyncFailure } from '../../src/engine/operators/async-io-options.js';
import type { Sink, SinkWriter } from '../../src/engine/sinks/sink.js';
import { isSluiceError } from '../../src/errors.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const randomDelay = (): Promise<void> => sleep(Math.floor(Math.random() * 4));

test('ordered: output equals input order despite random completion delays', async () => {
  const job = pipeline('async-ordered', { batchSize: 40 });
  const sink = collectSink<number>();
  job
    .from(generatorSource({ count: 1500, generate: (i) => i, partitions: 1 }))
    .asyncMap(
      async (x: number) => {
        await randomDelay();
        return x * 3;
      },
      { ordered: true, capacity: 30 },
    )
    .to(sink);
  await job.run();
  assert.deepEqual(sink.collected.values, Array.from({ length: 1500 }, (_v, i) => i * 3));
});

test('unordered: emits everything, out of order, and no element overtakes a watermark', async () => {
  const job = pipeline('async-unordered', { batchSize: 16 });
  const sink = collectSink<number>();
  let late = 0;
  let early = 0;
  let watermarksSeen = 0;
  let lastWm = Number.NEGATIVE_INFINITY;
  const n = 1200;
  asyncIO
    .unorderedWait(
      job.from(generatorSource({ count: n, generate: (i) => i, timestampOf: (v) => v * 10 })).withWatermarks((v) => v * 10, boundedOutOfOrderness(0)),
      async (x: number) => {
        await randomDelay();
        return x;
      },
      { capacity: 40 },
    )
    .process<number>({
      processElement(v, ctx, out) {
        const wm = ctx.currentWatermark();
        if (wm !== lastWm) {
          watermarksSeen++;
          lastWm = wm;
        }
        // A record at or below the watermark it meets would be late downstream.
        if (ctx.timestamp <= wm) late++;
        // The source emits a watermark after each batch of 16 (ts = 10 * value); an element
        // must not leave before the watermark of the batch before its own.
        const batchStart = Math.floor(v / 16) * 16;
        if (batchStart > 0 && wm < 10 * (batchStart - 1) - 10) early++;
        out.collect(v);
      },
    })
    .to(sink);
  await job.run();
  const got = sink.collected.values;
  assert.equal(got.length, n);
  assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: n }, (_v, i) => i));
  assert.notDeepEqual(got, [...got].sort((a, b) => a - b), 'with random delays, unordered really reorders');
  assert.ok(watermarksSeen > 10, `watermarks flowed through the operator (${watermarksSeen})`);
  assert.equal(late, 0, 'no element was emitted after a watermark that should have waited for it');
  assert.equal(early, 0, 'no element was emitted before a watermark that arrived before it');
});

test('capacity bounds the calls in flight and backpressures the source (memory stays bounded)', async () => {
  const batchSize = 50;
  const capacity = 8;
  const count = 2000;
  const job = pipeline('async-capacity', { batchSize, pollTimeoutMs: 10 });
  const sink = collectSink<number>();
  let generated = 0;
  let finished = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let maxAhead = 0;
  job
    .from(
      generatorSource({
        count,
        generate: (i) => {
          generated++;
          maxAhead = Math.max(maxAhead, generated - finished);
          return i;
        },
      }),
    )
    .asyncMap(
      async (x: number) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(1);
        inFlight--;
        finished++;
        return x;
      },
      { capacity, ordered: false },
    )
    .to(sink);
  await job.run();
  assert.equal(sink.collected.values.length, count);
  assert.equal(maxInFlight, capacity, 'the capacity is used and never exceeded');
  // Read but not yet served: the elements in flight, one batch waiting for slots and at most
  // one more batch polled before the backpressure was seen. Without backpressure the
  // generator would run ahead by nearly all 2000 records.
  assert.ok(maxAhead <= capacity + 2 * batchSize, `source ran ${maxAhead} records ahead of the service`);
});

test('retries with backoff recover transient failures; timeouts take the fallback or drop', async () => {
  const attempts = new Map<number, number>();
  const job = pipeline('async-retry', { batchSize: 20, pollTimeoutMs: 5 });
  const sink = collectSink<number>();
  job
    .from(generatorSource({ count: 60, generate: (i) => i }))
    .asyncMap(
      async (x: number) => {
        const a = (attempts.get(x) ?? 0) + 1;
        attempts.set(x, a);
        if (a < 3) throw new Error(`transient ${x}`);
        if (x % 10 === 0) return new Promise<number>(() => undefined); // never answers
        return x;
      },
      { capacity: 16, timeout: '150ms', retry: { maxAttempts: 3, backoff: { initial: '1ms', max: '4ms', multiplier: 2, jitter: 0.5 } }, onTimeout: (x) => -x - 1 },
    )
    .to(sink);
  const result = await job.run();
  const expected = Array.from({ length: 60 }, (_v, i) => (i % 10 === 0 ? -i - 1 : i));
  assert.deepEqual(sink.collected.values, expected);
  assert.equal(result.metrics['async-io-retries'], 120);
  assert.equal(result.metrics['async-io-timeouts'], 6);
  for (const [, a] of attempts) assert.equal(a, 3);

  const dropJob = pipeline('async-drop', { pollTimeoutMs: 5 });
  const dropSink = collectSink<number>();
  dropJob
    .from(generatorSource({ count: 30, generate: (i) => i }))
    .asyncMap((x: number) => (x % 3 === 0 ? new Promise<number>(() => undefined) : Promise.resolve(x)), { timeout: '30ms', onTimeout: 'drop', ordered: false })
    .to(dropSink);
  await dropJob.run();
  assert.deepEqual([...dropSink.collected.values].sort((a, b) => a - b), Array.from({ length: 30 }, (_v, i) => i).filter((i) => i % 3 !== 0));
});

/** An exactly-once sink for the test: batches staged per checkpoint, visible on commit, replayed committables committed once. */
function transactionalSink(committed: number[], committedIds: Set<number>): Sink<number> {
  return {
    name: 'txn',
    async createWriter(ctx): Promise<SinkWriter<number>> {
      let staged: number[] = [];
      const pending = new Map<number, number[]>();
      const commit = (id: number, values: readonly number[]): void => {
        if (committedIds.has(id)) return;
        committedIds.add(id);
        committed.push(...values);
      };
      for (const c of ctx.restored ?? []) {
        const { id, values } = c as { id: number; values: number[] };
        commit(id, values);
      }
      return {
        write(values) {
          staged.push(...values);
        },
        async preCommit(id) {
          pending.set(id, staged);
          const c = { id, values: staged };
          staged = [];
          return c;
        },
        async commit(id) {
          const v = pending.get(id);
          if (v) commit(id, v);
          pending.delete(id);
        },
        async close() {},
      };
    },
  };
}

test('checkpoint with elements in flight, crash, restore: every output exactly once, in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-async-io-'));
  try {
    const committed: number[] = [];
    const committedIds = new Set<number>();
    const count = 400;
    const build = (serviceUp: (x: number) => boolean) => {
      const job = pipeline('async-crash', { batchSize: 25, pollTimeoutMs: 5, checkpoints: { every: 15, dir, keep: 10 } });
      job
        .from(generatorSource({ count, generate: (i) => i }))
        .asyncMap((x: number) => (serviceUp(x) ? sleep(0).then(() => x * 2) : new Promise<number>(() => undefined)), { capacity: 20, uid: 'lookup', timeout: '1h' })
        .to(transactionalSink(committed, committedIds));
      return job;
    };
    // Run 1: the service hangs from element 150 on, so the operator fills up and stays full.
    const first = build((x) => x < 150).start();
    const storage = new CheckpointStorage(dir);
    const deadline = Date.now() + 10_000;
    let inFlightAtCheckpoint = 0;
    while (Date.now() < deadline) {
      await sleep(20);
      const latest = await storage.latest();
      const elements = latest?.data.operatorState['lookup']?.[0]?.states[ASYNC_IO_STATE]?.elements ?? [];
      if (elements.length > 0 && committed.length === 150) {
        inFlightAtCheckpoint = elements.length;
        break;
      }
    }
    assert.ok(inFlightAtCheckpoint >= 20, `a checkpoint stored the elements in flight (${inFlightAtCheckpoint})`);
    await first.stop(); // a crash: no savepoint, no final checkpoint, staged output lost
    assert.deepEqual(committed, Array.from({ length: 150 }, (_v, i) => i * 2));

    // Run 2: the service is back; the restored elements are re-issued before new input.
    const result = await build(() => true).run();
    assert.ok(result.restoredFrom, 'restored from the checkpoint');
    assert.deepEqual(committed, Array.from({ length: count }, (_v, i) => i * 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a function that keeps failing fails the job with ASYNC_IO_FAILED, or feeds the errors side output', async () => {
  const job = pipeline('async-fail', { pollTimeoutMs: 5 });
  job
    .from(generatorSource({ count: 50, generate: (i) => i }))
    .asyncMap(async (x: number) => {
      if (x === 17) throw new Error('service said no');
      return x;
    }, { retry: { maxAttempts: 2, backoff: { initial: 1 } } })
    .to(collectSink<number>());
  await assert.rejects(job.run(), (e: unknown) => isSluiceError(e, 'ASYNC_IO_FAILED') && /service said no/.test(e.message) && e.details?.['attempts'] === 2);

  const errors = outputTag<AsyncFailure<number>>('lookup-errors');
  const job2 = pipeline('async-side', { pollTimeoutMs: 5 });
  const ok = collectSink<number>();
  const bad = collectSink<AsyncFailure<number>>();
  const out = job2
    .from(generatorSource({ count: 50, generate: (i) => i }))
    .asyncMap(async (x: number) => {
      if (x % 7 === 0) throw new Error('no');
      return x;
    }, { errors });
  out.to(ok);
  out.getSideOutput(errors).to(bad);
  await job2.run();
  assert.deepEqual(ok.collected.values, Array.from({ length: 50 }, (_v, i) => i).filter((i) => i % 7 !== 0));
  assert.deepEqual(bad.collected.values.map((f) => f.input), [0, 7, 14, 21, 28, 35, 42, 49]);
  assert.ok(bad.collected.values.every((f) => isSluiceError(f.error, 'ASYNC_IO_FAILED') && f.attempts === 1));
});

test('on worker threads (parallelism 2): every result once, input order kept per source partition', { timeout: 60_000 }, async () => {
  const { buildAsyncJob, ASYNC_PER_PARTITION, ASYNC_PARTITIONS } = await import('./fixtures/engine-async-io-job.js');
  const module = new URL('./fixtures/engine-async-io-job.ts', import.meta.url).href;
  const job = buildAsyncJob(2);
  await job.run({ workers: { module, export: 'buildAsyncJob', args: [2] } });
  const node = job.graph.nodes.find((n) => n.kind === 'sink') as unknown as { sink: { collected: { values: string[] } } };
  const got = node.sink.collected.values;
  assert.equal(got.length, ASYNC_PER_PARTITION * ASYNC_PARTITIONS);
  assert.equal(new Set(got).size, got.length);
  // One partition's records of one key travel one channel to one async subtask: ordered mode keeps them in order.
  const lastByPartitionKey = new Map<string, number>();
  for (const s of got) {
    const [p, i] = s.split(':').map(Number) as [number, number];
    const key = `${p}/${(i * ASYNC_PARTITIONS + p) % 13}`;
    assert.ok((lastByPartitionKey.get(key) ?? -1) < i, `order kept for ${key}`);
    lastByPartitionKey.set(key, i);
  }
});
