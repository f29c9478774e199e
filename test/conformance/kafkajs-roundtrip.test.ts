// kafkajs 2.2.4 against the Sluice broker: 100,000 records with keys and headers across 6
// partitions round-trip intact for every compression codec kafkajs offers (gzip built in;
// snappy, lz4, zstd through adapters over src/codec), with acks=-1 and acks=1 both used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import type { Message } from 'kafkajs';
import { startBroker } from './broker-harness.js';
import { registerKafkajsCodecs } from '../../src/connectors/kafka/kafka-client.js';

registerKafkajsCodecs();

const RECORDS = 100_000;
const PARTITIONS = 6;
const BATCH = 2_000;

const CODECS = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4],
  ['zstd', CompressionTypes.ZSTD],
] as const;

function message(i: number): Message {
  return {
    key: `key-${i % 977}`,
    value: `value-${i}-${'x'.repeat(i % 50)}`,
    partition: i % PARTITIONS,
    headers: { seq: String(i), kind: i % 2 === 0 ? 'even' : 'odd' },
  };
}

test('kafkajs: 100,000 keyed records with headers round-trip intact per codec, acks -1 and 1', { timeout: 600_000 }, async () => {
  const h = await startBroker();
  const kafka = new Kafka({ brokers: [h.address], clientId: 'conformance', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const [name, codec] of CODECS) {
      const topic = `roundtrip-${name}`;
      assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true }), true);
      for (let start = 0, n = 0; start < RECORDS; start += BATCH, n++) {
        const messages: Message[] = [];
        for (let i = start; i < Math.min(RECORDS, start + BATCH); i++) messages.push(message(i));
        const acks = n % 2 === 0 ? -1 : 1;
        const meta = await producer.send({ topic, messages, compression: codec, acks });
        assert.ok(meta.every((m) => m.errorCode === 0), `${name}: produce errors ${JSON.stringify(meta)}`);
      }
      const offsets = await admin.fetchTopicOffsets(topic);
      assert.equal(offsets.reduce((s, o) => s + Number(o.high), 0), RECORDS, `${name}: high watermarks add up`);

      const seen = new Uint8Array(RECORDS);
      let count = 0;
      const consumer = kafka.consumer({ groupId: `g-${name}`, maxWaitTimeInMs: 200, maxBytesPerPartition: 2 * 1024 * 1024 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const done = new Promise<void>((resolve, reject) => {
        void consumer.run({
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            try {
              let prev = -1;
              for (const m of batch.messages) {
                const off = Number(m.offset);
                assert.ok(off > prev, 'offsets strictly increase within a batch');
                prev = off;
                const i = Number(m.headers!.seq!.toString());
                const want = message(i);
                assert.equal(batch.partition, want.partition, 'partition');
                assert.equal(m.key!.toString(), want.key);
                assert.equal(m.value!.toString(), want.value);
                assert.equal(m.headers!.kind!.toString(), i % 2 === 0 ? 'even' : 'odd');
                assert.equal(seen[i], 0, `record ${i} seen twice`);
                seen[i] = 1;
                count++;
              }
              if (count === RECORDS) resolve();
            } catch (err) {
              reject(err as Error);
            }
          },
        });
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name}: consumed only ${count}`)), 120_000);
      });
      try {
        await Promise.race([done, timeout]);
      } finally {
        clearTimeout(timer);
      }
      await consumer.disconnect();
      assert.equal(count, RECORDS, `${name}: every record consumed once`);
    }
  } finally {
    await producer.disconnect();
    await admin.disconnect();
    await h.stop();
  }
});
