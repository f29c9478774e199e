import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStorage, readCheckpoint } from './checkpoint-storage.js';
import type { CheckpointData } from './checkpoint-data.js';
import { CHECKPOINT_FORMAT_VERSION } from './checkpoint-data.js';

function data(id: number, savepoint = false): CheckpointData {
  return {
    version: CHECKPOINT_FORMAT_VERSION,
    id,
    jobName: 'j',
    timestamp: id,
    savepoint,
    parallelism: 1,
    maxParallelism: 128,
    sources: { s: { '0': id * 10 } },
    keyed: { op: [{ keyGroup: 3, maxParallelism: 128, bytes: new Uint8Array([1, 2, id]) }] },
    timers: { op: { t: [[0, 5, 'k', null]] } },
    operatorState: {},
    sinks: { out: [{ pid: 1 }] },
  };
}

test('keeps the last N checkpoints, restores the newest intact one, and round-trips contents', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ckst-'));
  const st = new CheckpointStorage(dir, { keep: 2 });
  for (let i = 1; i <= 4; i++) await st.write(data(i));
  await st.write(data(5, true));
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.ckpt')).sort(), ['chk-3.ckpt', 'chk-4.ckpt', 'sp-5.ckpt']);
  assert.equal(await st.maxId(), 5);
  const latest = await st.latest();
  assert.equal(latest?.data.id, 5);
  assert.deepEqual(latest?.data.sources, { s: { '0': 50 } });
  assert.deepEqual([...(latest?.data.keyed['op']?.[0]?.bytes ?? [])], [1, 2, 5]);
  // A damaged newest file is skipped, never half-used.
  const sp = join(dir, 'sp-5.ckpt');
  const buf = readFileSync(sp);
  buf[buf.length - 1] = (buf[buf.length - 1] as number) ^ 0xff;
  writeFileSync(sp, buf);
  await assert.rejects(readCheckpoint(sp), /checksum/);
  assert.equal((await st.latest())?.data.id, 4);
});

test('the attempt counter increases durably', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ckat-'));
  assert.equal(await new CheckpointStorage(dir).nextAttempt(), 1);
  assert.equal(await new CheckpointStorage(dir).nextAttempt(), 2);
});
