// Compaction against the real partition: latest value per key survives with its original
// offset, tombstones go after deleteRetentionMs, appends and reads continue meanwhile,
// and the result survives a reopen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Log } from './log.js';
import { compactPartition } from './compaction.js';
import { LogCleaner } from './cleaner.js';
import type { Partition } from './partition.js';
import { decodeBatches } from '../codec/record-batch.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sluice-compaction-'));
}

async function readAll(p: Partition): Promise<{ offset: number; key: string | null; value: string | null; timestamp: number }[]> {
  const out: { offset: number; key: string | null; value: string | null; timestamp: number }[] = [];
  let offset = p.logStartOffset;
  while (offset < p.logEndOffset) {
    const { records } = await p.read(offset, { maxBytes: 64 * 1024 });
    if (records.length === 0) break;
    for (const b of decodeBatches(records)) {
      for (const r of b.records) if (r.offset >= offset) out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: r.timestamp });
      offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
    }
  }
  return out;
}

const config = { cleanupPolicy: 'compact' as const, segmentBytes: 600, deleteRetentionMs: 1000 };

test('latest value per key survives with its offset; older values go', async () => {
  const dir = tempDir();
  const log = await Log.open({ dataDir: dir });
  try {
    await log.createTopic('users', 1, config);
    const p = log.partition('users', 0);
    const written: { key: string; value: string; offset: number }[] = [];
    for (let i = 0; i < 60; i++) {
      const key = `k${i % 7}`;
      const value = `v${i}`;
      const r = await p.appendRecords([{ key: Buffer.from(key), value: Buffer.from(value), timestamp: 10_000 + i }]);
      written.push({ key, value, offset: r.baseOffset });
    }
    const segsBefore = p.segments().length;
    assert.ok(segsBefore > 3, 'the test needs several closed segments');
    const closedEnd = Math.max(...p.segments().filter((s) => !s.active).map((s) => s.nextOffset));
    const res = await compactPartition(p, config, 20_000);
    assert.equal(res.cleanedUpTo, closedEnd);
    assert.ok(res.bytesAfter < res.bytesBefore);
    const after = await readAll(p);
    // Expected: in the closed range only each key's last record there; the active range untouched.
    const lastInClosed = new Map<string, number>();
    for (const w of written) if (w.offset < closedEnd) lastInClosed.set(w.key, w.offset);
    const expected = written.filter((w) => w.offset >= closedEnd || lastInClosed.get(w.key) === w.offset);
    assert.deepEqual(
      after.map((r) => [r.offset, r.key, r.value]),
      expected.map((w) => [w.offset, w.key, w.value]),
    );
    assert.equal(p.logEndOffset, 60);
    assert.ok(p.segments().length < segsBefore, 'small compacted segments are merged');
    // Reading from an offset that was compacted away lands on the next surviving record.
    const gap = written.find((w) => w.offset < closedEnd && lastInClosed.get(w.key) !== w.offset)!;
    const { records } = await p.read(gap.offset, { maxBytes: 1 });
    const first = decodeBatches(records).flatMap((b) => b.records).find((r) => r.offset >= gap.offset);
    assert.ok(first && first.offset > gap.offset);
    // Reopen: the compacted partition recovers to the same content.
    await log.close();
    const log2 = await Log.open({ dataDir: dir });
    try {
      const again = await readAll(log2.partition('users', 0));
      assert.deepEqual(again, after);
      // Compacting again changes nothing.
      const res2 = await compactPartition(log2.partition('users', 0), config, 20_000);
      assert.equal(res2.recordsAfter, res2.recordsBefore);
    } finally {
      await log2.close();
    }
  } finally {
    await log.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tombstones are kept until deleteRetentionMs, then dropped', async () => {
  const dir = tempDir();
  const log = await Log.open({ dataDir: dir });
  try {
    await log.createTopic('t', 1, config);
    const p = log.partition('t', 0);
    await p.appendRecords([{ key: Buffer.from('a'), value: Buffer.from('1'.repeat(200)), timestamp: 1000 }]);
    await p.appendRecords([{ key: Buffer.from('b'), value: Buffer.from('2'.repeat(200)), timestamp: 1000 }]);
    await p.appendRecords([{ key: Buffer.from('a'), value: null, timestamp: 5000 }]);
    for (let i = 0; i < 6; i++) await p.appendRecords([{ key: Buffer.from(`z${i}`), value: Buffer.from('x'.repeat(200)), timestamp: 6000 }]);
    const early = await compactPartition(p, config, 5500); // tombstone is 500 ms old: kept
    assert.equal(early.tombstonesKept, 1);
    assert.equal(early.earliestKeptTombstone, 5000);
    let rows = await readAll(p);
    assert.deepEqual(
      rows.filter((r) => r.key === 'a').map((r) => [r.offset, r.value]),
      [[2, null]],
    );
    const late = await compactPartition(p, config, 7000); // now 2000 ms old: dropped
    assert.equal(late.tombstonesDropped, 1);
    rows = await readAll(p);
    assert.equal(rows.filter((r) => r.key === 'a').length, 0);
    assert.deepEqual(rows.find((r) => r.key === 'b')?.offset, 1);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('appends and reads proceed while compaction runs, and the cleaner drives it', async () => {
  const dir = tempDir();
  const log = await Log.open({ dataDir: dir });
  try {
    await log.createTopic('busy', 1, config);
    const p = log.partition('busy', 0);
    for (let i = 0; i < 200; i++) await p.appendRecords([{ key: Buffer.from(`k${i % 5}`), value: Buffer.from(`v${i}`) }]);
    const cleaner = new LogCleaner(log);
    const pass = cleaner.runOnce();
    // Appends during the pass get the next offsets and are readable.
    const during: number[] = [];
    for (let i = 0; i < 20; i++) during.push((await p.appendRecords([{ key: Buffer.from('new'), value: Buffer.from(String(i)) }])).baseOffset);
    assert.deepEqual(during, Array.from({ length: 20 }, (_, i) => 200 + i));
    const result = await pass;
    assert.deepEqual(result.errors, []);
    assert.equal(result.compaction.find((c) => c.topic === 'busy')?.partition, 0);
    const rows = await readAll(p);
    const offsets = rows.map((r) => r.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), 'offsets stay increasing');
    for (let i = 0; i < 20; i++) assert.ok(rows.some((r) => r.offset === 200 + i && r.value === String(i)));
    // Per key, the newest value in the log is the newest written.
    for (let k = 0; k < 5; k++) {
      const last = rows.filter((r) => r.key === `k${k}`).at(-1)!;
      assert.equal(last.value, `v${195 + k}`);
    }
    // Segments closed during the first pass are compacted by the next; after that, with
    // nothing new closed, a pass skips the partition.
    await cleaner.runOnce();
    const again = await cleaner.runOnce();
    assert.equal(again.compaction.find((c) => c.topic === 'busy'), undefined);
    await cleaner.stop();
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('property: compaction keeps exactly the latest record per key among closed segments', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.option(fc.string({ maxLength: 30 }), { nil: null, freq: 5 })), { minLength: 1, maxLength: 60 }),
      async (ops) => {
        const dir = tempDir();
        const log = await Log.open({ dataDir: dir });
        try {
          await log.createTopic('p', 1, { ...config, segmentBytes: 300 });
          const p = log.partition('p', 0);
          for (const [k, v] of ops) await p.appendRecords([{ key: Buffer.from(`k${k}`), value: v === null ? null : Buffer.from(v), timestamp: 1 }]);
          const closedEnd = Math.max(0, ...p.segments().filter((s) => !s.active).map((s) => s.nextOffset));
          await compactPartition(p, config, 1_000_000); // every tombstone is old
          const rows = await readAll(p);
          const latest = new Map<string, number>();
          ops.forEach(([k], i) => {
            if (i < closedEnd) latest.set(`k${k}`, i);
          });
          const expected = ops
            .map(([k, v], i) => ({ offset: i, key: `k${k}`, value: v }))
            .filter((r) => r.offset >= closedEnd || (latest.get(r.key) === r.offset && r.value !== null));
          assert.deepEqual(
            rows.map((r) => [r.offset, r.key, r.value]),
            expected.map((r) => [r.offset, r.key, r.value]),
          );
        } finally {
          await log.close();
          rmSync(dir, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: 25 },
  );
});

test('records of aborted transactions are removed and never shadow committed values', async () => {
  const { encodeBatch } = await import('../codec/record-batch.js');
  const dir = tempDir();
  const log = await Log.open({ dataDir: dir });
  try {
    await log.createTopic('tx', 1, config);
    const p = log.partition('tx', 0);
    await p.appendRecords([{ key: Buffer.from('a'), value: Buffer.from('good'), timestamp: 1 }]);
    const txBatch = encodeBatch([{ key: Buffer.from('a'), value: Buffer.from('bad'), timestamp: 2 }], {
      producerId: 7,
      producerEpoch: 0,
      baseSequence: 0,
      isTransactional: true,
    });
    await p.append(txBatch);
    await p.appendControl({ producerId: 7, producerEpoch: 0, commit: false, coordinatorEpoch: 0 });
    for (let i = 0; i < 8; i++) await p.appendRecords([{ key: Buffer.from(`f${i}`), value: Buffer.alloc(150), timestamp: 3 }]);
    const res = await compactPartition(p, config, 10);
    assert.equal(res.abortedDropped, 1);
    const rows = await readAll(p);
    assert.deepEqual(
      rows.filter((r) => r.key === 'a').map((r) => [r.offset, r.value]),
      [[0, 'good']],
    );
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('transaction markers go once nothing of their transaction is left and they are older than deleteRetentionMs', async () => {
  const { encodeBatch } = await import('../codec/record-batch.js');
  const dir = tempDir();
  let log = await Log.open({ dataDir: dir, cleaner: false });
  try {
    await log.createTopic('tx', 1, config);
    let p = log.partition('tx', 0);
    const seq = new Map<number, number>();
    const txn = async (producerId: number, key: string, value: string, commit: boolean, timestamp: number): Promise<void> => {
      const baseSequence = seq.get(producerId) ?? 0;
      seq.set(producerId, baseSequence + 1);
      const r = await p.append(encodeBatch([{ key: Buffer.from(key), value: Buffer.from(value), timestamp }], { producerId, producerEpoch: 0, baseSequence, isTransactional: true }));
      assert.equal(r.duplicate, false);
      await p.appendControl({ producerId, producerEpoch: 0, commit, coordinatorEpoch: 0 });
    };
    await txn(1, 'a', 'old', true, 1); // committed, later superseded: its marker can go
    await txn(2, 'b', 'kept', true, 1); // committed and still the latest value of b: its marker stays
    await txn(3, 'c', 'bad', false, 1); // aborted: records dropped; marker can go
    // Later plain writes supersede `a`; the producers' later transactions keep their last batches.
    await p.appendRecords([{ key: Buffer.from('a'), value: Buffer.from('new'), timestamp: 2 }]);
    await txn(1, 'z1', 'last', true, 2);
    await txn(3, 'z3', 'last', true, 2);
    for (let i = 0; i < 8; i++) await p.appendRecords([{ key: Buffer.from(`f${i}`), value: Buffer.alloc(150), timestamp: 3 }]);
    const markers = async (): Promise<number[]> => {
      const out: number[] = [];
      let offset = p.logStartOffset;
      while (offset < p.logEndOffset) {
        const { records } = await p.read(offset, { maxBytes: 1 << 20 });
        if (records.length === 0) break;
        for (const b of decodeBatches(records)) {
          if (b.header.isControl && b.header.baseOffset >= offset) out.push(b.header.baseOffset);
          offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
        }
      }
      return out;
    };
    const before = await markers();
    assert.equal(before.length, 5);

    // Markers younger than deleteRetentionMs all stay (the clock of appendControl is real time).
    let res = await compactPartition(p, config, Date.now());
    assert.equal(res.markersDropped, 0);
    assert.deepEqual(await markers(), before);

    res = await compactPartition(p, config, Date.now() + config.deleteRetentionMs + 60_000);
    assert.equal(res.markersDropped, 2, 'the markers of a (superseded) and c (aborted)');
    const after = await markers();
    assert.deepEqual(after, [before[1], before[3], before[4]]);

    assert.deepEqual((await p.read(p.logStartOffset, { maxBytes: 1 << 20, isolation: 'read_committed' })).abortedTransactions, [], 'the live aborted index forgot it too');
    // Nothing reopens: after a restart no transaction is open and read_committed reads everything kept.
    await log.close();
    log = await Log.open({ dataDir: dir, cleaner: false });
    p = log.partition('tx', 0);
    assert.equal(p.lastStableOffset, p.highWatermark);
    const values: string[] = [];
    for (let offset = p.logStartOffset; offset < p.lastStableOffset; ) {
      const { records, abortedTransactions } = await p.read(offset, { maxBytes: 1 << 20, isolation: 'read_committed' });
      assert.deepEqual(abortedTransactions, [], 'the only aborted transaction left no records');
      if (records.length === 0) break;
      for (const b of decodeBatches(records)) {
        if (!b.header.isControl) for (const r of b.records) if (r.offset >= offset) values.push(`${r.key?.toString()}=${r.value?.toString()}`);
        offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
      }
    }
    assert.ok(values.includes('a=new') && values.includes('b=kept') && values.includes('z1=last') && values.includes('z3=last'));
    assert.ok(!values.includes('a=old') && !values.includes('c=bad'));
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
