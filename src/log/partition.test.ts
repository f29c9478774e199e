// Partition behaviour through the Log API: bad input, disk full, write/fsync failures,
// group commit, waits, idempotence and transactions across restarts, timestamps, retention
// and compaction hooks (the real file system round trip is in log.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from './fs/memory-file-system.js';
import { Log } from './log.js';
import { ProducerState } from './producer-state.js';
import type { LogOptions } from './log.js';
import { decodeBatches, encodeBatch } from '../codec/record-batch.js';
import { isSluiceError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

const isCode = (code: ErrorCode) => (err: unknown) => isSluiceError(err, code);

async function openLog(fs: MemoryFileSystem, extra: Partial<LogOptions> = {}): Promise<Log> {
  return Log.open({ dataDir: '/data', fs, clock: () => 1_700_000_000_000, ...extra });
}

async function values(log: Log, topic: string, from = 0, isolation: 'read_committed' | 'read_uncommitted' = 'read_uncommitted'): Promise<string[]> {
  const p = log.partition(topic, 0);
  const out: string[] = [];
  let offset = from;
  for (;;) {
    const { records } = await p.read(offset, { maxBytes: 1 << 20, isolation });
    if (records.length === 0) return out;
    for (const b of decodeBatches(records)) {
      if (!b.header.isControl) for (const r of b.records) out.push(r.value?.toString() ?? 'null');
      offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
    }
  }
}

test('bad input gets typed errors and writes nothing', async () => {
  const fs = new MemoryFileSystem({ seed: 1 });
  const log = await openLog(fs);
  for (const name of ['', '.', '..', 'a/b', 'spaces here', 'x'.repeat(250), 'ümlaut']) {
    await assert.rejects(log.createTopic(name, 1), isCode('INVALID_TOPIC_NAME'), name);
  }
  await log.createTopic('a.b_c-1', 2, { maxMessageBytes: 200 });
  await assert.rejects(log.createTopic('a.b_c-1', 1), isCode('TOPIC_EXISTS'));
  await assert.rejects(log.createTopic('zero', 0), isCode('INVALID_ARGUMENT'));
  await assert.rejects(log.createTopic('cfg', 1, { segmentBytes: -5 }), isCode('INVALID_CONFIG'));
  assert.throws(() => log.partition('nope', 0), isCode('UNKNOWN_TOPIC'));
  assert.throws(() => log.partition('a.b_c-1', 2), isCode('PARTITION_OUT_OF_RANGE'));
  assert.throws(() => log.partition('a.b_c-1', -1), isCode('PARTITION_OUT_OF_RANGE'));
  const p = log.partition('a.b_c-1', 0);
  const big = encodeBatch([{ value: Buffer.alloc(300, 1) }]);
  await assert.rejects(p.append(big), isCode('BATCH_TOO_LARGE'));
  const good = encodeBatch([{ value: Buffer.from('ok') }]);
  const flipped = Buffer.from(good);
  flipped[flipped.length - 1]! ^= 1;
  await assert.rejects(p.append(flipped), isCode('CORRUPT_BATCH'));
  // A valid batch followed by a corrupt one: the whole request is refused.
  await assert.rejects(p.append(Buffer.concat([encodeBatch([{ value: Buffer.from('a') }]), flipped])), isCode('CORRUPT_BATCH'));
  await assert.rejects(p.append(good.subarray(0, good.length - 3)), (e: unknown) => isSluiceError(e, 'TRUNCATED_INPUT') || isSluiceError(e, 'CORRUPT_BATCH'));
  const magic1 = Buffer.from(good);
  magic1[16] = 1;
  await assert.rejects(p.append(magic1), isCode('UNSUPPORTED_MAGIC'));
  await assert.rejects(p.append(Buffer.alloc(0)), isCode('INVALID_ARGUMENT'));
  await assert.rejects(p.appendRecords([]), isCode('INVALID_ARGUMENT'));
  assert.equal(p.logEndOffset, 0);
  assert.equal(p.sizeBytes, 0);
  await assert.rejects(p.read(1, { maxBytes: 100 }), isCode('OFFSET_OUT_OF_RANGE'));
  await assert.rejects(p.read(-1, { maxBytes: 100 }), isCode('OFFSET_OUT_OF_RANGE'));
  await assert.rejects(log.alterTopicConfig('a.b_c-1', { cleanupPolicy: 'sometimes' as 'delete' }), isCode('INVALID_CONFIG'));
  await log.close();
  await assert.rejects(p.appendRecords([{ value: null }]), isCode('LOG_CLOSED'));
});

test('disk full: typed error, nothing unwritten acknowledged, reads work, appends resume when space returns', async () => {
  const fs = new MemoryFileSystem({ seed: 2 });
  const log = await openLog(fs);
  await log.createTopic('t', 1);
  const p = log.partition('t', 0);
  for (let i = 0; i < 5; i++) await p.appendRecords([{ value: Buffer.from(`v${i}`) }], { sync: true });
  fs.setQuota(fs.usedBytes + 100);
  const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => p.appendRecords([{ value: Buffer.alloc(60, 65 + i) }], { sync: true })));
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  for (const r of results) if (r.status === 'rejected') assert.ok(isSluiceError(r.reason, 'DISK_FULL'), String(r.reason));
  assert.ok(ok < 6, 'some appends hit the quota');
  assert.equal(p.logEndOffset, 5 + ok, 'only acknowledged data advanced the log');
  assert.equal((await values(log, 't')).length, 5 + ok, 'reads keep working');
  fs.setQuota(undefined);
  const r = await p.appendRecords([{ value: Buffer.from('after') }], { sync: true });
  assert.equal(r.baseOffset, 5 + ok);
  await log.close();
  const again = await openLog(fs);
  const vals = await values(again, 't');
  assert.equal(vals.length, 6 + ok);
  assert.equal(vals[vals.length - 1], 'after');
  await again.close();
});

test('a torn write fails its appends, is cut back, and later appends land right after good data', async () => {
  const fs = new MemoryFileSystem({ seed: 3 });
  const log = await openLog(fs);
  await log.createTopic('t', 1);
  const p = log.partition('t', 0);
  await p.appendRecords([{ value: Buffer.from('one') }], { sync: true });
  fs.failNextWrite({ path: '/t/0/', tearAt: 20 });
  await assert.rejects(p.appendRecords([{ value: Buffer.from('torn') }], { sync: true }), isCode('IO_ERROR'));
  const r = await p.appendRecords([{ value: Buffer.from('two') }], { sync: true });
  assert.equal(r.baseOffset, 1);
  assert.deepEqual(await values(log, 't'), ['one', 'two']);
  // An fsync failure fails the covered appends and rolls back to the durable point.
  fs.failNextSync({ path: '/t/0/' });
  await assert.rejects(p.appendRecords([{ value: Buffer.from('unsynced') }], { sync: true }), isCode('IO_ERROR'));
  const r3 = await p.appendRecords([{ value: Buffer.from('three') }], { sync: true });
  assert.equal(r3.baseOffset, 2);
  await log.close();
  const again = await openLog(fs);
  assert.deepEqual(await values(again, 't'), ['one', 'two', 'three']);
  await again.close();
});

test('group commit: concurrent sync appends share fsyncs', async () => {
  const fs = new MemoryFileSystem({ seed: 4 });
  const log = await openLog(fs);
  await log.createTopic('t', 1);
  const p = log.partition('t', 0);
  const before = fs.operations;
  const res = await Promise.all(Array.from({ length: 200 }, (_, i) => p.appendRecords([{ value: Buffer.from(`v${i}`) }], { sync: true })));
  const ops = fs.operations - before;
  assert.deepEqual(res.map((r) => r.baseOffset), Array.from({ length: 200 }, (_, i) => i));
  assert.ok(ops < 40, `200 sync appends took ${ops} write+fsync operations`);
  await log.close();
});

test('waitForData wakes on append, times out, and honours an AbortSignal', async () => {
  const fs = new MemoryFileSystem({ seed: 5 });
  const log = await openLog(fs);
  await log.createTopic('t', 1);
  const p = log.partition('t', 0);
  const t0 = Date.now();
  assert.equal(await p.waitForData(0, 30), false);
  assert.ok(Date.now() - t0 >= 25);
  const waiting = p.waitForData(0, 10_000);
  setTimeout(() => void p.appendRecords([{ value: Buffer.from('x') }]), 5);
  const t1 = Date.now();
  assert.equal(await waiting, true);
  assert.ok(Date.now() - t1 < 5000);
  assert.equal(await p.waitForData(0, 10), true, 'already readable');
  const ac = new AbortController();
  const w2 = p.waitForData(1, 10_000, { signal: ac.signal });
  ac.abort();
  assert.equal(await w2, false);
  await log.close();
});

test('idempotent producer: duplicates answered with original offsets across a restart; gaps and stale epochs refused', async () => {
  const fs = new MemoryFileSystem({ seed: 6 });
  let log = await openLog(fs);
  await log.createTopic('t', 1);
  const batch = (seq: number, n: number, epoch = 0): Buffer =>
    encodeBatch(Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`s${seq + i}`) })), { producerId: 42, producerEpoch: epoch, baseSequence: seq });
  let p = log.partition('t', 0);
  await p.appendRecords([{ value: Buffer.from('plain') }]);
  const a = await p.append(batch(0, 3));
  const b = await p.append(batch(3, 2));
  assert.deepEqual([a.baseOffset, a.lastOffset, b.baseOffset, b.lastOffset], [1, 3, 4, 5]);
  const dup = await p.append(batch(0, 3));
  assert.deepEqual([dup.duplicate, dup.baseOffset, dup.lastOffset], [true, 1, 3]);
  await assert.rejects(p.append(batch(9, 1)), isCode('OUT_OF_ORDER_SEQUENCE'));
  // Crash without a clean close: state must come back from the log itself.
  await p.flush();
  const c = await p.append(batch(5, 1), { sync: true });
  assert.equal(c.baseOffset, 6);
  const fs2 = fs.powerLoss();
  log = await openLog(fs2);
  p = log.partition('t', 0);
  const dup2 = await p.append(batch(5, 1));
  assert.deepEqual([dup2.duplicate, dup2.baseOffset], [true, 6]);
  const dup3 = await p.append(batch(3, 2));
  assert.deepEqual([dup3.duplicate, dup3.baseOffset, dup3.lastOffset], [true, 4, 5]);
  assert.equal(p.logEndOffset, 7);
  const e1 = await p.append(batch(0, 1, 1));
  assert.equal(e1.baseOffset, 7);
  await assert.rejects(p.append(batch(6, 1, 0)), isCode('PRODUCER_FENCED'));
  assert.equal(p.logEndOffset, 8);
  await log.close();
});

test('producer ids expire after producerIdExpirationMs unless a transaction is open; a restart keeps their last write time', async () => {
  const fs = new MemoryFileSystem({ seed: 61 });
  const T0 = 1_700_000_000_000;
  let now = T0;
  const opts: Partial<LogOptions> = { clock: () => now, producerIdExpirationMs: 60_000 };
  let log = await openLog(fs, opts);
  await log.createTopic('t', 1);
  const idem = (seq: number, pid = 42): Buffer => encodeBatch([{ value: Buffer.from(`s${seq}`) }], { producerId: pid, producerEpoch: 0, baseSequence: seq });
  const txn = (pid: number): Buffer => encodeBatch([{ value: Buffer.from(`t${pid}`) }], { producerId: pid, producerEpoch: 0, baseSequence: 0, isTransactional: true });
  let p = log.partition('t', 0);
  await p.append(idem(0));
  await p.append(txn(7)); // stays open
  await p.append(txn(8));
  await p.appendControl({ producerId: 8, producerEpoch: 0, commit: true, coordinatorEpoch: 0 });
  assert.equal(p.producerIdCount(), 3);
  now = T0 + 30_000;
  await p.append(idem(1));
  now = T0 + 70_000; // 8 idle for 70 s, 42 for 40 s
  await p.appendRecords([{ value: Buffer.from('tick') }]);
  assert.equal(p.producerIdCount(), 2, 'the committed producer 8 expired');
  assert.equal((await p.append(idem(1))).duplicate, true, 'producer 42 still has its sequences');
  await assert.rejects(p.append(idem(5)), isCode('OUT_OF_ORDER_SEQUENCE'));
  await log.close();

  // The recovery point carries each producer's last write: 42 (last written at T0 + 30 s)
  // expires 60 s after that, not 60 s after the restart.
  now = T0 + 80_000;
  log = await openLog(fs, opts);
  p = log.partition('t', 0);
  assert.equal(p.producerIdCount(), 2);
  now = T0 + 131_000;
  await p.appendRecords([{ value: Buffer.from('tick') }]);
  assert.equal(p.producerIdCount(), 1, 'only producer 7, whose transaction is open, is left');
  // Forgotten: its old sequence is new data again, as Kafka takes an expired producer id.
  assert.equal((await p.append(idem(1))).duplicate, false);
  await p.appendControl({ producerId: 7, producerEpoch: 0, commit: false, coordinatorEpoch: 0 });
  now = T0 + 300_000;
  await p.appendRecords([{ value: Buffer.from('tick') }]);
  assert.equal(p.producerIdCount(), 0, 'an aborted transaction no longer keeps its producer');
  assert.deepEqual((await p.read(0, { maxBytes: 1 << 20, isolation: 'read_committed' })).abortedTransactions, [{ producerId: 7, firstOffset: 1 }], 'the aborted index outlives the producer entry');
  await log.close();
  await assert.rejects(openLog(fs, { producerIdExpirationMs: 0 }), isCode('INVALID_CONFIG'));
});

test('a recovery point written before producer expiry existed restores its producers as written at the restore', () => {
  const T = 1_700_000_000_000;
  const st = ProducerState.restore({ producers: [[5, 0, -1, [0, 0, 10, 10]]], ongoing: [], aborted: [] }, T);
  assert.equal(st.expire(T + 59_999, 60_000), 0);
  assert.equal(st.producers.size, 1);
  assert.equal(st.expire(T + 60_000, 60_000), 1);
  assert.equal(st.producers.size, 0);
});

test('transactions: LSO, aborted index and read_committed survive a restart', async () => {
  const fs = new MemoryFileSystem({ seed: 7 });
  let log = await openLog(fs);
  await log.createTopic('t', 1);
  let p = log.partition('t', 0);
  const txn = (pid: number, seq: number, v: string): Buffer =>
    encodeBatch([{ value: Buffer.from(v) }], { producerId: pid, producerEpoch: 0, baseSequence: seq, isTransactional: true });
  await p.appendRecords([{ value: Buffer.from('p0') }]); // 0
  await p.append(txn(1, 0, 'a1')); // 1
  await p.append(txn(2, 0, 'b1')); // 2
  assert.equal(p.lastStableOffset, 1);
  assert.equal(p.waitForData(1, 1, { isolation: 'read_committed' }) instanceof Promise, true);
  assert.equal(await p.waitForData(1, 5, { isolation: 'read_committed' }), false);
  await p.append(txn(1, 1, 'a2')); // 3
  await p.appendControl({ producerId: 1, producerEpoch: 0, commit: false, coordinatorEpoch: 0 }); // 4 abort
  assert.equal(p.lastStableOffset, 2);
  await p.appendControl({ producerId: 2, producerEpoch: 0, commit: true, coordinatorEpoch: 0 }); // 5 commit
  assert.equal(p.lastStableOffset, 6);
  await p.append(txn(1, 2, 'a3')); // 6, open again
  assert.equal(p.lastStableOffset, 6);
  const r = await p.read(0, { maxBytes: 1 << 20, isolation: 'read_committed' });
  assert.deepEqual(r.abortedTransactions, [{ producerId: 1, firstOffset: 1 }]);
  assert.equal(r.lastStableOffset, 6);
  await assert.rejects(p.appendControl({ producerId: 2, producerEpoch: -2, commit: true, coordinatorEpoch: 0 }), isCode('PRODUCER_FENCED'));
  await p.flush();
  await p.appendRecords([{ value: Buffer.from('late') }], { sync: true }); // 7, past the recovery point
  const fs2 = fs.powerLoss();
  log = await openLog(fs2);
  p = log.partition('t', 0);
  assert.equal(p.logEndOffset, 8);
  assert.equal(p.lastStableOffset, 6);
  const r2 = await p.read(0, { maxBytes: 1 << 20, isolation: 'read_committed' });
  assert.deepEqual(r2.abortedTransactions, [{ producerId: 1, firstOffset: 1 }]);
  const dec = decodeBatches(r2.records);
  assert.equal(dec[dec.length - 1]!.header.baseOffset, 5, 'read_committed stops before the LSO');
  await p.appendControl({ producerId: 1, producerEpoch: 0, commit: true, coordinatorEpoch: 0 });
  assert.equal(p.lastStableOffset, 9);
  await log.close();
  // And from a full scan (no recovery point).
  const fs3 = fs2.powerLoss();
  await fs3.unlink('/data/topics/t/0/recovery-point.json');
  log = await openLog(fs3);
  p = log.partition('t', 0);
  assert.equal(p.logEndOffset, 9);
  assert.equal(p.lastStableOffset, 9);
  assert.deepEqual((await p.read(0, { maxBytes: 1 << 20, isolation: 'read_committed' })).abortedTransactions, [{ producerId: 1, firstOffset: 1 }]);
  await log.close();
});
