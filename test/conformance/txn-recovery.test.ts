// Transactions a crash left unfinished are finished by the broker's startup, not by the next
// transactional client: Broker.start loads the transaction coordinator, which completes
// transactions persisted in PrepareCommit and aborts Ongoing ones once their timeout passes,
// so read_committed consumers (the last stable offset) move on with no transactional client
// ever connecting again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Log } from '../../src/log/log.js';
import { encodeBatch, decodeBatches } from '../../src/codec/record-batch.js';
import { LogTxnStateStore, TRANSACTION_STATE_TOPIC } from '../../src/broker/txn/log-txn-state-store.js';
import { decodeFromBuffer } from '../../src/broker/protocol/codec.js';
import { Fetch } from '../../src/broker/protocol/messages.js';
import { startBroker } from './broker-harness.js';
import { startBrokerChild } from './broker-child.js';
import type { BrokerChild } from './broker-child.js';
import { RawClient, requestFrame } from './raw-client.js';
import { disconnectAll, kafkaFor, waitFor } from './groups-support.js';

interface CommittedView {
  highWatermark: number;
  lastStableOffset: number;
  values: string[];
  aborted: { producerId: number; firstOffset: number }[];
}

/** One read_committed Fetch (v11) of a whole partition, over the wire like a consumer. */
async function fetchCommitted(port: number, topic: string, partition: number): Promise<CommittedView> {
  const c = await RawClient.connect(port);
  try {
    c.send(requestFrame(Fetch, 11, 1, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, fetchOffset: 0, partitionMaxBytes: 8 << 20, currentLeaderEpoch: -1, logStartOffset: -1 }] }],
      forgottenTopicsData: [], rackId: '',
    }));
    const frame = await c.next(10_000);
    assert.ok(frame);
    const body = decodeFromBuffer<{ responses: { partitions: { errorCode: number; highWatermark: number; lastStableOffset: number; abortedTransactions: { producerId: number; firstOffset: number }[] | null; records: Buffer | null }[] }[] }>(Fetch, 'response', 11, frame.subarray(4));
    const p = body.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    const values: string[] = [];
    for (const b of decodeBatches(p.records ?? Buffer.alloc(0))) {
      if (b.header.isControl) continue;
      for (const r of b.records) values.push(r.value?.toString() ?? '');
    }
    return { highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, values, aborted: p.abortedTransactions ?? [] };
  } finally {
    c.close();
  }
}

test('startup completes a transaction persisted in PrepareCommit and times out an Ongoing one', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-txnrecovery-'));
  try {
    // The state a crash leaves behind: records of two transactions in their partitions, one
    // transaction persisted as PrepareCommit (EndTxn decided, markers not yet written), the
    // other Ongoing and long past its timeout. Written straight to the log, closed with no
    // broker ever running its shutdown hooks.
    const now = Date.now();
    let log = await Log.open({ dataDir: dir });
    await log.createTopic('paid', 1);
    await log.createTopic('pending', 1);
    await log.createTopic(TRANSACTION_STATE_TOPIC, 1, { cleanupPolicy: 'compact' });
    const store = new LogTxnStateStore(log.partition(TRANSACTION_STATE_TOPIC, 0));
    await store.saveProducerIdBlock(1000);
    const values = ['p1', 'p2', 'p3'].map((v) => ({ value: Buffer.from(v) }));
    await log.partition('paid', 0).append(encodeBatch(values, { producerId: 7, producerEpoch: 0, baseSequence: 0, isTransactional: true }), { sync: true });
    await log.partition('pending', 0).append(encodeBatch([{ value: Buffer.from('never') }], { producerId: 8, producerEpoch: 0, baseSequence: 0, isTransactional: true }), { sync: true });
    await store.saveTransaction({
      transactionalId: 'decided', producerId: 7, producerEpoch: 0, timeoutMs: 60_000, state: 'PrepareCommit',
      partitions: [{ topic: 'paid', partition: 0 }], groups: [{ group: 'billing', offsets: [{ topic: 'orders', partition: 0, offset: 41, leaderEpoch: -1, metadata: null }] }],
      txnStartTimestamp: now - 1000, lastUpdateTimestamp: now - 500,
    });
    await store.saveTransaction({
      transactionalId: 'abandoned', producerId: 8, producerEpoch: 0, timeoutMs: 1000, state: 'Ongoing',
      partitions: [{ topic: 'pending', partition: 0 }], groups: [], txnStartTimestamp: now - 10_000, lastUpdateTimestamp: now - 10_000,
    });
    assert.equal(log.partition('paid', 0).lastStableOffset, 0);
    assert.equal(log.partition('pending', 0).lastStableOffset, 0);
    await log.close();

    const h = await startBroker({}, dir);
    try {
      log = h.log;
      // Completed before Broker.start resolved: the commit marker is there, the offsets applied.
      const paid = log.partition('paid', 0);
      assert.equal(paid.highWatermark, 4, 'three records and the commit marker');
      assert.equal(paid.lastStableOffset, 4);
      assert.equal(log.groupOffsets.fetch('billing').get('orders')?.get(0)?.offset, 41);
      const view = await fetchCommitted(h.broker.port, 'paid', 0);
      assert.deepEqual(view.values, ['p1', 'p2', 'p3']);
      assert.equal(view.lastStableOffset, 4);

      // The expired Ongoing transaction is aborted by the coordinator's periodic check.
      const pending = log.partition('pending', 0);
      // Waits for the marker to be durable, not only appended: the producer state drops the
      // open transaction when the marker is appended, so for the length of its fsync the LSO
      // equals a high watermark that does not include the marker yet (1, not 2).
      await waitFor('the abandoned transaction to be aborted', () => pending.highWatermark > 1 && pending.lastStableOffset === pending.highWatermark, 10_000);
      assert.equal(pending.highWatermark, 2, 'the record and the abort marker');
      const after = await fetchCommitted(h.broker.port, 'pending', 0);
      assert.deepEqual(after.aborted, [{ producerId: 8, firstOffset: 0 }], 'read_committed readers are told to skip it');
    } finally {
      await h.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGKILL with a transaction open: after a restart the LSO advances with no transactional client', { timeout: 90_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-txnkill-'));
  let broker: BrokerChild | undefined;
  try {
    broker = await startBrokerChild(dir);
    const kafka = kafkaFor(`127.0.0.1:${broker.port}`);
    const admin = kafka.admin();
    const producer = kafka.producer({ transactionalId: 'killed', transactionTimeout: 3000, maxInFlightRequests: 1, idempotent: true });
    const committed = kafka.producer({ transactionalId: 'done', maxInFlightRequests: 1, idempotent: true });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }] });
      await producer.connect();
      const t = await producer.transaction();
      await t.send({ topic: 'orders', messages: [{ value: 'open-1' }, { value: 'open-2' }] });
      await committed.connect();
      const c = await committed.transaction();
      await c.send({ topic: 'orders', messages: [{ value: 'committed' }] });
      await c.commit();
      const before = await fetchCommitted(broker.port, 'orders', 0);
      assert.equal(before.highWatermark, 4, 'two open records, one committed record and its marker');
      assert.equal(before.lastStableOffset, 0, 'the open transaction holds read_committed readers');
      assert.deepEqual(before.values, []);
      assert.equal(await broker.stop('SIGKILL'), null);
    } finally {
      await disconnectAll([producer, committed, admin]);
    }

    broker = await startBrokerChild(dir);
    const port = broker.port;
    let view = await fetchCommitted(port, 'orders', 0);
    const deadline = Date.now() + 20_000;
    while (view.lastStableOffset < view.highWatermark) {
      assert.ok(Date.now() < deadline, `LSO stuck at ${view.lastStableOffset} (high watermark ${view.highWatermark}): ${broker.output()}`);
      await new Promise((r) => setTimeout(r, 200));
      view = await fetchCommitted(port, 'orders', 0);
    }
    assert.equal(view.highWatermark, 5, 'the abort marker was appended');
    assert.deepEqual(view.values, ['open-1', 'open-2', 'committed'], 'the batch holds every record; the reader skips the aborted ones');
    assert.equal(view.aborted.length, 1);
    assert.equal(view.aborted[0]!.firstOffset, 0);
    assert.equal(await broker.stop('SIGTERM'), 0);
  } finally {
    await broker?.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
