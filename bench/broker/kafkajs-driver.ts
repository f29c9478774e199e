// Sluice through kafkajs 2.2.4 (the most used pure-JS Kafka client): producer.sendBatch with
// a few batches in flight, a group consumer with eachBatch, and the fixed-rate latency run
// (one producer, one consumer with a short fetch max wait).
// May import: kafkajs, ./driver.ts, ./latency.ts.
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Consumer, EachBatchHandler, Message, Producer } from 'kafkajs';
import type { Acks, Driver } from './driver.js';
import { payload } from './driver.js';
import { LatencyRecorder, pace, readStamp, stampedValue, waitUntil } from './latency.js';

const IN_FLIGHT_BATCHES = 4;

export class KafkajsDriver implements Driver {
  readonly name = 'sluice-kafkajs';
  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
  ) {}

  static async connect(address: string): Promise<KafkajsDriver> {
    const kafka = new Kafka({ brokers: [address], clientId: 'bench-broker', logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    const admin = kafka.admin();
    await admin.connect();
    return new KafkajsDriver(kafka, admin);
  }

  /**
   * A producer per run: a kafkajs producer keeps refreshing metadata for every topic it has
   * produced to, and fails once one of them is deleted (as remove() does between runs).
   */
  async producer(): Promise<Producer> {
    const producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    return producer;
  }

  async create(topic: string): Promise<void> {
    await this.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  }

  async produce(topic: string, size: number, count: number, acks: Acks): Promise<number> {
    await this.create(topic);
    const batchSize = Math.max(100, Math.min(5000, Math.floor((512 * 1024) / size)));
    const value = payload(size);
    const messages: Message[] = Array.from({ length: batchSize }, () => ({ value }));
    const producer = await this.producer();
    try {
      const t0 = performance.now();
      const pending = new Set<Promise<unknown>>();
      for (let sent = 0; sent < count; ) {
        const n = Math.min(batchSize, count - sent);
        sent += n;
        const p: Promise<unknown> = producer.sendBatch({ acks, topicMessages: [{ topic, messages: n === batchSize ? messages : messages.slice(0, n) }] }).finally(() => pending.delete(p));
        pending.add(p);
        if (pending.size >= IN_FLIGHT_BATCHES) await Promise.race(pending);
      }
      await Promise.all(pending);
      return (performance.now() - t0) / 1000;
    } finally {
      await producer.disconnect();
    }
  }

  private consumer(group: string, maxWaitTimeInMs: number): Consumer {
    return this.kafka.consumer({ groupId: group, maxBytesPerPartition: 8 << 20, maxBytes: 32 << 20, minBytes: 1, maxWaitTimeInMs, allowAutoTopicCreation: false });
  }

  /**
   * Offsets are committed every 5 s, as the Java client's auto.commit.interval.ms default
   * does (kafkajs' own default commits after every batch); the commit is not what is measured.
   */
  private run(consumer: Consumer, eachBatch: EachBatchHandler): Promise<void> {
    return consumer.run({ autoCommitInterval: 5000, eachBatch });
  }

  async consume(topic: string, count: number): Promise<number> {
    const consumer = this.consumer(`bench-${topic}`, 100);
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let t0 = 0;
      let got = 0;
      let t1 = 0;
      consumer.on(consumer.events.GROUP_JOIN, () => (t0 ||= performance.now()));
      await this.run(consumer, async ({ batch }) => {
        t0 ||= performance.now();
        got += batch.messages.length;
        if (got >= count && t1 === 0) t1 = performance.now();
      });
      await waitUntil(() => t1 !== 0, 300_000, `kafkajs to consume ${count} records of ${topic} (got ${got})`);
      if (got !== count) throw new Error(`kafkajs consumed ${got} records of ${topic}, expected ${count}`);
      return (t1 - t0) / 1000;
    } finally {
      await consumer.disconnect();
    }
  }

  async latency(topic: string, rate: number, durationMs: number, warmupMs: number, acks: Acks): Promise<LatencyRecorder> {
    await this.create(topic);
    const consumer = this.consumer(`bench-${topic}`, 5);
    const producer = await this.producer();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let joined = false;
      consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
      const recorder = new LatencyRecorder(Math.ceil((rate * durationMs) / 1000) + 1000);
      await this.run(consumer, async ({ batch }) => {
        const now = performance.now();
        for (const m of batch.messages) recorder.record(readStamp(m.value), now);
      });
      await waitUntil(() => joined, 30_000, 'the kafkajs consumer to join its group');
      recorder.begin(performance.now() + warmupMs);
      let errors = 0;
      const offered = await pace(rate, durationMs, (n, stamp) => {
        const value = stampedValue(stamp);
        const messages: Message[] = Array.from({ length: n }, () => ({ value }));
        producer.send({ topic, acks, messages }).catch(() => errors++);
      });
      await waitUntil(() => recorder.received >= offered, 30_000, `kafkajs to read back ${offered} records (got ${recorder.received})`);
      if (errors > 0) throw new Error(`${errors} kafkajs sends failed during the latency run`);
      return recorder;
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  }

  async remove(topic: string): Promise<void> {
    await this.admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await this.admin.deleteGroups([`bench-${topic}`]).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.admin.disconnect();
  }
}
