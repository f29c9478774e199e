// SourceReader.notifyCheckpointComplete: both runtimes tell every source subtask when a
// checkpoint completes, with exactly the positions that checkpoint stored for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '../../src/engine/checkpoint/checkpoint-storage.js';
import { buildNotifyJob, PARTITIONS, PER_PARTITION, type Notification } from './fixtures/engine-notify-job.js';

const MODULE = new URL('./fixtures/engine-notify-job.ts', import.meta.url).href;

async function check(workers: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-notify-'));
  try {
    const file = join(dir, 'notifications.jsonl');
    const ck = join(dir, 'ck');
    const job = buildNotifyJob(2, ck, file);
    const res = workers ? await job.run({ workers: { module: MODULE, export: 'buildNotifyJob', args: [2, ck, file] } }) : await job.run();
    const completed = res.metrics['checkpoints-completed'] ?? 0;
    assert.ok(completed >= 3, `several checkpoints (${completed})`);
    const notes = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Notification);
    for (const subtask of [0, 1]) {
      const mine = notes.filter((n) => n.subtask === subtask);
      assert.ok(mine.length >= 3, `subtask ${subtask} heard of several checkpoints`);
      const ids = mine.map((n) => n.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'in checkpoint order');
      assert.equal(new Set(ids).size, ids.length, 'each once');
      // The last one is the final checkpoint of the bounded run: everything delivered.
      const last = mine[mine.length - 1] as Notification;
      for (let p = subtask; p < PARTITIONS; p += 2) assert.equal(last.positions[String(p)], PER_PARTITION);
    }
    // Each notification carries the positions its checkpoint stored (the files still kept).
    const files = readdirSync(ck).filter((f) => /^chk-\d+\.ckpt$/.test(f));
    assert.ok(files.length > 0);
    for (const f of files) {
      const data = await readCheckpoint(join(ck, f));
      const stored = Object.values(data.sources)[0] ?? {};
      const told: Record<string, unknown> = {};
      for (const n of notes.filter((x) => x.id === data.id)) Object.assign(told, n.positions);
      assert.deepEqual(told, stored, `checkpoint ${data.id}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('single thread: each source subtask hears of every completed checkpoint with the positions it stored', { timeout: 60_000 }, async () => {
  await check(false);
});

test('worker threads: the same, through the coordinator commit message', { timeout: 60_000 }, async () => {
  await check(true);
});
