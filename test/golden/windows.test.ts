// Golden tests of windowing through the whole engine (source -> watermarks -> keyBy ->
// window -> sink): tumbling, sliding and session windows on out-of-order input, allowed
// lateness with updated results, the late side output, and idleness. Expected outputs are
// hand-checked files in test/golden/windows/ (see its README for the traces). Every case runs
// on the heap and the LMDB state backend, at parallelism 1 and 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from '../../src/engine/api/pipeline.js';
import type { DataStream, KeyedStream } from '../../src/engine/api/data-stream.js';
import { outputTag } from '../../src/engine/api/output-tag.js';
import type { StateBackendFactory } from '../../src/engine/api/state-backend.js';
import { heapStateBackend } from '../../src/engine/api/state-backend.js';
import { aggregates } from '../../src/engine/aggregations/combine.js';
import { count, sum } from '../../src/engine/aggregations/basic.js';
import { fromCollection } from '../../src/engine/sources/collection-source.js';
import type { Source, SourceBatch } from '../../src/engine/sources/source.js';
import { collectSink } from '../../src/engine/sinks/collect-sink.js';
import { createLmdbKeyedStateBackend } from '../../src/engine/state/lmdb-backend.js';
import { boundedOutOfOrderness } from '../../src/engine/time/watermark-strategy.js';
import { EventTimeSessionWindows, SlidingEventTimeWindows, TumblingEventTimeWindows } from '../../src/engine/windowing/assigners.js';
import type { WindowResult } from '../../src/engine/windowing/window-function.js';

interface Click {
  user: string;
  v: number;
  ts: number;
}

const here = path.dirname(new URL(import.meta.url).pathname);
const dir = path.join(here, 'windows');
const clicks: Click[] = fs
  .readFileSync(path.join(dir, 'clicks.input.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Click);

function expected(name: string): string[] {
  return fs.readFileSync(path.join(dir, `${name}.expected.txt`), 'utf8').split('\n').filter((l) => l !== '');
}

type Backend = 'heap' | 'lmdb';

function backendFactory(kind: Backend, tmp: string): StateBackendFactory {
  if (kind === 'heap') return heapStateBackend();
  return (o) =>
    createLmdbKeyedStateBackend({
      path: path.join(tmp, `${o.operatorUid}-${o.subtaskIndex}`),
      maxParallelism: o.maxParallelism,
      keyGroupRange: o.keyGroupRange,
      clock: o.clock,
    });
}

const late = outputTag<Click>('late');

/**
 * Runs `build` over the clicks (one partition, 2 s bounded disorder, one record per batch so
 * the watermark follows every record) and returns the sorted output lines plus late lines.
 */
async function runCase(
  backend: Backend,
  parallelism: number,
  build: (keyed: KeyedStream<Click, string>) => [lines: DataStream<string>, windowed: Pick<DataStream<unknown>, 'getSideOutput'>],
): Promise<string[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-golden-'));
  try {
    const job = pipeline('golden-windows', { parallelism, batchSize: 1, stateBackend: backendFactory(backend, tmp) });
    const keyed = job
      .from(fromCollection(clicks))
      .withWatermarks((c) => c.ts, boundedOutOfOrderness('2s'))
      .keyBy((c) => c.user);
    const [out, windowed] = build(keyed);
    const sink = collectSink<string>();
    const lateSink = collectSink<Click>();
    out.to(sink);
    // The late side output belongs to the window operator, not to what follows it.
    windowed.getSideOutput(late).to(lateSink);
    await job.run();
    const lines = sink.collected.values.map((v, i) => `${v} ts=${sink.collected.timestamps[i]}`);
    for (let i = 0; i < lateSink.collected.values.length; i++) {
      const c = lateSink.collected.values[i] as Click;
      lines.push(`late ${c.user} v=${c.v} ts=${lateSink.collected.timestamps[i]}`);
    }
    return lines.sort();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const fmtWindow = (w: { start: number; end: number }): string => `[${w.start},${w.end})`;

for (const backend of ['heap', 'lmdb'] as const) {
  for (const parallelism of [1, 2]) {
    const label = `[${backend}, p=${parallelism}]`;

    test(`${label} tumbling windows on out-of-order input, late records to the side output`, async () => {
      const lines = await runCase(backend, parallelism, (keyed) => {
        const w = keyed
          .window(TumblingEventTimeWindows.of<Click>('10s'))
          .sideOutputLateData(late)
          .aggregate(aggregates({ count: count<Click>(), sum: sum((c: Click) => c.v) }));
        return [w.map((r) => `${r.key} ${fmtWindow(r.window)} count=${r.value.count} sum=${r.value.sum} update=${r.isUpdate}`), w];
      });
      assert.deepEqual(lines, expected('tumbling'));
    });

    test(`${label} sliding windows with a process window function`, async () => {
      const lines = await runCase(backend, parallelism, (keyed) => {
        const w = keyed
          .window(SlidingEventTimeWindows.of<Click>('10s', '5s'))
          .sideOutputLateData(late)
          .process<string>((key, ctx, elements, out) => {
            out.collect(`${key} ${fmtWindow(ctx.window)} values=${elements.map((e) => e.v).join(',')}`);
          });
        return [w, w];
      });
      assert.deepEqual(lines, expected('sliding'));
    });

    test(`${label} session windows merge across out-of-order records`, async () => {
      const lines = await runCase(backend, parallelism, (keyed) => {
        const w = keyed
          .window(EventTimeSessionWindows.withGap<Click>('3s'))
          .sideOutputLateData(late)
          .aggregate(sum((c: Click) => c.v));
        return [w.map((r: WindowResult<string, number>) => `${r.key} ${fmtWindow(r.window)} sum=${r.value} update=${r.isUpdate}`), w];
      });
      assert.deepEqual(lines, expected('session'));
    });

    test(`${label} allowed lateness re-emits updated results`, async () => {
      const lines = await runCase(backend, parallelism, (keyed) => {
        const w = keyed
          .window(TumblingEventTimeWindows.of<Click>('10s'))
          .allowedLateness('5s')
          .sideOutputLate(late)
          .reduce((a, b) => ({ user: a.user, v: a.v + b.v, ts: Math.max(a.ts, b.ts) }));
        return [w.map((r) => `${r.key} ${fmtWindow(r.window)} sum=${r.value.v} update=${r.isUpdate}`), w];
      });
      assert.deepEqual(lines, expected('lateness'));
    });
  }
}

/**
 * Two partitions: "busy" keeps producing records (one per poll), "quiet" sends one record at
 * t=0 and then nothing, without ending. Only idleness lets the watermark pass the quiet
 * partition, so only with idleness do windows fire while the job runs.
 */
function twoPartitionSource(): Source<Click> {
  return {
    name: 'two-partitions',
    async createReader(ctx) {
      const mine = ['busy', 'quiet'].filter((_, i) => i % ctx.parallelism === ctx.subtaskIndex);
      let busyAt = 0;
      let quietSent = false;
      let turn = 0;
      return {
        partitions: () => mine,
        async poll(_max, timeoutMs): Promise<SourceBatch<Click> | null | 'end'> {
          turn++;
          if (mine.includes('quiet') && !quietSent) {
            quietSent = true;
            return { partition: 'quiet', values: [{ user: 'q', v: 1, ts: 0 }], timestamps: [0], position: 1 };
          }
          if (mine.includes('busy') && busyAt < 40 && turn % 2 === 0) {
            const c: Click = { user: `u${busyAt % 2}`, v: 1, ts: busyAt * 1000 };
            busyAt++;
            return { partition: 'busy', values: [c], timestamps: [c.ts], position: busyAt };
          }
          await new Promise((r) => setTimeout(r, Math.min(timeoutMs, 10)));
          return null;
        },
        async close() {},
      };
    },
  };
}

async function runIdleness(withIdleness: boolean): Promise<string[]> {
  const job = pipeline(`golden-idleness-${withIdleness}`, { parallelism: 1, batchSize: 1 });
  const strategy = withIdleness ? boundedOutOfOrderness(0).withIdleness('150ms') : boundedOutOfOrderness(0);
  const sink = collectSink<string>();
  job
    .from(twoPartitionSource())
    .withWatermarks((c) => c.ts, strategy)
    .keyBy((c) => c.user)
    .window(TumblingEventTimeWindows.of<Click>('10s'))
    .aggregate(count<Click>())
    .map((r) => `${r.key} ${fmtWindow(r.window)} count=${r.value}`)
    .to(sink);
  const handle = job.start();
  if (withIdleness) {
    // Wait (bounded) for the seven results idleness makes possible.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && sink.collected.values.length < 7) await new Promise((r) => setTimeout(r, 25));
  } else {
    // Until every record was read, then long enough for idleness (had it been on) to kick in.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (handle.metrics()['records-in'] ?? 0) < 41) await new Promise((r) => setTimeout(r, 25));
    assert.equal(handle.metrics()['records-in'], 41, 'all records were read');
    await new Promise((r) => setTimeout(r, 500));
  }
  const seen = [...sink.collected.values].sort();
  await handle.stop();
  return seen;
}

test('idleness: a silent partition stops holding back the watermark, so windows fire while the job runs', async () => {
  // Busy records at 0..39 s in 10 s windows, users u0/u1 alternating: 5 each per window. The
  // watermark reaches 38999 (39000 - 0 - 1), closing [0,10), [10,20) and [20,30) but not
  // [30,40). The quiet partition's q@0 window [0,10) closes too.
  assert.deepEqual(await runIdleness(true), [
    'q [0,10000) count=1',
    'u0 [0,10000) count=5',
    'u0 [10000,20000) count=5',
    'u0 [20000,30000) count=5',
    'u1 [0,10000) count=5',
    'u1 [10000,20000) count=5',
    'u1 [20000,30000) count=5',
  ]);
  // Without idleness the quiet partition pins the watermark at -1: nothing fires while running.
  assert.deepEqual(await runIdleness(false), []);
});
