import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { Log } from '../../log/log.js';
import { pipeline } from '../api/pipeline.js';
import { fromCollection } from '../sources/collection-source.js';
import { topicSink } from './log-topic-sink.js';
import { string } from '../formats/string.js';
import { decodeBatches } from '../../codec/record-batch.js';
import { collectSink } from './collect-sink.js';
import { topic } from '../sources/log-topic-source.js';

test('keyed records land on the partition a Kafka producer (kafkajs DefaultPartitioner) picks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-topic-sink-'));
  const log = await Log.open({ dataDir: dir, cleaner: false });
  try {
    const PARTITIONS = 7;
    const keys = ['21', 'abc', '', 'user-1', 'user-42', 'ü-utf8', 'a-much-longer-key-with-a-tail-of-3'];
    for (let i = 0; i < 60; i++) keys.push(`k${i}`);
    const job = pipeline('keyed-sink', { resources: { log }, parallelism: 2 });
    job.from(fromCollection(keys, { partitions: 2 })).to(topicSink('keyed', { format: string(), createPartitions: PARTITIONS, key: (k) => k }));
    await job.run();

    const kafkaPartitioner = kafkajs.Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_v, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
    const placed = new Map<string, number>();
    for (let p = 0; p < PARTITIONS; p++) {
      const r = await log.partition('keyed', p).read(0, { maxBytes: 1 << 20 });
      for (const b of decodeBatches(r.records)) for (const rec of b.records) placed.set(rec.key?.toString() ?? '<null>', p);
    }
    assert.equal(placed.size, keys.length, 'every key written once');
    const used = new Set<number>();
    for (const k of keys) {
      const expected = kafkaPartitioner({ topic: 'keyed', partitionMetadata, message: { key: Buffer.from(k), value: null } });
      assert.equal(placed.get(k), expected, `key "${k}"`);
      used.add(expected);
    }
    assert.ok(used.size >= 5, 'the keys spread over the partitions');
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Restores of the exactly-once sink, driven writer by writer as the runtimes drive it, so each
// crash lands exactly where it hurts: what read_committed readers see must be every record of a
// durable checkpoint once, and nothing the crashed attempt wrote after it.
type Writer = Awaited<ReturnType<ReturnType<typeof topicSink<string>>['createWriter']>>;

async function withTopicLog(fn: (log: Log) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-topic-sink-eo-'));
  const log = await Log.open({ dataDir: dir, cleaner: false });
  try {
    await fn(log);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function writerOf(log: Log, o: { subtask: number; parallelism: number; attempt: number; restoredId: number; restored?: unknown[] }): Promise<Writer> {
  return topicSink<string>('eo', { format: string(), createPartitions: 2, key: (s) => s }).createWriter({
    subtaskIndex: o.subtask,
    parallelism: o.parallelism,
    jobName: 'eo-job',
    uid: 'sink-1',
    resources: { log },
    restored: o.restored,
    restoredCheckpointId: o.restoredId,
    attempt: o.attempt,
  });
}

async function readCommitted(log: Log): Promise<string[]> {
  const sink = collectSink<string>();
  const job = pipeline('read-eo', { resources: { log } });
  job.from(topic('eo', { format: string(), bounded: true })).to(sink);
  await job.run();
  return [...sink.collected.values].sort();
}

async function nothingOpen(log: Log): Promise<void> {
  for (let p = 0; p < 2; p++) {
    const part = log.partition('eo', p);
    assert.equal(part.lastStableOffset, part.logEndOffset, `no transaction left open on eo-${p}`);
  }
}

test('exactly-once topic sink: what a crashed attempt wrote past a barrier whose checkpoint never completed is aborted, not committed with the replay', async () => {
  await withTopicLog(async (log) => {
    // Attempt 1: checkpoint 1 completes; barrier 2 passes (a worker goes on writing under the
    // next transaction) but checkpoint 2 never becomes durable; then the crash.
    const a = await writerOf(log, { subtask: 0, parallelism: 1, attempt: 1, restoredId: 0 });
    await a.write(['x1', 'x2'], [1, 2]);
    const c1 = await a.preCommit!(1);
    await a.commit!(1);
    await a.write(['y1'], [3]);
    await a.preCommit!(2);
    await a.write(['z1', 'z2'], [4, 5]);
    // Attempt 2 restores checkpoint 1 and replays: same checkpoint ids, same producer ids.
    const b = await writerOf(log, { subtask: 0, parallelism: 1, attempt: 2, restoredId: 1, restored: [c1] });
    await b.write(['y1'], [3]);
    await b.preCommit!(2);
    await b.commit!(2);
    await b.write(['z1', 'z2'], [4, 5]);
    await b.preCommit!(3);
    await b.commit!(3);
    assert.deepEqual(await readCommitted(log), ['x1', 'x2', 'y1', 'z1', 'z2']);
    await nothingOpen(log);
  });
});

test('exactly-once topic sink: restored at a lower parallelism, the transactions of subtasks that no longer exist are aborted', async () => {
  await withTopicLog(async (log) => {
    const old: Writer[] = [];
    for (let s = 0; s < 3; s++) old.push(await writerOf(log, { subtask: s, parallelism: 3, attempt: 1, restoredId: 0 }));
    const committables: unknown[] = [];
    for (let s = 0; s < 3; s++) await old[s]!.write([`a${s}`], [s]);
    for (let s = 0; s < 3; s++) committables.push(await old[s]!.preCommit!(1));
    for (let s = 0; s < 3; s++) await old[s]!.commit!(1);
    // After checkpoint 1 every old subtask writes again (and subtask 2 past barrier 2), then the crash.
    for (let s = 0; s < 3; s++) await old[s]!.write([`lost${s}`], [10 + s]);
    await old[2]!.preCommit!(2);
    await old[2]!.write(['lost-past-2'], [20]);
    const fresh: Writer[] = [];
    for (let s = 0; s < 2; s++) {
      fresh.push(await writerOf(log, { subtask: s, parallelism: 2, attempt: 2, restoredId: 1, restored: committables.filter((_c, i) => i % 2 === s) }));
    }
    await nothingOpen(log);
    for (let s = 0; s < 2; s++) await fresh[s]!.write([`b${s}`], [30 + s]);
    for (let s = 0; s < 2; s++) await fresh[s]!.preCommit!(2);
    for (let s = 0; s < 2; s++) await fresh[s]!.commit!(2);
    assert.deepEqual(await readCommitted(log), ['a0', 'a1', 'a2', 'b0', 'b1']);
    await nothingOpen(log);
  });
});

test('exactly-once topic sink: a checkpoint sealed while the previous commit was still on its way restores both transactions', async () => {
  await withTopicLog(async (log) => {
    const a = await writerOf(log, { subtask: 0, parallelism: 1, attempt: 1, restoredId: 0 });
    await a.write(['p1'], [1]);
    await a.preCommit!(1);
    // Checkpoint 1 is durable, its commit not done yet when barrier 2 passes; checkpoint 2 is
    // durable too; the crash comes before either commit.
    await a.write(['p2'], [2]);
    const c2 = await a.preCommit!(2);
    await a.write(['after'], [3]);
    const b = await writerOf(log, { subtask: 0, parallelism: 1, attempt: 2, restoredId: 2, restored: [c2] });
    assert.deepEqual(await readCommitted(log), ['p1', 'p2']);
    await nothingOpen(log);
    await b.write(['after'], [3]);
    await b.preCommit!(3);
    await b.commit!(3);
    assert.deepEqual(await readCommitted(log), ['after', 'p1', 'p2']);
  });
});

test('exactly-once topic sink: its producer id per checkpoint expires with producerIdExpirationMs, so a long-running job leaves no growing producer state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-topic-sink-expiry-'));
  let now = 1_700_000_000_000;
  // The cleaner runs only when the test asks (runOnce), so what it does is checked, not timed.
  const log = await Log.open({ dataDir: dir, cleaner: { intervalMs: 3_600_000 }, clock: () => now, producerIdExpirationMs: 60_000 });
  try {
    const w = await writerOf(log, { subtask: 0, parallelism: 1, attempt: 1, restoredId: 0 });
    const expected: string[] = [];
    const checkpoint = async (id: number): Promise<void> => {
      const batch = [`k${id}a`, `k${id}b`, `k${id}c`];
      expected.push(...batch);
      await w.write(batch, [id, id, id]);
      await w.preCommit!(id);
      await w.commit!(id);
      now += 1_000; // a checkpoint a second
    };
    for (let id = 1; id <= 20; id++) await checkpoint(id);
    const count = (): number => log.partition('eo', 0).producerIdCount() + log.partition('eo', 1).producerIdCount();
    assert.ok(count() >= 20, `one producer id per checkpoint and partition written: ${count()}`);
    now += 60_000;
    await checkpoint(21);
    // Appends expire what they see; the cleaner also reaches a partition checkpoint 21 did not write.
    const pass = await log.cleaner!.runOnce();
    assert.ok(pass.expiredProducerIds > 0, 'the cleaner forgot idle producer ids');
    assert.ok(count() <= 2, `only checkpoint 21's producer id is left: ${count()}`);
    assert.deepEqual(await readCommitted(log), expected.sort(), 'every committed record is there once');
    await nothingOpen(log);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
