// Fuzzing the broker's front door with fast-check: 100,000 generated frames (truncated,
// negative or huge lengths, unknown keys and versions, over-long varints, random bytes after
// a valid header, and well-formed requests mixed in) over many connections, while a kafkajs
// producer and consumer keep working on another connection. The broker must never crash,
// its heap must not grow without bound, and every kafkajs record must arrive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { requestFrame } from './raw-client.js';
import { ApiVersions, Metadata } from '../../src/broker/protocol/messages.js';
import { startBroker } from './broker-harness.js';

const FRAMES = 100_000;
const PER_CONNECTION = 20;
const SERVED_KEYS = [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 25, 26, 28, 32, 42];

function withSize(body: Buffer, size = body.length): Buffer {
  const f = Buffer.alloc(4 + body.length);
  f.writeInt32BE(size, 0);
  body.copy(f, 4);
  return f;
}

function header(key: number, version: number, correlationId: number): Buffer {
  const h = Buffer.alloc(10);
  h.writeInt16BE(key, 0);
  h.writeInt16BE(version, 2);
  h.writeInt32BE(correlationId, 4);
  h.writeInt16BE(-1, 8);
  return h;
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u));

// Frames that keep the connection open (answered normally).
const benign = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer(), fc.string({ maxLength: 30 })).map(([v, id, cid]) =>
    requestFrame(ApiVersions, v, id, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '0' }, cid),
  ),
  fc.tuple(fc.integer({ min: 4, max: 32767 }), fc.integer()).map(([v, id]) => withSize(Buffer.concat([header(18, v, id), Buffer.from([0])]))),
  fc.tuple(fc.integer({ min: 4, max: 9 }), fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 })).map(([v, names]) =>
    requestFrame(Metadata, v, 1, { topics: names.map((name) => ({ name })), allowAutoTopicCreation: false }),
  ),
);

// Frames that may (and mostly do) end the connection.
const hostile = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 9 }).map((n) => withSize(Buffer.alloc(0), n)), // negative / tiny length
  fc.integer({ min: 100 * 1024 * 1024 + 1, max: 2 ** 31 - 1 }).map((n) => withSize(Buffer.alloc(8), n)), // huge length
  fc.tuple(fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: -32768, max: 32767 }), bytes(40)).map(([k, v, b]) => withSize(Buffer.concat([header(k, v, 1), b]))),
  fc.tuple(fc.constantFrom(...SERVED_KEYS), fc.integer({ min: 0, max: 15 }), bytes(80)).map(([k, v, b]) => withSize(Buffer.concat([header(k, v, 2), b]))),
  fc.tuple(fc.constantFrom(...SERVED_KEYS), fc.integer({ min: 0, max: 15 })).map(([k, v]) => withSize(Buffer.concat([header(k, v, 3), Buffer.alloc(11, 0xff)]))), // over-long varints
  fc.tuple(bytes(60), fc.integer({ min: 1, max: 5000 })).map(([b, extra]) => withSize(b, b.length + extra)), // truncated
  bytes(64), // raw garbage
);

const connectionPayload = fc
  .tuple(fc.array(benign, { minLength: PER_CONNECTION - 1, maxLength: PER_CONNECTION - 1 }), hostile)
  .map(([ok, bad]) => Buffer.concat([...ok, bad]));

function blast(port: number, payload: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const t = setTimeout(() => s.destroy(), 2000);
    s.on('connect', () => s.end(payload));
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

test('100,000 fuzzed frames: no crash, bounded heap, kafkajs keeps working', { timeout: 180_000 }, async () => {
  const h = await startBroker({ autoCreateTopics: false });
  await h.log.createTopic('steady', 2);
  const kafka = new Kafka({ brokers: [h.address], clientId: 'steady', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: 'steady', maxWaitTimeInMs: 100 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: 'steady', fromBeginning: true });
  const received = new Set<string>();
  void consumer.run({ eachMessage: async ({ message }) => void received.add(message.value!.toString()) });

  let produced = 0;
  let fuzzing = true;
  const producing = (async () => {
    while (fuzzing) {
      const messages = Array.from({ length: 50 }, (_, i) => ({ value: `m-${produced + i}` }));
      await producer.send({ topic: 'steady', messages, acks: -1 });
      produced += messages.length;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  const heapStart = process.memoryUsage().heapUsed;
  let heapPeak = heapStart;
  let frames = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(connectionPayload, { minLength: 4, maxLength: 4 }), async (payloads) => {
        await Promise.all(payloads.map((p) => blast(h.broker.port, p)));
        frames += payloads.length * PER_CONNECTION;
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }),
      { numRuns: FRAMES / (4 * PER_CONNECTION) },
    );
    assert.ok(frames >= FRAMES, `sent ${frames} frames`);
    assert.ok(heapPeak - heapStart < 256 * 1024 * 1024, `heap grew by ${((heapPeak - heapStart) / 1048576).toFixed(0)} MiB`);
    fuzzing = false;
    await producing;
    assert.ok(produced >= 500, `kafkajs produced ${produced} records during the fuzzing`);
    const deadline = Date.now() + 30_000;
    while (received.size < produced && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(received.size, produced, 'every record produced during the fuzzing was consumed');
    assert.equal(h.log.partition('steady', 0).highWatermark + h.log.partition('steady', 1).highWatermark, produced, 'and stored exactly once');
  } finally {
    fuzzing = false;
    await producing.catch(() => undefined);
    await consumer.disconnect();
    await producer.disconnect();
    await h.stop();
  }
});
