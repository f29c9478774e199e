// Rescaling: a savepoint taken at parallelism 2 restores at 1 and at 4. Keyed state and
// timers follow their key groups, source positions follow their partitions; the combined
// output of the two runs equals a run without interruption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from '../../src/engine/api/pipeline.js';
import { generatorSource } from '../../src/engine/sources/generator-source.js';
import { collectSink } from '../../src/engine/sinks/collect-sink.js';
import { valueStateDescriptor } from '../../src/engine/state/descriptors.js';
import { monotonous } from '../../src/engine/time/watermark-strategy.js';
import type { ValueState } from '../../src/engine/state/types.js';

const PER_PARTITION = 3000;
const PARTITIONS = 4;
const KEYS = 37;

function build(dir: string, parallelism: number, rate: number | undefined) {
  const sink = collectSink<string>();
  const job = pipeline('rescale', { parallelism, checkpoints: { every: '1h', dir }, batchSize: 50 });
  const count = valueStateDescriptor<number>('count');
  let state: ValueState<number>;
  job
    .from(
      generatorSource({
        count: PER_PARTITION,
        partitions: PARTITIONS,
        generate: (i, p) => ({ k: (i * PARTITIONS + p) % KEYS, ts: i }),
        ...(rate !== undefined ? { ratePerSecond: rate } : {}),
      }),
    )
    .withWatermarks((e) => e.ts, monotonous())
    .keyBy((e) => e.k)
    .process<string>({
      open(ctx) {
        state = ctx.getState(count);
      },
      processElement(e, ctx, out) {
        const n = (state.value() ?? 0) + 1;
        state.update(n);
        if (n === 1) ctx.timerService.registerEventTimeTimer(1e12);
        out.collect(`${e.k}:${n}`);
      },
      onTimer(_ts, ctx, out) {
        out.collect(`final:${ctx.getCurrentKey()}=${state.value()}`);
      },
    })
    .to(sink);
  return { job, sink };
}

async function runRescaled(target: number): Promise<{ before: string[]; after: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-rescale-'));
  try {
    const first = build(dir, 2, 4_000);
    const handle = first.job.start();
    const deadline = Date.now() + 10_000;
    while (first.sink.collected.values.length < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const res = await handle.stop({ savepoint: true });
    assert.ok(res.savepoint);
    const second = build(dir, target, undefined);
    await second.job.run({ fromSavepoint: res.savepoint!, parallelism: target });
    return { before: first.sink.collected.values, after: second.sink.collected.values };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function expectedOutput(): string[] {
  const perKey = new Map<number, number>();
  const out: string[] = [];
  for (let i = 0; i < PER_PARTITION; i++)
    for (let p = 0; p < PARTITIONS; p++) {
      const k = (i * PARTITIONS + p) % KEYS;
      const n = (perKey.get(k) ?? 0) + 1;
      perKey.set(k, n);
      out.push(`${k}:${n}`);
    }
  for (const [k, n] of perKey) out.push(`final:${k}=${n}`);
  return out.sort();
}

for (const target of [1, 4]) {
  test(`savepoint at parallelism 2 restores at parallelism ${target}`, async () => {
    const { before, after } = await runRescaled(target);
    assert.ok(before.length > 0 && before.length < PER_PARTITION * PARTITIONS, `stopped mid-way (${before.length} records before)`);
    assert.ok(!before.some((s) => s.startsWith('final:')), 'no timer fired before the end');
    assert.deepEqual([...before, ...after].sort(), expectedOutput());
  });
}

test('parallelism 2 gives the same results as parallelism 1', async () => {
  const dir1 = mkdtempSync(join(tmpdir(), 'sluice-p1-'));
  const dir2 = mkdtempSync(join(tmpdir(), 'sluice-p2-'));
  try {
    const a = build(dir1, 1, undefined);
    const b = build(dir2, 2, undefined);
    await a.job.run();
    await b.job.run();
    assert.deepEqual([...a.sink.collected.values].sort(), expectedOutput());
    assert.deepEqual([...b.sink.collected.values].sort(), expectedOutput());
  } finally {
    rmSync(dir1, { recursive: true, force: true });
    rmSync(dir2, { recursive: true, force: true });
  }
});
