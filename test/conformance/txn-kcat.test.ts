// kcat's transactional producer (-X transactional.id=...): librdkafka runs InitProducerId,
// AddPartitionsToTxn, Produce and EndTxn; the records become visible to read_committed
// readers together with a commit marker, and a second run of the same transactional id
// gets the next epoch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from './broker-harness.js';
import { kcat } from './kcat-support.js';
import { transactionCoordinatorOf } from '../../src/broker/txn/broker-transactions.js';

test('kcat -X transactional.id: a transactional produce commits and is read back read_committed', { timeout: 90_000 }, async () => {
  const h = await startBroker();
  try {
    await h.log.createTopic('tx-lines', 1);
    const produce = (lines: string[]) => kcat(['-P', '-b', h.address, '-t', 'tx-lines', '-p', '0', '-X', 'transactional.id=kc-tx'], lines.join('\n') + '\n');
    const p1 = await produce(['a', 'b', 'c']);
    assert.equal(p1.code, 0, p1.stderr);
    assert.match(p1.stderr, /committed/i);
    // Three records and one commit marker.
    assert.equal(h.log.partition('tx-lines', 0).logEndOffset, 4);
    assert.equal(h.log.partition('tx-lines', 0).lastStableOffset, 4, 'nothing left open');
    const txn = await transactionCoordinatorOf(h.broker.context);
    const first = txn.describe('kc-tx');
    assert.equal(first?.state, 'CompleteCommit');

    const p2 = await produce(['d']);
    assert.equal(p2.code, 0, p2.stderr);
    const second = txn.describe('kc-tx');
    assert.equal(second?.producerId, first?.producerId, 'the transactional id keeps its producer id');
    assert.equal(second?.producerEpoch, (first?.producerEpoch ?? 0) + 1, 'each new producer session bumps the epoch');

    const read = await kcat(['-C', '-b', h.address, '-t', 'tx-lines', '-X', 'isolation.level=read_committed', '-o', 'beginning', '-e', '-f', '%s\n', '-q']);
    assert.equal(read.code, 0, read.stderr);
    assert.deepEqual(read.stdout.trim().split('\n'), ['a', 'b', 'c', 'd']);
  } finally {
    await h.stop();
  }
});
