// Consumer groups with a real client (kafkajs 2.2.4) against an in-process broker: three
// members share a six-partition topic, a leaving member's partitions move to the others
// without losing records, and committed offsets survive a broker restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AssignerProtocol } from 'kafkajs';
import { startBroker } from './broker-harness.js';
import { RawClient, requestFrame } from './raw-client.js';
import { decodeFromBuffer } from '../../src/broker/protocol/codec.js';
import { JoinGroup, SyncGroup } from '../../src/broker/protocol/messages.js';
import { KafkaError } from '../../src/broker/protocol/error-codes.js';
import { disconnectAll, FAST_GROUP, kafkaFor, waitFor } from './groups-support.js';
import type { Consumer } from './groups-support.js';

test('kafkajs: a group of three shares six partitions, survives a leave, and loses nothing', { timeout: 90_000 }, async () => {
  const h = await startBroker();
  const kafka = kafkaFor(h.address);
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumers: Consumer[] = [];
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'clicks', numPartitions: 6 }], waitForLeaders: true });
    await producer.connect();
    const sendRange = async (from: number, to: number) => {
      const messages = [];
      for (let i = from; i < to; i++) messages.push({ partition: i % 6, key: `k${i}`, value: String(i) });
      await producer.send({ topic: 'clicks', messages });
    };
    await sendRange(0, 60);

    const seen = new Map<string, number>();
    const owned = new Map<number, number[]>();
    for (let c = 0; c < 3; c++) {
      const consumer = kafka.consumer({ groupId: 'three', ...FAST_GROUP });
      consumers.push(consumer);
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        owned.set(c, (e.payload.memberAssignment['clicks'] ?? []).slice().sort());
      });
      await consumer.connect();
      await consumer.subscribe({ topic: 'clicks', fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const v = message.value?.toString() ?? '';
          seen.set(v, (seen.get(v) ?? 0) + 1);
        },
      });
    }
    const ownedByAll = () => [...owned.values()].flat().sort((a, b) => a - b);
    await waitFor('all 60 records and a three-way assignment', () => seen.size === 60 && owned.size === 3 && [...owned.values()].every((p) => p.length === 2) && ownedByAll().join() === '0,1,2,3,4,5', 40_000);
    // No record is consumed twice while membership is stable... but rebalances while the
    // members were arriving may redeliver uncommitted records, so "once" is checked below
    // on records produced after the group settled.
    seen.clear();
    await sendRange(60, 120);
    await waitFor('60 more records', () => seen.size === 60);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok([...seen.values()].every((n) => n === 1), 'a settled group delivers each record once');

    // Member 0 leaves (LeaveGroup); the others take over its partitions.
    const leaving = consumers.shift();
    owned.delete(0);
    await leaving?.disconnect();
    await waitFor('two members own all six partitions', () => owned.size === 2 && ownedByAll().join() === '0,1,2,3,4,5' && [...owned.values()].every((p) => p.length === 3), 30_000);
    await sendRange(120, 180);
    await waitFor('records from the leaver\'s partitions too', () => {
      for (let i = 60; i < 180; i++) if (!seen.has(String(i))) return false;
      return true;
    }, 30_000);
    const groups = await admin.listGroups();
    assert.ok(groups.groups.some((g) => g.groupId === 'three'));
    const described = await admin.describeGroups(['three']);
    assert.equal(described.groups[0]?.state, 'Stable');
    assert.equal(described.groups[0]?.members.length, 2);
  } finally {
    await disconnectAll([...consumers, producer, admin]);
    await h.stop();
  }
});

test('kafkajs: committed offsets survive a broker restart and the group resumes from them', { timeout: 90_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-groups-restart-'));
  let h = await startBroker({}, dir);
  try {
    let kafka = kafkaFor(h.address);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `a${i}` })) });
    const first = new Set<string>();
    const c1 = kafka.consumer({ groupId: 'resume', ...FAST_GROUP });
    await c1.connect();
    await c1.subscribe({ topic: 'orders', fromBeginning: true });
    await c1.run({
      autoCommit: true,
      eachMessage: async ({ message }) => {
        first.add(message.value?.toString() ?? '');
      },
    });
    await waitFor('the first 20 records', () => first.size === 20);
    await c1.disconnect(); // commits what it consumed
    const committed = await admin.fetchOffsets({ groupId: 'resume', topics: ['orders'] });
    assert.deepEqual(committed[0]?.partitions.map((p) => p.offset).sort(), ['10', '10']);
    await disconnectAll([producer, admin]);

    // Restart on the same data directory.
    await h.broker.stop();
    h = await startBroker({}, dir);
    kafka = kafkaFor(h.address);
    const admin2 = kafka.admin();
    await admin2.connect();
    const after = await admin2.fetchOffsets({ groupId: 'resume', topics: ['orders'] });
    assert.deepEqual(after[0]?.partitions.map((p) => p.offset).sort(), ['10', '10'], 'offsets are durable');
    const producer2 = kafka.producer();
    await producer2.connect();
    await producer2.send({ topic: 'orders', messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 2, value: `b${i}` })) });
    const second: string[] = [];
    const c2 = kafka.consumer({ groupId: 'resume', ...FAST_GROUP });
    await c2.connect();
    await c2.subscribe({ topic: 'orders', fromBeginning: true });
    await c2.run({
      eachMessage: async ({ message }) => {
        second.push(message.value?.toString() ?? '');
      },
    });
    await waitFor('the 6 new records', () => second.length >= 6);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(second.slice().sort(), ['b0', 'b1', 'b2', 'b3', 'b4', 'b5'], 'only records after the committed offsets');
    await disconnectAll([c2, producer2, admin2]);
  } finally {
    await h.stop();
  }
});

test('kafkajs: a member that stops heartbeating is evicted after its session timeout and kafkajs takes its partitions', { timeout: 60_000 }, async () => {
  const h = await startBroker();
  const kafka = kafkaFor(h.address);
  const admin = kafka.admin();
  const consumer = kafka.consumer({ groupId: 'evict', ...FAST_GROUP });
  const raw = await RawClient.connect(h.broker.port);
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'parts', numPartitions: 4 }] });
    let owned: number[] = [];
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      owned = (e.payload.memberAssignment['parts'] ?? []).slice().sort();
    });
    await consumer.connect();
    await consumer.subscribe({ topic: 'parts' });
    await consumer.run({ eachMessage: async () => undefined });
    await waitFor('kafkajs owning all four partitions', () => owned.length === 4);

    // A raw member joins with a 1.5 s session, syncs once, then never heartbeats again.
    let corr = 1;
    const call = async <T>(schema: typeof JoinGroup, version: number, body: object): Promise<T> => {
      raw.send(requestFrame(schema, version, corr++, body));
      const frame = await raw.next(15_000);
      assert.ok(frame);
      return decodeFromBuffer<T>(schema, 'response', version, frame.subarray(5));
    };
    const metadata = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['parts'], userData: Buffer.alloc(0) });
    const join = { groupId: 'evict', sessionTimeoutMs: 1500, rebalanceTimeoutMs: 6000, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'RoundRobinAssigner', metadata }] };
    const first = await call<{ errorCode: number; memberId: string }>(JoinGroup, 6, { ...join, memberId: '' });
    assert.equal(first.errorCode, KafkaError.MEMBER_ID_REQUIRED);
    const joined = await call<{ errorCode: number; generationId: number }>(JoinGroup, 6, { ...join, memberId: first.memberId });
    assert.equal(joined.errorCode, KafkaError.NONE);
    const synced = await call<{ errorCode: number }>(SyncGroup, 4, { groupId: 'evict', generationId: joined.generationId, memberId: first.memberId, groupInstanceId: null, assignments: [] });
    assert.equal(synced.errorCode, KafkaError.NONE);
    await waitFor('kafkajs sharing the partitions', () => owned.length === 2);
    await waitFor('the silent member evicted and kafkajs owning all four again', () => owned.length === 4, 15_000);
    const described = await admin.describeGroups(['evict']);
    assert.equal(described.groups[0]?.members.length, 1);
  } finally {
    raw.close();
    await disconnectAll([consumer, admin]);
    await h.stop();
  }
});
