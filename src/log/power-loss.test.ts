// Simulated power loss on the in-memory FileSystem: concurrent sync appenders, the machine
// dies at a seeded random operation, unsynced bytes (and unsynced directory entries) are
// dropped or torn; after reopening, every acknowledged record must be there at its offset
// and offsets must be contiguous. Every failure names its seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from './fs/memory-file-system.js';
import { Prng } from './fs/prng.js';
import { Partition } from './partition.js';
import { DEFAULT_TOPIC_CONFIG } from './topic-config.js';
import type { TopicConfig } from './topic-config.js';
import { decodeBatches } from '../codec/record-batch.js';

const RUNS = 1000;

async function openPartition(fs: MemoryFileSystem, config: TopicConfig): Promise<Partition> {
  return Partition.open({ fs, dir: '/data/t/0', topic: 't', index: 0, config: () => config, flush: { mode: 'os' }, clock: () => 1_700_000_000_000 });
}

async function readAll(p: Partition): Promise<{ offset: number; value: string }[]> {
  const out: { offset: number; value: string }[] = [];
  let offset = p.logStartOffset;
  while (offset < p.highWatermark) {
    const { records } = await p.read(offset, { maxBytes: 64 * 1024 });
    if (records.length === 0) break;
    for (const b of decodeBatches(records)) {
      for (const r of b.records) out.push({ offset: r.offset, value: r.value!.toString() });
      offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
    }
  }
  return out;
}

async function runOnce(seed: number): Promise<void> {
  const rng = new Prng(seed);
  const fs = new MemoryFileSystem({ seed });
  const config: TopicConfig = { ...DEFAULT_TOPIC_CONFIG, segmentBytes: 600 + rng.int(2000) };
  const p = await openPartition(fs, config);
  // Some history first, sometimes with a clean close (recovery point) in between.
  let pre = p;
  const preAcked: { offset: number; value: string }[] = [];
  for (let i = 0; i < rng.int(4); i++) {
    const v = `pre-${i}`;
    const r = await pre.appendRecords([{ value: Buffer.from(v) }], { sync: true });
    preAcked.push({ offset: r.baseOffset, value: v });
  }
  if (rng.chance(0.5)) {
    await pre.close();
    pre = await openPartition(fs, config);
  }
  fs.crashAtOperation(1 + rng.int(60));
  const acked: { offset: number; value: string }[] = [...preAcked];
  const appenders = 2 + rng.int(3);
  await Promise.allSettled(
    Array.from({ length: appenders }, async (_, a) => {
      for (let i = 0; i < 12; i++) {
        const n = 1 + rng.int(3);
        const values = Array.from({ length: n }, (_, k) => `a${a}-${i}-${k}`);
        const r = await pre.appendRecords(values.map((v) => ({ value: Buffer.from(v) })), { sync: true });
        values.forEach((v, k) => acked.push({ offset: r.baseOffset + k, value: v }));
      }
    }),
  );
  if (!fs.crashed) fs.crash();
  const fs2 = fs.powerLoss({ keepUnsyncedWrites: rng.chance(0.5), seed: seed + 1 });
  let reopened: Partition;
  try {
    reopened = await openPartition(fs2, config);
  } catch (err) {
    assert.fail(`seed ${seed}: reopen failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const got = await readAll(reopened);
  for (let i = 0; i < got.length; i++) assert.equal(got[i]!.offset, i, `seed ${seed}: offsets not contiguous at ${i}`);
  assert.equal(reopened.logEndOffset, got.length, `seed ${seed}: log end offset`);
  const byOffset = new Map(got.map((g) => [g.offset, g.value]));
  for (const a of acked) assert.equal(byOffset.get(a.offset), a.value, `seed ${seed}: acknowledged record at offset ${a.offset} lost or changed`);
  // The log keeps working after recovery.
  const r = await reopened.appendRecords([{ value: Buffer.from('after') }], { sync: true });
  assert.equal(r.baseOffset, got.length, `seed ${seed}: next offset after recovery`);
  await reopened.close();
}

test(`power loss: ${RUNS} seeded runs lose no acknowledged record`, async () => {
  for (let seed = 1; seed <= RUNS; seed++) await runOnce(seed);
});
