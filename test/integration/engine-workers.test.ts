// The worker-thread runtime: each worker re-imports the job module and runs one subtask;
// records cross workers by key group (and round-robin after rebalance) in batched messages;
// checkpoints align barriers across workers. Results must equal the single-thread runtime,
// and savepoints move between the two runtimes and across parallelism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildJob, expectedOutput, sinkOf, PER_PARTITION, PARTITIONS } from './fixtures/engine-worker-job.js';

const MODULE = new URL('./fixtures/engine-worker-job.ts', import.meta.url).href;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'sluice-workers-'));
}

test('parallelism 2 on worker threads gives the same results as parallelism 1', { timeout: 60_000 }, async () => {
  const dir = tmp();
  try {
    const args = [2, dir, undefined, 25];
    const job = buildJob(2, dir, undefined, 25);
    const res = await job.run({ workers: { module: MODULE, export: 'buildJob', args } });
    assert.deepEqual([...sinkOf(job).values].sort(), expectedOutput());
    assert.equal(res.metrics['records-in'], PER_PARTITION * PARTITIONS);
    assert.ok((res.metrics['checkpoints-completed'] ?? 0) >= 1, 'the final checkpoint at least');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpoints align across workers; a savepoint at 2 workers restores at 1 (one thread) and at 4 workers', { timeout: 90_000 }, async () => {
  for (const target of [1, 4]) {
    const dir = tmp();
    try {
      // 1,000 records/s per partition: the 3,000 per partition take 3 s, so the stop at 1.5 s
      // lands mid-way however fast the machine is.
      const args = [2, dir, 1000, 20];
      const first = buildJob(2, dir, 1000, 20);
      const handle = first.start({ workers: { module: MODULE, export: 'buildJob', args } });
      await new Promise((r) => setTimeout(r, 1500));
      const res = await handle.stop({ savepoint: true });
      assert.ok(res.savepoint, 'savepoint written');
      assert.ok((res.metrics['checkpoints-completed'] ?? 0) >= 2, `periodic checkpoints completed (${res.metrics['checkpoints-completed']})`);
      const before = sinkOf(first).values;
      assert.ok(before.length > 0 && before.length < PER_PARTITION * PARTITIONS, `stopped mid-way (${before.length})`);
      const second = buildJob(target, dir);
      if (target === 1) await second.run({ fromSavepoint: res.savepoint! });
      else await second.run({ fromSavepoint: res.savepoint!, parallelism: target, workers: { module: MODULE, export: 'buildJob', args: [target, dir] } });
      assert.deepEqual([...before, ...sinkOf(second).values].sort(), expectedOutput(), `restored at ${target}`);
      if (target === 4) {
        // A periodic checkpoint (taken while records were crossing workers) is consistent too:
        // restored at 3 workers, the final count of every key is exact (state matches positions).
        const chk = readdirSync(dir)
          .filter((f) => /^chk-\d+\.ckpt$/.test(f))
          .sort((a, b) => Number(a.slice(4, -5)) - Number(b.slice(4, -5)))
          .filter((f) => Number(f.slice(4, -5)) < Number(res.savepoint!.match(/sp-(\d+)/)![1]))
          .pop();
        assert.ok(chk, 'a periodic checkpoint before the savepoint');
        const third = buildJob(3, dir);
        await third.run({ fromSavepoint: join(dir, chk), parallelism: 3, workers: { module: MODULE, export: 'buildJob', args: [3, dir] } });
        const finals = (xs: string[]) => xs.filter((x) => x.startsWith('final:')).sort();
        assert.deepEqual(finals(sinkOf(third).values), finals(expectedOutput()));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
