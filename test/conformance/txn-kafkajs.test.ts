// Idempotent and transactional producers with a real client (kafkajs 2.2.4) against an
// in-process broker: retried produce requests are written once, committed transactions are
// visible to read_committed consumers and aborted ones are not, a consume-transform-produce
// loop moves its group's offsets only with committed transactions, and a second producer
// with the same transactional id fences the first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startBroker } from './broker-harness.js';
import { disconnectAll, FAST_GROUP, kafkaFor, waitFor } from './groups-support.js';
import type { Kafka } from 'kafkajs';

/** Reads every record of `topic` with the given isolation (a fresh group, from the beginning). */
async function readAll(kafka: Kafka, topic: string, expected: number, readUncommitted: boolean, groupId: string): Promise<string[]> {
  const values: string[] = [];
  const consumer = kafka.consumer({ groupId, readUncommitted, ...FAST_GROUP });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? '');
      },
    });
    await waitFor(`${expected} records of ${topic}`, () => values.length >= expected);
    // Anything that should not be there would arrive in this window.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/**
 * A TCP proxy in front of the broker that cuts the connection instead of delivering the
 * response to the first Produce request, so the client must retry a request the broker
 * already applied.
 */
async function dropFirstProduceResponse(): Promise<{ port: number; target(port: number): void; dropped(): number; close(): void }> {
  let targetPort = 0;
  let drops = 0;
  let armed = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const produceIds = new Set<number>();
    let inbound = Buffer.alloc(0);
    let outbound = Buffer.alloc(0);
    client.on('data', (chunk) => {
      inbound = Buffer.concat([inbound, chunk]);
      while (inbound.length >= 4 && inbound.length >= 4 + inbound.readInt32BE(0)) {
        const size = inbound.readInt32BE(0);
        if (inbound.readInt16BE(4) === 0) produceIds.add(inbound.readInt32BE(8));
        upstream.write(inbound.subarray(0, 4 + size));
        inbound = inbound.subarray(4 + size);
      }
    });
    upstream.on('data', (chunk) => {
      outbound = Buffer.concat([outbound, chunk]);
      while (outbound.length >= 8 && outbound.length >= 4 + outbound.readInt32BE(0)) {
        const size = outbound.readInt32BE(0);
        if (armed && produceIds.has(outbound.readInt32BE(4))) {
          armed = false;
          drops++;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(outbound.subarray(0, 4 + size));
        outbound = outbound.subarray(4 + size);
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    target: (p) => {
      targetPort = p;
    },
    dropped: () => drops,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('kafkajs: an idempotent producer whose request is retried writes each record once', { timeout: 60_000 }, async () => {
  const proxy = await dropFirstProduceResponse();
  const h = await startBroker({ advertisedListener: `127.0.0.1:${proxy.port}` });
  proxy.target(h.broker.port);
  const kafka = kafkaFor(`127.0.0.1:${proxy.port}`);
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 8, initialRetryTime: 100 } });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 1 }] });
    await producer.connect();
    await producer.send({ topic: 'idem', messages: [{ value: 'one' }, { value: 'two' }, { value: 'three' }] });
    await producer.send({ topic: 'idem', messages: [{ value: 'four' }] });
    assert.equal(proxy.dropped(), 1, 'the first produce response was lost and the request retried');
    const p = h.log.partition('idem', 0);
    assert.equal(p.logEndOffset, 4, 'the retried batch was not written twice');
    const values = await readAll(kafka, 'idem', 4, true, 'idem-reader');
    assert.deepEqual(values, ['one', 'two', 'three', 'four']);
  } finally {
    await disconnectAll([producer, admin]);
    proxy.close();
    await h.stop();
  }
});

test('kafkajs: committed transactions are visible to read_committed consumers, aborted ones are not', { timeout: 60_000 }, async () => {
  const h = await startBroker();
  const kafka = kafkaFor(h.address);
  const admin = kafka.admin();
  const producer = kafka.producer({ transactionalId: 'tx-visibility', maxInFlightRequests: 1, idempotent: true });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'ledger', numPartitions: 2 }] });
    await producer.connect();
    const t1 = await producer.transaction();
    await t1.send({ topic: 'ledger', messages: [{ partition: 0, value: 'c1' }, { partition: 1, value: 'c2' }] });
    await t1.commit();
    const t2 = await producer.transaction();
    await t2.send({ topic: 'ledger', messages: [{ partition: 0, value: 'a1' }, { partition: 1, value: 'a2' }] });
    await t2.abort();
    const t3 = await producer.transaction();
    await t3.send({ topic: 'ledger', messages: [{ partition: 0, value: 'c3' }] });
    await t3.commit();
    const committed = await readAll(kafka, 'ledger', 3, false, 'rc');
    assert.deepEqual(committed.sort(), ['c1', 'c2', 'c3']);
    const everything = await readAll(kafka, 'ledger', 5, true, 'ru');
    assert.deepEqual(everything.sort(), ['a1', 'a2', 'c1', 'c2', 'c3'], 'read_uncommitted sees aborted records too');
  } finally {
    await disconnectAll([producer, admin]);
    await h.stop();
  }
});

test('kafkajs: consume-transform-produce with sendOffsets moves the group only with committed transactions', { timeout: 90_000 }, async () => {
  const h = await startBroker();
  const kafka = kafkaFor(h.address);
  const admin = kafka.admin();
  const source = kafka.producer();
  const producer = kafka.producer({ transactionalId: 'tx-ctp', maxInFlightRequests: 1, idempotent: true });
  const consumer = kafka.consumer({ groupId: 'ctp', readUncommitted: false, ...FAST_GROUP });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'in', numPartitions: 1 }, { topic: 'out', numPartitions: 1 }] });
    await source.connect();
    await source.send({ topic: 'in', messages: Array.from({ length: 10 }, (_, i) => ({ value: String(i) })) });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: 'in', fromBeginning: true });
    let abortedOnce = false;
    let processed = 0;
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const tx = await producer.transaction();
        await tx.send({ topic: 'out', messages: [{ value: `x${message.value?.toString() ?? ''}` }] });
        await tx.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }] });
        if (message.offset === '4' && !abortedOnce) {
          // The fifth record's first attempt fails: its output and its offset must both vanish.
          abortedOnce = true;
          await tx.abort();
          const mid = await admin.fetchOffsets({ groupId: 'ctp', topics: ['in'] });
          assert.equal(mid[0]?.partitions[0]?.offset, '4', 'an aborted transaction does not move the group');
          throw new Error('retry this record');
        }
        await tx.commit();
        processed++;
      },
    });
    await waitFor('all ten records processed', () => processed === 10, 40_000);
    await consumer.disconnect();
    const offsets = await admin.fetchOffsets({ groupId: 'ctp', topics: ['in'] });
    assert.equal(offsets[0]?.partitions[0]?.offset, '10');
    const out = await readAll(kafka, 'out', 10, false, 'out-reader');
    assert.deepEqual(out, Array.from({ length: 10 }, (_, i) => `x${i}`), 'each output exactly once, aborted attempt invisible');
  } finally {
    await disconnectAll([consumer, producer, source, admin]);
    await h.stop();
  }
});

test('kafkajs: a second producer with the same transactional id fences the first', { timeout: 60_000 }, async () => {
  const h = await startBroker();
  const kafka = kafkaFor(h.address);
  const admin = kafka.admin();
  const older = kafka.producer({ transactionalId: 'tx-fence', maxInFlightRequests: 1, idempotent: true });
  const newer = kafka.producer({ transactionalId: 'tx-fence', maxInFlightRequests: 1, idempotent: true });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fenced', numPartitions: 1 }] });
    await older.connect();
    const t1 = await older.transaction();
    await t1.send({ topic: 'fenced', messages: [{ value: 'zombie' }] });
    await newer.connect();
    // kafkajs sends the transactional InitProducerId when the first transaction begins:
    // it bumps the epoch and aborts the older producer's open transaction.
    const t2 = await newer.transaction();
    await assert.rejects(t1.commit(), (err: Error & { type?: string }) => /EPOCH|FENCED/i.test(`${err.type ?? ''} ${err.message}`));
    await t2.send({ topic: 'fenced', messages: [{ value: 'live' }] });
    await t2.commit();
    const values = await readAll(kafka, 'fenced', 1, false, 'fence-reader');
    assert.deepEqual(values, ['live']);
  } finally {
    await disconnectAll([older, newer, admin]);
    await h.stop();
  }
});

test('kafkajs: an abandoned transaction is aborted after its timeout and stops holding back read_committed readers', { timeout: 60_000 }, async () => {
  const h = await startBroker();
  const kafka = kafkaFor(h.address);
  const admin = kafka.admin();
  const abandoned = kafka.producer({ transactionalId: 'tx-abandoned', transactionTimeout: 1500, maxInFlightRequests: 1, idempotent: true });
  const live = kafka.producer({ transactionalId: 'tx-live', maxInFlightRequests: 1, idempotent: true });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'stuck', numPartitions: 1 }] });
    await abandoned.connect();
    const t = await abandoned.transaction();
    await t.send({ topic: 'stuck', messages: [{ value: 'never-committed' }] });
    await live.connect();
    const l = await live.transaction();
    await l.send({ topic: 'stuck', messages: [{ value: 'after' }] });
    await l.commit();
    const p = h.log.partition('stuck', 0);
    assert.equal(p.lastStableOffset, 0, 'the open transaction holds read_committed readers at its first offset');
    await waitFor('the timed-out transaction to be aborted', () => p.lastStableOffset === p.logEndOffset, 10_000);
    const values = await readAll(kafka, 'stuck', 1, false, 'stuck-reader');
    assert.deepEqual(values, ['after']);
    await assert.rejects(t.commit(), 'the abandoned producer was fenced by the abort');
  } finally {
    await disconnectAll([abandoned, live, admin]);
    await h.stop();
  }
});
