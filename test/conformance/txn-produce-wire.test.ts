// Produce with a transactional id, on the wire: a transactional batch is appended only when
// its producer id and epoch are the transactional id's current ones, its transaction is
// Ongoing and the partition was added with AddPartitionsToTxn. A refused batch gets Kafka's
// error code (INVALID_TXN_STATE 48, INVALID_PRODUCER_EPOCH 47, INVALID_PRODUCER_ID_MAPPING 49),
// nothing is written, and no partition is left holding read_committed readers back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from './broker-harness.js';
import { RawClient, caller } from './raw-client.js';
import * as M from '../../src/broker/protocol/messages.js';
import { KafkaError as E } from '../../src/broker/protocol/error-codes.js';
import { encodeBatch } from '../../src/codec/record-batch.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

interface Producer {
  producerId: number;
  producerEpoch: number;
}

function batch(p: Producer, sequence: number, value: string, transactional = true): Buffer {
  return encodeBatch([{ value: Buffer.from(value) }], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: sequence, isTransactional: transactional });
}

test('wire: transactional produce is verified against the transaction coordinator', { timeout: 30_000 }, async () => {
  const h = await startBroker();
  const c = await RawClient.connect(h.broker.port);
  const call = caller(c);
  /** Produce v9 (flexible) to topic t; the partition responses in request order. */
  const produce = async (transactionalId: string | null, parts: { index: number; records: Buffer }[], version = 9): Promise<Any[]> => {
    const r = await call(M.Produce, version, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: parts }] });
    return r.responses[0].partitionResponses;
  };
  const addPartitions = async (p: Producer, partitions: number[]): Promise<number[]> => {
    const r = await call(M.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: 'tw', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: 't', partitions }] });
    return r.resultsByTopicV3AndBelow[0].resultsByPartition.map((x: Any) => x.partitionErrorCode);
  };
  const endTxn = async (p: Producer, committed: boolean): Promise<number> =>
    (await call(M.EndTxn, 3, { transactionalId: 'tw', producerId: p.producerId, producerEpoch: p.producerEpoch, committed })).errorCode;
  const settled = (partition: number) => {
    const p = h.log.partition('t', partition);
    return { end: p.logEndOffset, stable: p.lastStableOffset === p.highWatermark };
  };
  try {
    await h.log.createTopic('t', 2);
    const init = await call(M.InitProducerId, 4, { transactionalId: 'tw', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    assert.equal(init.errorCode, E.NONE);
    const p: Producer = { producerId: init.producerId, producerEpoch: init.producerEpoch };

    // Before any AddPartitionsToTxn there is no transaction to write into.
    const early = await produce('tw', [{ index: 0, records: batch(p, 0, 'early') }]);
    assert.equal(early[0].errorCode, E.INVALID_TXN_STATE);
    assert.match(early[0].errorMessage, /AddPartitionsToTxn/);
    assert.deepEqual(settled(0), { end: 0, stable: true });

    assert.deepEqual(await addPartitions(p, [0]), [E.NONE]);
    // One request, two partitions: the added one is written, the other refused (and left clean).
    const mixed = await produce('tw', [{ index: 0, records: batch(p, 0, 'a') }, { index: 1, records: batch(p, 0, 'stray') }]);
    assert.deepEqual(mixed.map((r: Any) => r.errorCode), [E.NONE, E.INVALID_TXN_STATE]);
    assert.equal(mixed[0].baseOffset, 0);
    assert.equal(mixed[1].baseOffset, -1);
    assert.deepEqual(settled(1), { end: 0, stable: true }, 'no hanging transaction on the partition never added');
    assert.equal(h.log.partition('t', 0).lastStableOffset, 0, 'the open transaction holds read_committed readers on partition 0');

    // Not the transactional id's producer id, or the request names no transactional id.
    const wrongId = await produce('tw', [{ index: 0, records: batch({ producerId: p.producerId + 1000, producerEpoch: p.producerEpoch }, 0, 'x') }]);
    assert.equal(wrongId[0].errorCode, E.INVALID_PRODUCER_ID_MAPPING);
    const unnamed = await produce(null, [{ index: 0, records: batch(p, 1, 'x') }], 3);
    assert.equal(unnamed[0].errorCode, E.INVALID_TXN_STATE);
    const unknownId = await produce('nobody', [{ index: 0, records: batch(p, 1, 'x') }]);
    assert.equal(unknownId[0].errorCode, E.INVALID_PRODUCER_ID_MAPPING);
    // Non-transactional batches are not the coordinator's business.
    const plain = await produce(null, [{ index: 1, records: encodeBatch([{ value: Buffer.from('plain') }]) }]);
    assert.equal(plain[0].errorCode, E.NONE);

    const second = await produce('tw', [{ index: 0, records: batch(p, 1, 'b') }], 3);
    assert.equal(second[0].errorCode, E.NONE);
    assert.equal(second[0].baseOffset, 1);
    assert.equal(await endTxn(p, true), E.NONE);
    assert.deepEqual(settled(0), { end: 3, stable: true }, 'two records and the commit marker');

    // After the commit the partition is no longer part of a transaction until added again.
    const late = await produce('tw', [{ index: 0, records: batch(p, 2, 'late') }]);
    assert.equal(late[0].errorCode, E.INVALID_TXN_STATE);
    assert.deepEqual(settled(0), { end: 3, stable: true });

    // KIP-360 epoch bump: the old epoch is fenced on produce, the new one writes.
    const bumped = await call(M.InitProducerId, 4, { transactionalId: 'tw', transactionTimeoutMs: 60_000, producerId: p.producerId, producerEpoch: p.producerEpoch });
    assert.equal(bumped.errorCode, E.NONE);
    const q: Producer = { producerId: bumped.producerId, producerEpoch: bumped.producerEpoch };
    assert.deepEqual(await addPartitions(q, [0]), [E.NONE]);
    const zombie = await produce('tw', [{ index: 0, records: batch(p, 2, 'zombie') }]);
    assert.equal(zombie[0].errorCode, E.INVALID_PRODUCER_EPOCH);
    const fresh = await produce('tw', [{ index: 0, records: batch(q, 0, 'fresh') }]);
    assert.equal(fresh[0].errorCode, E.NONE);
    assert.equal(fresh[0].baseOffset, 3);
    assert.equal(await endTxn(q, false), E.NONE);
    assert.deepEqual(settled(0), { end: 5, stable: true }, 'the aborted record and its marker; nothing open');
  } finally {
    c.close();
    await h.stop();
  }
});
