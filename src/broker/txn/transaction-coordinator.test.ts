// Unit tests of the transaction coordinator on a fake clock and in-memory stores: producer
// ids, epoch fencing, markers and pending offsets on commit/abort, timeout aborts, restart
// recovery and storage faults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TransactionCoordinator } from './transaction-coordinator.js';
import type { MarkerTarget } from './transaction-coordinator.js';
import { MemoryTxnStateStore } from './txn-state-store.js';
import { GroupCoordinator } from '../groups/group-coordinator.js';
import { MemoryOffsetStore } from '../groups/memory-offset-store.js';
import { ManualTimers } from '../groups/timers.js';
import { KafkaError as E } from '../protocol/error-codes.js';

interface Marker { topic: string; partition: number; producerId: number; producerEpoch: number; commit: boolean }

class FakeMarkers implements MarkerTarget {
  readonly written: Marker[] = [];
  failing = false;
  partitionExists(topic: string, partition: number): boolean {
    return topic !== 'missing' && partition >= 0 && partition < 4;
  }
  writeMarker(topic: string, partition: number, m: { producerId: number; producerEpoch: number; commit: boolean }): Promise<void> {
    if (this.failing) return Promise.reject(new Error('disk gone'));
    this.written.push({ topic, partition, producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.commit });
    return Promise.resolve();
  }
}

async function setup(shared?: { store: MemoryTxnStateStore; offsets: MemoryOffsetStore; timers: ManualTimers }) {
  const store = shared?.store ?? new MemoryTxnStateStore();
  const offsets = shared?.offsets ?? new MemoryOffsetStore();
  const timers = shared?.timers ?? new ManualTimers();
  const markers = new FakeMarkers();
  const groups = new GroupCoordinator({ offsets, timers });
  const txn = new TransactionCoordinator({ store, markers, offsets, timers, groups, checkIntervalMs: 1000 });
  await txn.start();
  return { store, offsets, timers, markers, groups, txn };
}

const offsetTopics = (offset: number) => [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: null }] }];

async function begin(txn: TransactionCoordinator, id = 'tx', timeoutMs = 60_000) {
  const init = await txn.initProducerId({ transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1, producerEpoch: -1 });
  assert.equal(init.errorCode, E.NONE);
  const p = { transactionalId: id, producerId: init.producerId, producerEpoch: init.producerEpoch };
  const add = await txn.addPartitions({ ...p, topics: [{ name: 't', partitions: [0, 1] }] });
  assert.deepEqual(add.flatMap((t) => t.partitions.map((x) => x.errorCode)), [E.NONE, E.NONE]);
  assert.equal(await txn.addOffsets({ ...p, groupId: 'g' }), E.NONE);
  const oc = await txn.txnOffsetCommit({ ...p, groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, topics: offsetTopics(42) });
  assert.equal(oc[0]?.partitions[0]?.errorCode, E.NONE);
  return p;
}

test('idempotent producers get distinct ids, also after a restart', async () => {
  const a = await setup();
  const ids = new Set<number>();
  const first = await Promise.all(Array.from({ length: 50 }, () => a.txn.initProducerId({ transactionalId: null, transactionTimeoutMs: 0, producerId: -1, producerEpoch: -1 })));
  for (const r of first) {
    assert.equal(r.errorCode, E.NONE);
    assert.equal(r.producerEpoch, 0);
    ids.add(r.producerId);
  }
  assert.equal(ids.size, 50);
  a.txn.close();
  const b = await setup({ store: a.store, offsets: a.offsets, timers: a.timers });
  const after = await b.txn.initProducerId({ transactionalId: null, transactionTimeoutMs: 0, producerId: -1, producerEpoch: -1 });
  assert.ok(!ids.has(after.producerId), 'no id is handed out twice across restarts');
  assert.ok(after.producerId > Math.max(...ids));
  b.txn.close();
});

test('a transactional id keeps its producer id and the epoch bump fences the older producer', async () => {
  const { txn } = await setup();
  const one = await txn.initProducerId({ transactionalId: 'x', transactionTimeoutMs: 10_000, producerId: -1, producerEpoch: -1 });
  const two = await txn.initProducerId({ transactionalId: 'x', transactionTimeoutMs: 10_000, producerId: -1, producerEpoch: -1 });
  assert.equal(two.producerId, one.producerId);
  assert.equal(two.producerEpoch, one.producerEpoch + 1);
  const stale = await txn.addPartitions({ transactionalId: 'x', producerId: one.producerId, producerEpoch: one.producerEpoch, topics: [{ name: 't', partitions: [0] }] });
  assert.equal(stale[0]?.partitions[0]?.errorCode, E.INVALID_PRODUCER_EPOCH);
  assert.equal(await txn.endTxn({ transactionalId: 'x', producerId: one.producerId + 99, producerEpoch: two.producerEpoch, commit: true }), E.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await txn.endTxn({ transactionalId: 'nobody', producerId: 1, producerEpoch: 0, commit: true }), E.INVALID_PRODUCER_ID_MAPPING);
  // KIP-360: naming a stale id/epoch in InitProducerId is fenced too.
  const kip = await txn.initProducerId({ transactionalId: 'x', transactionTimeoutMs: 10_000, producerId: one.producerId, producerEpoch: one.producerEpoch });
  assert.equal(kip.errorCode, E.INVALID_PRODUCER_EPOCH);
  txn.close();
});

test('commit: markers to every partition, then the pending offsets reach the group', async () => {
  const { txn, markers, groups } = await setup();
  const p = await begin(txn);
  assert.equal(groups.fetchOffsets('g', null).topics.length, 0, 'pending offsets are invisible');
  assert.equal(txn.hasPendingOffsets('g', 't', 0), true);
  assert.equal(groups.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }], true).topics[0]?.partitions[0]?.errorCode, E.NONE, 'no pending check wired in this coordinator');
  assert.equal(await txn.endTxn({ ...p, commit: true }), E.NONE);
  assert.deepEqual(markers.written.map((m) => [m.topic, m.partition, m.commit, m.producerEpoch]).sort(), [['t', 0, true, p.producerEpoch], ['t', 1, true, p.producerEpoch]]);
  assert.equal(groups.fetchOffsets('g', null).topics[0]?.partitions[0]?.committedOffset, 42);
  assert.equal(txn.hasPendingOffsets('g', 't', 0), false);
  assert.equal(txn.describe('tx')?.state, 'CompleteCommit');
  // A retried commit is fine; a contradicting abort is not.
  assert.equal(await txn.endTxn({ ...p, commit: true }), E.NONE);
  assert.equal(await txn.endTxn({ ...p, commit: false }), E.INVALID_TXN_STATE);
  txn.close();
});

test('abort: abort markers and the pending offsets are dropped', async () => {
  const { txn, markers, groups } = await setup();
  const p = await begin(txn);
  assert.equal(await txn.endTxn({ ...p, commit: false }), E.NONE);
  assert.deepEqual(markers.written.map((m) => m.commit), [false, false]);
  assert.equal(groups.fetchOffsets('g', null).topics.length, 0);
  assert.equal(txn.describe('tx')?.state, 'CompleteAbort');
  // The next transaction of the same producer starts clean.
  assert.equal((await txn.addPartitions({ ...p, topics: [{ name: 't', partitions: [3] }] }))[0]?.partitions[0]?.errorCode, E.NONE);
  assert.deepEqual(txn.describe('tx')?.partitions, [{ topic: 't', partition: 3 }]);
  txn.close();
});

test('a new producer for the same transactional id aborts the ongoing transaction under a fencing epoch', async () => {
  const { txn, markers, groups } = await setup();
  const p = await begin(txn);
  const next = await txn.initProducerId({ transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  assert.equal(next.errorCode, E.NONE);
  assert.equal(next.producerId, p.producerId);
  assert.equal(next.producerEpoch, p.producerEpoch + 2);
  assert.deepEqual(markers.written.map((m) => [m.commit, m.producerEpoch]), [[false, p.producerEpoch + 1], [false, p.producerEpoch + 1]]);
  assert.equal(groups.fetchOffsets('g', null).topics.length, 0);
  assert.equal(await txn.endTxn({ ...p, commit: true }), E.INVALID_PRODUCER_EPOCH);
  txn.close();
});

test('a transaction open longer than its timeout is aborted and its producer fenced', async () => {
  const { txn, markers, timers } = await setup();
  const p = await begin(txn, 'tx', 5000);
  timers.advance(4000);
  await txn.checkTimeouts();
  assert.equal(markers.written.length, 0);
  timers.advance(2000);
  // The periodic check fired inside advance(); let its promise chain settle.
  await txn.checkTimeouts();
  assert.deepEqual(markers.written.map((m) => m.commit), [false, false]);
  assert.equal(txn.describe('tx')?.state, 'CompleteAbort');
  assert.equal(txn.describe('tx')?.producerEpoch, p.producerEpoch + 1);
  assert.equal(await txn.endTxn({ ...p, commit: true }), E.INVALID_PRODUCER_EPOCH);
  txn.close();
});

test('restart: a PrepareCommit transaction is completed on startup; an Ongoing one is aborted after its timeout', async () => {
  const a = await setup();
  const p = await begin(a.txn, 'committing');
  const q = await begin(a.txn, 'open', 5000);
  a.markers.failing = true;
  assert.equal(await a.txn.endTxn({ ...p, commit: true }), E.NONE, 'the outcome is decided once PrepareCommit is durable');
  assert.equal(a.txn.describe('committing')?.state, 'PrepareCommit');
  assert.equal(a.groups.fetchOffsets('g', null).topics.length, 0);
  a.txn.close(); // the broker dies here
  const b = await setup({ store: a.store, offsets: a.offsets, timers: a.timers });
  assert.equal(b.txn.describe('committing')?.state, 'CompleteCommit');
  assert.deepEqual(b.markers.written.map((m) => [m.partition, m.commit, m.producerId]).sort(), [[0, true, p.producerId], [1, true, p.producerId]]);
  assert.equal(b.groups.fetchOffsets('g', null).topics[0]?.partitions[0]?.committedOffset, 42);
  assert.equal(b.txn.describe('open')?.state, 'Ongoing');
  b.timers.advance(6000);
  await b.txn.checkTimeouts();
  assert.equal(b.txn.describe('open')?.state, 'CompleteAbort');
  assert.ok(b.markers.written.some((m) => m.producerId === q.producerId && !m.commit));
  b.txn.close();
});

test('markers that fail are retried by the periodic check', async () => {
  const { txn, markers, timers } = await setup();
  const p = await begin(txn);
  markers.failing = true;
  assert.equal(await txn.endTxn({ ...p, commit: false }), E.NONE);
  assert.equal(await txn.endTxn({ ...p, commit: false }), E.CONCURRENT_TRANSACTIONS);
  assert.equal((await txn.addPartitions({ ...p, topics: [{ name: 't', partitions: [0] }] }))[0]?.partitions[0]?.errorCode, E.CONCURRENT_TRANSACTIONS);
  markers.failing = false;
  timers.advance(1000);
  await txn.checkTimeouts();
  assert.equal(txn.describe('tx')?.state, 'CompleteAbort');
  assert.equal(markers.written.length, 2);
  txn.close();
});

test('invalid requests get Kafka error codes and change nothing', async () => {
  const { txn, store, groups } = await setup();
  assert.equal((await txn.initProducerId({ transactionalId: 'x', transactionTimeoutMs: 0, producerId: -1, producerEpoch: -1 })).errorCode, E.INVALID_TRANSACTION_TIMEOUT);
  assert.equal((await txn.initProducerId({ transactionalId: 'x', transactionTimeoutMs: 10_000_000, producerId: -1, producerEpoch: -1 })).errorCode, E.INVALID_TRANSACTION_TIMEOUT);
  const init = await txn.initProducerId({ transactionalId: 'x', transactionTimeoutMs: 10_000, producerId: -1, producerEpoch: -1 });
  const p = { transactionalId: 'x', producerId: init.producerId, producerEpoch: init.producerEpoch };
  assert.equal(await txn.endTxn({ ...p, commit: true }), E.INVALID_TXN_STATE, 'nothing to end');
  const add = await txn.addPartitions({ ...p, topics: [{ name: 't', partitions: [0, 9] }, { name: 'missing', partitions: [0] }] });
  assert.deepEqual(add.flatMap((t) => t.partitions.map((x) => x.errorCode)), [E.OPERATION_NOT_ATTEMPTED, E.UNKNOWN_TOPIC_OR_PARTITION, E.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.equal(txn.describe('x')?.state, 'Empty');
  const noGroup = await txn.txnOffsetCommit({ ...p, groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, topics: offsetTopics(1) });
  assert.equal(noGroup[0]?.partitions[0]?.errorCode, E.INVALID_TXN_STATE, 'offsets need AddOffsetsToTxn first');
  assert.equal(await txn.addOffsets({ ...p, groupId: 'g' }), E.NONE);
  // A member of a live group with a stale generation (v3 request) is refused like OffsetCommit.
  const stale = await txn.txnOffsetCommit({ ...p, groupId: 'g', generationId: 3, memberId: 'm', groupInstanceId: null, topics: offsetTopics(1) });
  assert.equal(stale[0]?.partitions[0]?.errorCode, E.ILLEGAL_GENERATION);
  store.failNext = new Error('disk');
  const failed = await txn.addPartitions({ ...p, topics: [{ name: 't', partitions: [2] }] });
  assert.equal(failed[0]?.partitions[0]?.errorCode, E.KAFKA_STORAGE_ERROR);
  assert.deepEqual(txn.describe('x')?.partitions, [], 'a failed persist changes nothing');
  assert.equal(groups.fetchOffsets('g', null).topics.length, 0);
  txn.close();
});

test('property: whatever the interleaving, each ended transaction marks exactly its partitions with its outcome', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ parts: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }), commit: fc.boolean(), reinit: fc.boolean() }), { minLength: 1, maxLength: 6 }),
      async (rounds) => {
        const { txn, markers } = await setup();
        let init = await txn.initProducerId({ transactionalId: 'p', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
        for (const r of rounds) {
          const p = { transactionalId: 'p', producerId: init.producerId, producerEpoch: init.producerEpoch };
          await txn.addPartitions({ ...p, topics: [{ name: 't', partitions: r.parts }] });
          const before = markers.written.length;
          if (r.reinit) {
            init = await txn.initProducerId({ transactionalId: 'p', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
            const got = markers.written.slice(before);
            assert.deepEqual(got.map((m) => m.partition).sort(), [...r.parts].sort());
            assert.ok(got.every((m) => !m.commit && m.producerEpoch === p.producerEpoch + 1));
          } else {
            assert.equal(await txn.endTxn({ ...p, commit: r.commit }), E.NONE);
            const got = markers.written.slice(before);
            assert.deepEqual(got.map((m) => m.partition).sort(), [...r.parts].sort());
            assert.ok(got.every((m) => m.commit === r.commit && m.producerEpoch === p.producerEpoch));
          }
        }
        txn.close();
      },
    ),
    { numRuns: 50 },
  );
});

test('beginProduce admits only the current producer, an Ongoing transaction and added partitions', async () => {
  const { txn } = await setup();
  assert.equal(txn.beginProduce('unknown', 1, 0, 't', 0), E.INVALID_PRODUCER_ID_MAPPING);
  const init = await txn.initProducerId({ transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  assert.equal(txn.beginProduce('tx', init.producerId, init.producerEpoch, 't', 0), E.INVALID_TXN_STATE, 'no transaction began yet');
  const p = await begin(txn);
  assert.equal(txn.beginProduce('tx', p.producerId, p.producerEpoch, 't', 0), E.NONE);
  txn.endProduce('tx');
  assert.equal(txn.beginProduce('tx', p.producerId, p.producerEpoch, 't', 2), E.INVALID_TXN_STATE, 'partition 2 was never added');
  assert.equal(txn.beginProduce('tx', p.producerId, p.producerEpoch, 'other', 0), E.INVALID_TXN_STATE);
  assert.equal(txn.beginProduce('tx', p.producerId, p.producerEpoch - 1, 't', 0), E.INVALID_PRODUCER_EPOCH);
  assert.equal(txn.beginProduce('tx', p.producerId + 1, p.producerEpoch, 't', 0), E.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await txn.endTxn({ ...p, commit: true }), E.NONE);
  assert.equal(txn.beginProduce('tx', p.producerId, p.producerEpoch, 't', 0), E.INVALID_TXN_STATE, 'the transaction has ended');
  txn.close();
  assert.equal(txn.beginProduce('tx', p.producerId, p.producerEpoch, 't', 0), E.NOT_ENOUGH_REPLICAS, 'a stopped coordinator is a retriable refusal');
});

test('EndTxn writes markers only after admitted appends finish (bounded by a timeout)', async () => {
  const { txn, markers, timers } = await setup();
  const p = await begin(txn);
  assert.equal(txn.beginProduce('tx', p.producerId, p.producerEpoch, 't', 0), E.NONE);
  assert.equal(txn.beginProduce('tx', p.producerId, p.producerEpoch, 't', 1), E.NONE);
  const ending = txn.endTxn({ ...p, commit: true });
  await new Promise((r) => setImmediate(r));
  assert.equal(txn.describe('tx')?.state, 'PrepareCommit');
  assert.equal(markers.written.length, 0, 'no marker while an admitted append is in flight');
  assert.equal(txn.beginProduce('tx', p.producerId, p.producerEpoch, 't', 0), E.INVALID_TXN_STATE, 'nothing new is admitted once the end is decided');
  txn.endProduce('tx');
  await new Promise((r) => setImmediate(r));
  assert.equal(markers.written.length, 0, 'one append is still in flight');
  txn.endProduce('tx');
  assert.equal(await ending, E.NONE);
  assert.deepEqual(markers.written.map((m) => [m.partition, m.commit]).sort(), [[0, true], [1, true]]);

  // An append that never finishes delays the markers by at most the drain timeout.
  const q = await begin(txn);
  assert.equal(txn.beginProduce('tx', q.producerId, q.producerEpoch, 't', 0), E.NONE);
  const aborting = txn.endTxn({ ...q, commit: false });
  await new Promise((r) => setImmediate(r));
  assert.equal(markers.written.length, 2);
  timers.advance(30_000);
  assert.equal(await aborting, E.NONE);
  assert.equal(markers.written.length, 4);
  assert.equal(txn.describe('tx')?.state, 'CompleteAbort');
  txn.endProduce('tx'); // late; harmless
  txn.close();
});
