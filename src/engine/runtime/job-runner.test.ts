import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from '../api/pipeline.js';
import { fromCollection } from '../sources/collection-source.js';
import { generatorSource } from '../sources/generator-source.js';
import { collectSink } from '../sinks/collect-sink.js';
import { boundedOutOfOrderness } from '../time/watermark-strategy.js';
import { outputTag } from '../api/output-tag.js';
import { mapStateDescriptor } from '../state/descriptors.js';
import type { MapState } from '../state/types.js';
import type { KeyedProcessFunction } from '../api/functions.js';

interface Click {
  url: string;
  ts: number;
}

test('map, filter, flatMap and union run end to end', async () => {
  const job = pipeline('basic');
  const a = job.from(fromCollection([1, 2, 3, 4, 5]));
  const b = job.from(fromCollection([10, 20]));
  const sink = collectSink<number>();
  a.map((x) => x * 2)
    .filter((x) => x !== 4)
    .union(b)
    .flatMap<number>((x, out) => {
      out.collect(x);
      if (x >= 10) out.collect(-x);
    })
    .to(sink);
  await job.run();
  assert.deepEqual([...sink.collected.values].sort((x, y) => x - y), [-20, -10, -10, 2, 6, 8, 10, 10, 20]);
});

/** Counts per key with event-time timers: emits (key, count) when the watermark passes ts-bucket end. */
function countPerMinute(parallelism: number) {
  const job = pipeline('count-per-minute', { parallelism, batchSize: 7 });
  const clicks: Click[] = [];
  for (let i = 0; i < 500; i++) clicks.push({ url: `u${i % 13}`, ts: i * 1000 });
  const sink = collectSink<string>();
  const late = outputTag<Click>('late');
  const lateSink = collectSink<Click>();
  const counted = job
    .from(fromCollection(clicks, { partitions: 3 }))
    .withWatermarks((c) => c.ts, boundedOutOfOrderness('1h'))
    .keyBy((c) => c.url)
    .process<string>({
      open(ctx) {
        this.counts = ctx.getMapState(mapStateDescriptor<number, number>('counts'));
      },
      processElement(c, ctx) {
        if (c.ts <= ctx.currentWatermark()) {
          ctx.output(late, c);
          return;
        }
        const end = Math.floor(c.ts / 60000) * 60000 + 60000;
        ctx.timerService.registerEventTimeTimer(end - 1);
        this.counts!.put(end, (this.counts!.get(end) ?? 0) + 1);
      },
      onTimer(ts, ctx, out) {
        out.collect(`${ctx.getCurrentKey()}@${ts + 1}=${this.counts!.get(ts + 1)}`);
        this.counts!.remove(ts + 1);
      },
    } as KeyedProcessFunction<string, Click, string> & { counts?: MapState<number, number> });
  counted.to(sink);
  counted.getSideOutput(late).to(lateSink);
  return { job, sink, lateSink };
}

test('keyed process with state and event-time timers; parallelism 2 equals parallelism 1', async () => {
  const r1 = countPerMinute(1);
  await r1.job.run();
  const r2 = countPerMinute(2);
  await r2.job.run();
  const s1 = [...r1.sink.collected.values].sort();
  const s2 = [...r2.sink.collected.values].sort();
  assert.ok(s1.length > 13);
  assert.deepEqual(s2, s1);
  // Every click counted exactly once across the windows.
  const total = s1.reduce((acc, s) => acc + Number(s.split('=')[1]), 0);
  assert.equal(total, 500);
  assert.equal(r1.lateSink.collected.values.length, 0);
});

test('broadcast state reaches every key', async () => {
  const job = pipeline('broadcast', { parallelism: 2 });
  const rulesDesc = mapStateDescriptor<string, number>('rules');
  const rules = job.from(fromCollection([{ name: 'threshold', value: 3 }])).broadcast(rulesDesc as never);
  const sink = collectSink<string>();
  // Events come after the rule: a generator that waits a little.
  const events = job.from(generatorSource({ count: 20, ratePerSecond: 1000, generate: (i) => ({ k: `k${i % 4}`, v: i }) }));
  events
    .keyBy((e) => e.k)
    .connect(rules)
    .process<string>({
      processElement(e, ctx, out) {
        const t = ctx.getBroadcastState(rulesDesc).get('threshold');
        if (t !== undefined && e.v % 5 === t) out.collect(`${e.k}:${e.v}`);
      },
      processBroadcastElement(r, ctx) {
        ctx.getBroadcastState(rulesDesc).put(r.name, r.value);
      },
    })
    .to(sink);
  // Events are rate-limited so the rule (an in-memory collection) is read first.
  await job.run();
  assert.deepEqual([...sink.collected.values].sort(), ['k0:8', 'k1:13', 'k2:18', 'k3:3']);
});

test('checkpoints are written and a stopped job resumes from its savepoint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ckpt-'));
  const make = (sink: ReturnType<typeof collectSink<number>>) => {
    const job = pipeline('resume', { checkpoints: { every: 1, dir }, batchSize: 10 });
    job
      .from(generatorSource({ count: 2000, generate: (i) => i, ratePerSecond: 20000 }))
      .keyBy((x) => x % 2)
      .reduce((a, b) => a + b)
      .to(sink);
    return job;
  };
  const first = collectSink<number>();
  const handle = make(first).start();
  await new Promise((r) => setTimeout(r, 40));
  const res = await handle.stop({ savepoint: true });
  assert.ok(res.savepoint);
  assert.ok(readdirSync(dir).some((f) => f.startsWith('sp-')));
  const second = collectSink<number>();
  const res2 = await make(second).run({ fromSavepoint: res.savepoint! });
  assert.equal(res2.restoredFrom, res.savepoint);
  // Final sums per key are the full sums: state carried over from the savepoint.
  const all = [...first.collected.values, ...second.collected.values];
  const evenTotal = (2000 / 2) * (0 + 1998) / 2;
  assert.ok(all.includes(evenTotal), 'even sum reached');
  assert.ok(first.collected.values.length + second.collected.values.length === 2000, 'each record reduced exactly once');
});

test('the LMDB state backend runs the same keyed job with the same results', async () => {
  const { lmdbStateBackend } = await import('../api/state-backend.js');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-lmdb-'));
  const results: number[][] = [];
  for (const backend of [undefined, lmdbStateBackend({ dir })]) {
    const job = pipeline('lmdb', { parallelism: 2, ...(backend ? { stateBackend: backend } : {}) });
    const sink = collectSink<number>();
    job
      .from(generatorSource({ count: 1000, generate: (i) => i }))
      .keyBy((x) => x % 10)
      .reduce((a, b) => a + b)
      .to(sink);
    await job.run();
    results.push([...sink.collected.values].sort((a, b) => a - b));
  }
  assert.equal(results[0]?.length, 1000);
  assert.deepEqual(results[1], results[0]);
});

test('an exception in user code fails the job with a JOB_FAILED error naming the operator', async () => {
  const job = pipeline('boom');
  job
    .from(fromCollection([1, 2, 3]))
    .map((x) => {
      if (x === 2) throw new Error('bad record');
      return x;
    }, 'explode')
    .to(collectSink<number>());
  await assert.rejects(job.run(), (err: unknown) => {
    assert.ok(err instanceof Error && /explode\[0\]: bad record/.test(err.message));
    assert.equal((err as { code?: string }).code, 'JOB_FAILED');
    return true;
  });
});

test('a source reader that throws from poll (instead of rejecting) fails the job with JOB_FAILED', async () => {
  const job = pipeline('throwing-reader');
  job
    .from({
      name: 'throws',
      createReader: async () => ({
        partitions: () => ['0'],
        poll: () => {
          throw new Error('reader broke');
        },
        close: async () => undefined,
      }),
    })
    .to(collectSink<number>());
  await assert.rejects(job.run(), (err: unknown) => {
    assert.equal((err as { code?: string }).code, 'JOB_FAILED');
    assert.match((err as Error).message, /reader broke/);
    return true;
  });
});
