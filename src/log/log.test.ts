// The Log facade: topic lifecycle and config (Kafka names), group offsets across restarts,
// segments/timestamps, retention and compaction hooks, LogAppendTime, the real file system,
// and the in-memory FileSystem's own fault semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { MemoryFileSystem } from './fs/memory-file-system.js';
import { Log } from './log.js';
import { topicConfigFromKafka, topicConfigToKafka, validateTopicName, DEFAULT_TOPIC_CONFIG } from './topic-config.js';
import { decodeBatches, encodeBatch } from '../codec/record-batch.js';
import { isSluiceError } from '../errors.js';

test('topic config: Kafka names both ways; bad names and values refused', () => {
  const c = topicConfigFromKafka({ 'retention.ms': '1000', 'segment.bytes': '4096', 'cleanup.policy': 'delete,compact', 'message.timestamp.type': 'LogAppendTime' });
  assert.deepEqual(c, { retentionMs: 1000, segmentBytes: 4096, cleanupPolicy: 'compact,delete', messageTimestampType: 'LogAppendTime' });
  const k = topicConfigToKafka({ ...DEFAULT_TOPIC_CONFIG, ...c });
  assert.equal(k['retention.ms'], '1000');
  assert.equal(k['max.message.bytes'], String(DEFAULT_TOPIC_CONFIG.maxMessageBytes));
  assert.deepEqual(topicConfigFromKafka(k), { ...DEFAULT_TOPIC_CONFIG, ...c });
  assert.throws(() => topicConfigFromKafka({ 'retention.ms': 'soon' }), (e: unknown) => isSluiceError(e, 'INVALID_CONFIG'));
  assert.throws(() => topicConfigFromKafka({ 'no.such': '1' }), (e: unknown) => isSluiceError(e, 'INVALID_CONFIG'));
  validateTopicName('x'.repeat(249));
  assert.throws(() => validateTopicName('x'.repeat(250)), (e: unknown) => isSluiceError(e, 'INVALID_TOPIC_NAME'));
});

test('topics persist with their config; delete removes them; group offsets survive restarts', async () => {
  const fs = new MemoryFileSystem({ seed: 1 });
  let log = await Log.open({ dataDir: '/d', fs });
  await log.createTopic('orders', 3, { retentionMs: 5000 });
  await log.createTopic('gone', 1);
  await log.alterTopicConfig('orders', { maxMessageBytes: 4096 });
  await log.groupOffsets.commit('g1', [{ topic: 'orders', partition: 2, offset: 17, metadata: 'm' }]);
  await log.groupOffsets.commit('g2', [{ topic: 'orders', partition: 0, offset: 1 }]);
  await log.groupOffsets.commit('g1', [{ topic: 'orders', partition: 2, offset: 18, leaderEpoch: 3 }]);
  await log.deleteTopic('gone');
  await assert.rejects(log.deleteTopic('gone'), (e: unknown) => isSluiceError(e, 'UNKNOWN_TOPIC'));
  await log.close();
  const fs2 = fs.powerLoss();
  log = await Log.open({ dataDir: '/d', fs: fs2 });
  assert.deepEqual(log.listTopics().map((t) => [t.name, t.partitions, t.internal]), [['__consumer_offsets', 1, true], ['orders', 3, false]]);
  assert.equal(log.describeTopic('orders').config.retentionMs, 5000);
  assert.equal(log.describeTopic('orders').config.maxMessageBytes, 4096);
  assert.equal(log.hasTopic('gone'), false);
  assert.deepEqual(log.groupOffsets.fetch('g1').get('orders')?.get(2), { offset: 18, leaderEpoch: 3, metadata: null });
  assert.deepEqual(log.groupOffsets.groups(), ['g1', 'g2']);
  await log.groupOffsets.deleteGroup('g2');
  await log.close();
  log = await Log.open({ dataDir: '/d', fs: fs2 });
  assert.deepEqual(log.groupOffsets.groups(), ['g1']);
  await log.close();
});

test('segments roll by size and age; reads cross segments; offsetForTimestamp; retention and compaction hooks', async () => {
  const fs = new MemoryFileSystem({ seed: 2 });
  let now = 1_000_000;
  const log = await Log.open({ dataDir: '/d', fs, clock: () => now });
  await log.createTopic('t', 1, { segmentBytes: 1024, segmentMs: 60_000 });
  const p = log.partition('t', 0);
  for (let i = 0; i < 40; i++) await p.appendRecords([{ key: Buffer.from(`k${i % 5}`), value: Buffer.from(`v${i}`.padEnd(40, '.')), timestamp: 10_000 + i * 10 }]);
  const segs = p.segments();
  assert.ok(segs.length > 2);
  assert.ok(segs.every((s, i) => s.active === (i === segs.length - 1)));
  // A read returns at least one whole batch even with maxBytes 1.
  const one = await p.read(5, { maxBytes: 1 });
  assert.equal(decodeBatches(one.records).length, 1);
  assert.equal(decodeBatches(one.records)[0]!.records[0]!.offset, 5);
  assert.deepEqual(await p.offsetForTimestamp(10_155), { offset: 16, timestamp: 10_160 });
  assert.deepEqual(await p.offsetForTimestamp(0), { offset: 0, timestamp: 10_000 });
  assert.equal(await p.offsetForTimestamp(99_999), undefined);
  // Age roll.
  const count = p.segments().length;
  now += 61_000;
  await p.appendRecords([{ value: Buffer.from('later') }]);
  assert.equal(p.segments().length, count + 1);
  // Retention: drop the first two segments.
  const third = p.segments()[2]!.baseOffset;
  assert.equal(await p.deleteSegmentsBefore(third), 2);
  assert.equal(p.logStartOffset, third);
  await assert.rejects(p.read(0, { maxBytes: 100 }), (e: unknown) => isSluiceError(e, 'OFFSET_OUT_OF_RANGE'));
  // Compaction: replace two closed segments by a subset of their batches, offsets kept.
  const [s0, s1] = p.segments();
  const keep: Buffer[] = [];
  for (let off = s0!.baseOffset; off < s1!.nextOffset; off++) {
    const { records } = await p.read(off, { maxBytes: 1 });
    if (off % 2 === 0) keep.push(Buffer.from(records));
  }
  await p.replaceSegments([s0!.baseOffset, s1!.baseOffset], Buffer.concat(keep));
  assert.equal(p.segments()[0]!.baseOffset, s0!.baseOffset);
  assert.equal(p.segments()[0]!.nextOffset, s1!.nextOffset);
  const after = decodeBatches((await p.read(s0!.baseOffset, { maxBytes: 1 << 20 })).records).map((b) => b.header.baseOffset);
  assert.ok(after.every((o) => o % 2 === 0));
  const odd = s0!.baseOffset + (s0!.baseOffset % 2 === 0 ? 1 : 0);
  const skip = decodeBatches((await p.read(odd, { maxBytes: 1 })).records)[0]!.header.baseOffset;
  assert.equal(skip, odd + 1, 'a read inside a compacted gap starts at the next batch');
  const end = p.logEndOffset;
  await log.close();
  const again = await Log.open({ dataDir: '/d', fs: fs.powerLoss() });
  assert.equal(again.partition('t', 0).logEndOffset, end);
  assert.equal(again.partition('t', 0).logStartOffset, third);
  await again.close();
});

test('LogAppendTime topics stamp batches with the broker clock', async () => {
  const fs = new MemoryFileSystem({ seed: 3 });
  const log = await Log.open({ dataDir: '/d', fs, clock: () => 5555 });
  await log.createTopic('t', 1, { messageTimestampType: 'LogAppendTime' });
  const p = log.partition('t', 0);
  const r = await p.append(encodeBatch([{ value: Buffer.from('x'), timestamp: 1 }]));
  assert.equal(r.logAppendTime, 5555);
  const [b] = decodeBatches((await p.read(0, { maxBytes: 100 })).records);
  assert.equal(b!.header.timestampType, 1);
  assert.equal(b!.header.maxTimestamp, 5555);
  await log.close();
});

test('real file system: append, sync, close, reopen, read', async () => {
  const dir = mkdtempSync(`${tmpdir()}/sluice-log-`);
  try {
    let log = await Log.open({ dataDir: dir, flush: { mode: 'every-append' } });
    await log.createTopic('t', 2, { segmentBytes: 2048 });
    const p = log.partition('t', 1);
    await Promise.all(Array.from({ length: 100 }, (_, i) => p.appendRecords([{ value: Buffer.from(`n${i}`) }])));
    assert.equal(p.highWatermark, 100);
    await log.close();
    log = await Log.open({ dataDir: dir });
    const q = log.partition('t', 1);
    assert.equal(q.logEndOffset, 100);
    let n = 0;
    let off = 0;
    while (off < q.highWatermark) {
      for (const b of decodeBatches((await q.read(off, { maxBytes: 4096 })).records)) {
        n += b.records.length;
        off = b.header.baseOffset + b.header.lastOffsetDelta + 1;
      }
    }
    assert.equal(n, 100);
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('MemoryFileSystem: unsynced data and directory entries vanish on power loss; synced data stays', async () => {
  const fs = new MemoryFileSystem({ seed: 9 });
  await fs.mkdir('/x');
  const a = await fs.open('/x/a', 'create');
  await a.write(Buffer.from('durable'), 0);
  await a.sync();
  await fs.syncDir('/x');
  await a.write(Buffer.from('-volatile'), 7);
  const b = await fs.open('/x/b', 'create');
  await b.write(Buffer.from('b'), 0);
  await b.sync(); // data synced, but the directory entry is not
  const fs2 = fs.powerLoss({ seed: 1 });
  await assert.rejects(a.read(Buffer.alloc(1), 0, 1, 0), (e: unknown) => isSluiceError(e, 'IO_ERROR'));
  assert.equal((await fs2.readFile('/x/a'))?.toString(), 'durable');
  // With seed 1 the unsynced create of b is dropped or kept; either way no partial state.
  const bb = await fs2.readFile('/x/b');
  assert.ok(bb === undefined || bb.toString() === 'b');
  fs2.setQuota(fs2.usedBytes + 3);
  const c = await fs2.open('/x/c', 'create');
  await assert.rejects(c.write(Buffer.from('12345'), 0), (e: unknown) => isSluiceError(e, 'DISK_FULL'));
  assert.equal((await fs2.readFile('/x/c'))?.toString(), '123');
  fs2.failNextSync();
  await assert.rejects(c.sync(), (e: unknown) => isSluiceError(e, 'IO_ERROR'));
});

test('concurrent creates of one topic: the second waits for the first, then TOPIC_EXISTS or (ifAbsent) the description; a failed first lets the next one create it', async () => {
  const fs = new MemoryFileSystem({ seed: 11 });
  const log = await Log.open({ dataDir: '/data', fs, cleaner: false });
  try {
    // Many partitions: the first creation is still opening them when the others arrive.
    const first = log.createTopic('t', 8);
    const second = log.createTopic('t', 3);
    const third = log.createTopic('t', 3, {}, { ifAbsent: true });
    const [a, b, c] = await Promise.allSettled([first, second, third]);
    assert.equal(a.status === 'fulfilled' && a.value.partitions, 8);
    assert.ok(b.status === 'rejected' && isSluiceError(b.reason, 'TOPIC_EXISTS'), 'the second answers TOPIC_EXISTS');
    assert.equal(c.status === 'fulfilled' && c.value.partitions, 8, 'create-if-absent returns the existing topic as created');
    // A caller told TOPIC_EXISTS can open every partition at once.
    const racers = await Promise.allSettled([log.createTopic('v', 6), log.createTopic('v', 6).catch((err: unknown) => {
      assert.ok(isSluiceError(err, 'TOPIC_EXISTS'));
      for (let p = 0; p < 6; p++) log.partition('v', p); // throws UNKNOWN_TOPIC / PARTITION_OUT_OF_RANGE if not ready
      return 'checked';
    })]);
    assert.deepEqual(racers.map((r) => r.status), ['fulfilled', 'fulfilled']);
    assert.equal(racers[1]?.status === 'fulfilled' && racers[1].value, 'checked');

    // The first creation fails (its topic.json write): the waiting create-if-absent makes the topic itself.
    fs.failNextWrite({ path: /\/w\/topic\.json/ });
    const failing = log.createTopic('w', 2);
    const waiting = log.createTopic('w', 2, {}, { ifAbsent: true });
    await assert.rejects(failing, (e: unknown) => isSluiceError(e, 'IO_ERROR'));
    assert.equal((await waiting).partitions, 2);
    assert.equal(log.hasTopic('w'), true);
    await log.partition('w', 1).appendRecords([{ value: Buffer.from('x') }]);
    // ifAbsent on an existing topic, no creation in flight.
    assert.equal((await log.createTopic('t', 1, {}, { ifAbsent: true })).partitions, 8);
    await assert.rejects(log.createTopic('t', 1), (e: unknown) => isSluiceError(e, 'TOPIC_EXISTS'));
  } finally {
    await log.close();
  }
});
