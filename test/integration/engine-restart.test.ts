// The restart strategy: a job that fails once restarts in-process from its latest checkpoint
// and ends with the same keyed results as a run without failure (state restored, not
// recounted); one that keeps failing gives up after its attempts; stop() during the delay
// between attempts ends the job (and a savepoint then is refused, not left hanging); a bad
// configuration is not retried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SluiceError, isSluiceError } from '../../src/errors.js';
import { pipeline } from '../../src/engine/api/pipeline.js';
import { collectSink } from '../../src/engine/sinks/collect-sink.js';
import { FAIL_AT, counts, countingJob, expectedCounts, restartJob } from './fixtures/engine-restart-job.js';

const RESTART_JOB = new URL('./fixtures/engine-restart-job.ts', import.meta.url).href;

test('a job that fails once restarts from its latest checkpoint and counts every record once', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-restart-'));
  try {
    let failed = false;
    // Fails on its first pass over record FAIL_AT (0.4 s in: several checkpoints completed).
    const job = countingJob('restart-once', 1, dir, (r) => {
      if (failed || r.i !== FAIL_AT) return false;
      failed = true;
      return true;
    }, { attempts: 2, delay: 10 });
    const handle = job.start();
    const result = await handle.done;
    assert.equal(failed, true, 'the failure happened');
    assert.equal(handle.status().restarts, 1);
    assert.equal(result.metrics.restarts, 1);
    assert.ok(result.restoredFrom !== undefined, 'the second attempt restored a checkpoint');
    assert.deepEqual(counts(job), expectedCounts());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a job that keeps failing gives up after its attempts with the failure', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-restart-'));
  try {
    let passes = 0;
    const job = countingJob('restart-exhausted', 1, dir, (r) => r.i === 100 && ++passes > 0, { attempts: 2, delay: 10 });
    const handle = job.start();
    await assert.rejects(handle.done, (err: unknown) => isSluiceError(err) && err.code === 'JOB_FAILED' && /boom at 100/.test(err.message));
    assert.equal(passes, 3, 'the first attempt and two restarts');
    assert.equal(handle.status().restarts, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stop() while waiting to restart ends the job', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-restart-'));
  try {
    const job = countingJob('restart-stopped', 1, dir, (r) => r.i === 100, { attempts: 5, delay: 60_000 });
    const handle = job.start();
    const deadline = Date.now() + 20_000;
    while (handle.status().restarts === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // restarts counts once the delay starts; the next attempt is a minute away.
    assert.equal(handle.status().restarts, 1);
    await assert.rejects(handle.savepoint(), /waiting to restart/);
    const t0 = Date.now();
    await handle.stop();
    assert.ok(Date.now() - t0 < 5000, 'stop did not wait out the delay');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on worker threads: the failed attempt\'s workers are replaced and the counts are exact', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-restart-'));
  try {
    const marker = join(dir, 'failed');
    const args = ['restart-workers', 2, dir, marker, 2];
    const job = restartJob('restart-workers', 2, dir, marker, 2);
    const handle = job.start({ workers: { module: RESTART_JOB, export: 'restartJob', args } });
    const result = await handle.done;
    assert.ok(existsSync(marker), 'the failure happened');
    assert.equal(handle.status().restarts, 1);
    assert.ok(result.restoredFrom !== undefined, 'the second attempt restored a checkpoint');
    assert.deepEqual(counts(job), expectedCounts());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failure another attempt cannot cure (bad configuration) is not retried', { timeout: 60_000 }, async () => {
  let readers = 0;
  const job = pipeline('restart-permanent', { restart: { attempts: 3, delay: 10 } });
  job
    .from<number>({
      name: 'misconfigured',
      async createReader() {
        readers++;
        throw new SluiceError('INVALID_CONFIG', 'the source is misconfigured');
      },
    })
    .to(collectSink<number>());
  const handle = job.start();
  await assert.rejects(handle.done, (err: unknown) => isSluiceError(err) && err.code === 'INVALID_CONFIG');
  assert.equal(readers, 1, 'one attempt only');
  assert.equal(handle.status().restarts, 0);
});
