// Rescaling: a savepoint taken at parallelism 2 restores at 1 and at 4. Keyed state and
// timers follow their key groups, source positions follow their partitions; the combined
// output of the two runs equals a run without interruption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countingJob, expectedOutput, PARTITIONS, PER_PARTITION } from './fixtures/engine-worker-job.js';

function build(dir: string, parallelism: number, rate: number | undefined) {
  return countingJob('rescale', parallelism, dir, { rate });
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
