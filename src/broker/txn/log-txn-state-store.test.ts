// The durable transaction state on a real Log: records written to `__transaction_state`
// load back after the log is closed and reopened, and a coordinator restarted on that log
// completes a transaction that was PrepareCommit when it stopped (markers land in the
// partitions, pending offsets reach the durable group offset store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Log } from '../../log/log.js';
import { LogTxnStateStore, TRANSACTION_STATE_TOPIC } from './log-txn-state-store.js';
import { TransactionCoordinator } from './transaction-coordinator.js';
import type { MarkerTarget } from './transaction-coordinator.js';
import { ManualTimers } from '../groups/timers.js';
import { KafkaError as E } from '../protocol/error-codes.js';
import { encodeBatch } from '../../codec/record-batch.js';

async function openLog(dir: string): Promise<Log> {
  const log = await Log.open({ dataDir: dir });
  if (!log.hasTopic(TRANSACTION_STATE_TOPIC)) await log.createTopic(TRANSACTION_STATE_TOPIC, 1, { cleanupPolicy: 'compact' });
  return log;
}

function markersOn(log: Log, failing: { on: boolean }): MarkerTarget {
  return {
    partitionExists: (t, p) => log.hasTopic(t) && p < log.describeTopic(t).partitions,
    writeMarker: async (t, p, m) => {
      if (failing.on) throw new Error('disk unplugged');
      await log.partition(t, p).appendControl(m, { sync: true });
    },
  };
}

test('LogTxnStateStore: producer-id blocks and the latest record per transactional id survive a reopen', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-txnstate-'));
  try {
    let log = await openLog(dir);
    let store = new LogTxnStateStore(log.partition(TRANSACTION_STATE_TOPIC, 0));
    await store.saveProducerIdBlock(1000);
    await store.saveProducerIdBlock(2000);
    const base = { producerId: 7, producerEpoch: 0, timeoutMs: 60_000, partitions: [], groups: [], txnStartTimestamp: -1, lastUpdateTimestamp: 1 };
    await store.saveTransaction({ ...base, transactionalId: 'a', state: 'Empty' });
    await store.saveTransaction({ ...base, transactionalId: 'a', state: 'Ongoing', partitions: [{ topic: 't', partition: 1 }] });
    await store.saveTransaction({ ...base, transactionalId: 'b', producerId: 8, state: 'CompleteAbort' });
    await log.close();
    log = await openLog(dir);
    store = new LogTxnStateStore(log.partition(TRANSACTION_STATE_TOPIC, 0));
    const loaded = await store.load();
    assert.equal(loaded.producerIdBlockEnd, 2000);
    const byId = new Map(loaded.transactions.map((t) => [t.transactionalId, t]));
    assert.equal(byId.get('a')?.state, 'Ongoing');
    assert.deepEqual(byId.get('a')?.partitions, [{ topic: 't', partition: 1 }]);
    assert.equal(byId.get('b')?.producerId, 8);
    await log.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('restart on a real log: PrepareCommit is completed, its markers and offsets land, and ids stay unique', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-txnrestart-'));
  try {
    const timers = new ManualTimers();
    const failing = { on: false };
    let log = await openLog(dir);
    await log.createTopic('data', 1);
    let txn = new TransactionCoordinator({ store: new LogTxnStateStore(log.partition(TRANSACTION_STATE_TOPIC, 0)), markers: markersOn(log, failing), offsets: log.groupOffsets, timers });
    await txn.start();
    const init = await txn.initProducerId({ transactionalId: 'job', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    const p = { transactionalId: 'job', producerId: init.producerId, producerEpoch: init.producerEpoch };
    assert.equal((await txn.addPartitions({ ...p, topics: [{ name: 'data', partitions: [0] }] }))[0]?.partitions[0]?.errorCode, E.NONE);
    assert.equal(await txn.addOffsets({ ...p, groupId: 'etl' }), E.NONE);
    await txn.txnOffsetCommit({ ...p, groupId: 'etl', generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'data', partitions: [{ partitionIndex: 0, committedOffset: 17, committedMetadata: null }] }] });
    await log.partition('data', 0).append(encodeBatch([{ value: Buffer.from('v') }], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, isTransactional: true }));
    assert.equal(log.partition('data', 0).lastStableOffset, 0, 'the open transaction holds back read_committed readers');
    failing.on = true;
    assert.equal(await txn.endTxn({ ...p, commit: true }), E.NONE);
    assert.equal(txn.describe('job')?.state, 'PrepareCommit');
    const idempotentBefore = await txn.initProducerId({ transactionalId: null, transactionTimeoutMs: 0, producerId: -1, producerEpoch: -1 });
    txn.close();
    await log.close(); // crash-equivalent for the coordinator: nothing more is written

    log = await openLog(dir);
    failing.on = false;
    txn = new TransactionCoordinator({ store: new LogTxnStateStore(log.partition(TRANSACTION_STATE_TOPIC, 0)), markers: markersOn(log, failing), offsets: log.groupOffsets, timers });
    await txn.start();
    assert.equal(txn.describe('job')?.state, 'CompleteCommit');
    assert.equal(log.partition('data', 0).lastStableOffset, 2, 'record + commit marker; nothing open');
    assert.equal(log.groupOffsets.fetch('etl').get('data')?.get(0)?.offset, 17);
    const idempotentAfter = await txn.initProducerId({ transactionalId: null, transactionTimeoutMs: 0, producerId: -1, producerEpoch: -1 });
    assert.ok(idempotentAfter.producerId > idempotentBefore.producerId);
    assert.notEqual(idempotentAfter.producerId, init.producerId);
    txn.close();
    await log.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
