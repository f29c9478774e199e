// Wire-level behaviour of the broker that clients rely on: ApiVersions built from the
// registry (and Kafka's v0-shaped UNSUPPORTED_VERSION answer), in-order responses when
// handlers finish out of order, connections closed for unknown APIs, oversized or malformed
// frames without harming other connections, and bounded memory for a client that never reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFromBuffer } from '../../src/broker/protocol/codec.js';
import { ApiVersions, Fetch, Metadata, Produce } from '../../src/broker/protocol/messages.js';
import { handlerFiles } from '../../src/broker/handlers/registry.js';
import { encodeBatch } from '../../src/codec/record-batch.js';
import { startBroker } from './broker-harness.js';
import { RawClient, requestFrame } from './raw-client.js';

interface ApiVersionsBody {
  errorCode: number;
  apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[];
}

function counter(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('ApiVersions answers from the handler registry at every version, and v0-shaped 35 above', async () => {
  const h = await startBroker();
  const c = await RawClient.connect(h.broker.port);
  try {
    const served = h.broker.context.registry.list();
    assert.equal(served.length, handlerFiles().length, 'one registration per handler file');
    for (let v = 0; v <= 3; v++) {
      c.send(requestFrame(ApiVersions, v, 100 + v, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }));
      const frame = (await c.next())!;
      assert.equal(frame.readInt32BE(0), 100 + v);
      // Response header v0 always: the body starts right after the correlation id.
      const body = decodeFromBuffer<ApiVersionsBody>(ApiVersions, 'response', v, frame.subarray(4));
      assert.equal(body.errorCode, 0);
      assert.deepEqual(
        body.apiKeys,
        served.map((s) => ({ apiKey: s.apiKey, minVersion: s.minVersion, maxVersion: s.maxVersion })),
      );
      assert.ok(body.apiKeys.some((k) => k.apiKey === 0 && k.minVersion === 3 && k.maxVersion === 9));
    }
    // A newer client asking ApiVersions v7: the v0 shape, error 35, our range for key 18.
    const w = Buffer.from('00000011' + '0012' + '0007' + '0000002a' + '0003' + '616263' + '00' + '0000', 'hex');
    w.writeInt32BE(w.length - 4, 0);
    c.send(w);
    const frame = (await c.next())!;
    assert.equal(frame.readInt32BE(0), 42);
    const body = decodeFromBuffer<ApiVersionsBody>(ApiVersions, 'response', 0, frame.subarray(4));
    assert.equal(body.errorCode, 35);
    assert.deepEqual(body.apiKeys.find((k) => k.apiKey === 18), { apiKey: 18, minVersion: 0, maxVersion: 3 });
    assert.equal(c.closed, false, 'the connection stays open');
  } finally {
    c.close();
    await h.stop();
  }
});

test('responses come back in request order even when a long poll finishes last', async () => {
  const h = await startBroker();
  await h.log.createTopic('order', 1);
  const c = await RawClient.connect(h.broker.port);
  try {
    const started = Date.now();
    c.send(requestFrame(Fetch, 11, 1, { replicaId: -1, maxWaitMs: 400, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'order', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' }));
    c.send(requestFrame(Metadata, 9, 2, { topics: null, allowAutoTopicCreation: false }));
    c.send(requestFrame(ApiVersions, 3, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }));
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await c.next())!.readInt32BE(0));
    assert.deepEqual(ids, [1, 2, 3]);
    assert.ok(Date.now() - started >= 350, 'the fetch long-polled for its max wait');
  } finally {
    c.close();
    await h.stop();
  }
});

test('a long poll returns as soon as data arrives, without waiting out max wait', async () => {
  const h = await startBroker();
  await h.log.createTopic('poll', 1);
  const c = await RawClient.connect(h.broker.port);
  try {
    const started = Date.now();
    c.send(requestFrame(Fetch, 12, 7, { replicaId: -1, maxWaitMs: 10_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'poll', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' }));
    setTimeout(() => void h.log.partition('poll', 0).append(encodeBatch([{ value: Buffer.from('late') }])), 200);
    const frame = (await c.next(5000))!;
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `answered after ${elapsed} ms`);
    // Fetch v12 is flexible: response header v1 has a tagged-field byte after the id.
    const body = decodeFromBuffer<{ responses: { partitions: { highWatermark: number; records: Buffer }[] }[] }>(Fetch, 'response', 12, frame.subarray(5));
    assert.equal(body.responses[0]!.partitions[0]!.highWatermark, 1);
    assert.ok(body.responses[0]!.partitions[0]!.records.length > 0);
  } finally {
    c.close();
    await h.stop();
  }
});

test('unknown API keys and unsupported versions close only that connection', async () => {
  const h = await startBroker();
  const good = await RawClient.connect(h.broker.port);
  try {
    for (const [key, version] of [[57, 0], [999, 0], [0, 2], [1, 13]] as const) {
      const bad = await RawClient.connect(h.broker.port);
      const f = Buffer.alloc(14);
      f.writeInt32BE(10, 0);
      f.writeInt16BE(key, 4);
      f.writeInt16BE(version, 6);
      f.writeInt32BE(5, 8);
      f.writeInt16BE(-1, 12);
      bad.send(f);
      assert.equal(await bad.waitClosed(), true, `key ${key} v${version} closes`);
    }
    good.send(requestFrame(Metadata, 1, 9, { topics: null }));
    assert.equal((await good.next())!.readInt32BE(0), 9);
    const text = h.metrics.expose();
    assert.equal(counter(text, 'sluice_broker_connections_closed_total', 'reason="unknown_api"'), 2);
    assert.equal(counter(text, 'sluice_broker_connections_closed_total', 'reason="unsupported_version"'), 2);
  } finally {
    good.close();
    await h.stop();
  }
});

test('an oversized or negative length prefix closes the connection without waiting for the bytes', async () => {
  const h = await startBroker({ maxRequestBytes: 1024 * 1024 });
  try {
    for (const size of [0x7fffffff, 1024 * 1024 + 1, -5, 3]) {
      const c = await RawClient.connect(h.broker.port);
      const f = Buffer.alloc(4);
      f.writeInt32BE(size, 0);
      const heapBefore = process.memoryUsage().arrayBuffers;
      c.send(f);
      assert.equal(await c.waitClosed(2000), true, `size ${size} closes at once`);
      assert.ok(process.memoryUsage().arrayBuffers - heapBefore < 512 * 1024, 'nothing was allocated for the claimed size');
    }
    const text = h.metrics.expose();
    assert.equal(counter(text, 'sluice_broker_connections_closed_total', 'reason="oversized"'), 2);
    assert.equal(counter(text, 'sluice_broker_connections_closed_total', 'reason="malformed"'), 2);
  } finally {
    await h.stop();
  }
});

test('a client that pipelines requests but never reads stops being read: memory stays bounded', async () => {
  const h = await startBroker({ maxBufferedBytesPerConnection: 256 * 1024, maxInFlightPerConnection: 16 });
  await h.log.createTopic('big', 1);
  const p = h.log.partition('big', 0);
  // ~1 MiB of data, so each fetch answers ~1 MiB.
  for (let i = 0; i < 16; i++) await p.append(encodeBatch([{ value: Buffer.alloc(64 * 1024, i) }]));
  const c = await RawClient.connect(h.broker.port);
  c.socket.pause(); // never read
  try {
    const fetch = requestFrame(Fetch, 11, 1, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 4 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'big', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 4 << 20 }] }], forgottenTopicsData: [], rackId: '' });
    const burst = Buffer.concat(Array.from({ length: 2000 }, () => fetch));
    c.socket.write(burst);
    await new Promise((r) => setTimeout(r, 1500));
    const served = counter(h.metrics.expose(), 'sluice_broker_requests_total', 'api="Fetch"');
    // Socket buffers on both sides hold a few MiB; everything else must wait unread.
    assert.ok(served < 200, `served ${served} of 2000 fetches to a client that reads nothing`);
    assert.ok(served > 0);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(counter(h.metrics.expose(), 'sluice_broker_requests_total', 'api="Fetch"'), served, 'no progress while the client does not read');
    // The broker still serves others.
    const other = await RawClient.connect(h.broker.port);
    other.send(requestFrame(Metadata, 1, 5, { topics: null }));
    assert.equal((await other.next())!.readInt32BE(0), 5);
    other.close();
  } finally {
    c.close();
    await h.stop();
  }
});

test('acks=0 produce sends no response; the next request is answered in order', async () => {
  const h = await startBroker();
  await h.log.createTopic('quiet', 1);
  const c = await RawClient.connect(h.broker.port);
  try {
    const records = encodeBatch([{ value: Buffer.from('fire and forget') }]);
    c.send(requestFrame(Produce, 7, 1, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'quiet', partitionData: [{ index: 0, records }] }] }));
    c.send(requestFrame(Produce, 7, 2, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'quiet', partitionData: [{ index: 0, records: encodeBatch([{ value: Buffer.from('acked') }]) }] }] }));
    const frame = (await c.next())!;
    assert.equal(frame.readInt32BE(0), 2, 'the first response is for the acks=1 request');
    const body = decodeFromBuffer<{ responses: { partitionResponses: { errorCode: number; baseOffset: number }[] }[] }>(Produce, 'response', 7, frame.subarray(4));
    assert.deepEqual(body.responses[0]!.partitionResponses.map((p) => [p.errorCode, p.baseOffset]), [[0, 1]]);
    // A corrupt batch (flipped CRC byte) is refused with CORRUPT_MESSAGE and nothing is stored.
    const bad = Buffer.from(encodeBatch([{ value: Buffer.from('x') }]));
    bad[bad.length - 1]! ^= 0xff;
    c.send(requestFrame(Produce, 9, 3, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'quiet', partitionData: [{ index: 0, records: bad }] }, { name: 'nope', partitionData: [{ index: 0, records: bad }] }] }));
    const f3 = (await c.next())!;
    const b3 = decodeFromBuffer<{ responses: { partitionResponses: { errorCode: number }[] }[] }>(Produce, 'response', 9, f3.subarray(5));
    assert.deepEqual(b3.responses.map((r) => r.partitionResponses[0]!.errorCode), [2, 3]);
    assert.equal(h.log.partition('quiet', 0).highWatermark, 2);
  } finally {
    c.close();
    await h.stop();
  }
});

test('Produce answers the broker\'s append time for LogAppendTime topics and -1 for CreateTime ones', async () => {
  const h = await startBroker();
  await h.log.createTopic('appended', 1, { messageTimestampType: 'LogAppendTime' });
  await h.log.createTopic('created', 1);
  const c = await RawClient.connect(h.broker.port);
  try {
    const before = Date.now();
    const records = (): Buffer => encodeBatch([{ value: Buffer.from('v'), timestamp: 1 }]);
    c.send(requestFrame(Produce, 8, 1, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'appended', partitionData: [{ index: 0, records: records() }] }, { name: 'created', partitionData: [{ index: 0, records: records() }] }] }));
    const frame = (await c.next(5000))!;
    const body = decodeFromBuffer<{ responses: { name: string; partitionResponses: { errorCode: number; logAppendTimeMs: number }[] }[] }>(Produce, 'response', 8, frame.subarray(4));
    const byName = new Map(body.responses.map((r) => [r.name, r.partitionResponses[0]!]));
    assert.equal(byName.get('appended')!.errorCode, 0);
    assert.ok(byName.get('appended')!.logAppendTimeMs >= before, `append time ${byName.get('appended')!.logAppendTimeMs}`);
    assert.equal(byName.get('created')!.logAppendTimeMs, -1);
  } finally {
    c.close();
    await h.stop();
  }
});

test('a long poll over two partitions returns when the second one gets data', async () => {
  const h = await startBroker();
  await h.log.createTopic('two', 2);
  const c = await RawClient.connect(h.broker.port);
  try {
    const started = Date.now();
    const partitions = [0, 1].map((partition) => ({ partition, fetchOffset: 0, partitionMaxBytes: 1 << 20 }));
    c.send(requestFrame(Fetch, 12, 9, { replicaId: -1, maxWaitMs: 10_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'two', partitions }], forgottenTopicsData: [], rackId: '' }));
    setTimeout(() => void h.log.partition('two', 1).append(encodeBatch([{ value: Buffer.from('late') }])), 200);
    const frame = (await c.next(5000))!;
    assert.ok(Date.now() - started < 3000, `answered after ${Date.now() - started} ms`);
    const body = decodeFromBuffer<{ responses: { partitions: { partitionIndex: number; highWatermark: number }[] }[] }>(Fetch, 'response', 12, frame.subarray(5));
    assert.deepEqual(body.responses[0]!.partitions.map((p) => p.highWatermark), [0, 1]);
  } finally {
    c.close();
    await h.stop();
  }
});
