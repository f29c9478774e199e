// Sends the simulated clickstream to any Kafka endpoint with kafkajs, paced to --rate clicks
// per second in real event time:
//   node --import tsx examples/clickstream/produce.ts --brokers 127.0.0.1:9092 --rate 1000
// Options: --topic (default clickstream.clicks), --seed, --duration SECONDS (default: until Ctrl-C).
// May import ./live.ts, ./job.ts (topic name), kafkajs.
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startLiveClicks } from './live.js';
import { CLICKSTREAM_TOPICS } from './job.js';

export async function produceClicks(o: { brokers: string[]; topic: string; rate: number; seed?: number; durationSec?: number }): Promise<number> {
  const kafka = new Kafka({ clientId: 'sluice-clickstream-generator', brokers: o.brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: true, maxInFlightRequests: 1 });
  await producer.connect();
  let failure: unknown;
  const live = startLiveClicks({
    rate: o.rate,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    send: async (clicks) => {
      await producer.send({ topic: o.topic, messages: clicks.map((c) => ({ key: c.userId, value: JSON.stringify(c), timestamp: String(c.ts) })) });
    },
    onError: (err) => (failure = err),
  });
  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (o.durationSec !== undefined) setTimeout(done, o.durationSec * 1000).unref();
  });
  await live.stop();
  await producer.disconnect();
  if (failure) throw failure;
  return live.sent();
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const { values } = parseArgs({
    options: { brokers: { type: 'string', default: '127.0.0.1:9092' }, topic: { type: 'string', default: CLICKSTREAM_TOPICS.clicks }, rate: { type: 'string', default: '100' }, seed: { type: 'string' }, duration: { type: 'string' } },
  });
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0) {
    console.error(`--rate must be a positive number, got ${values.rate}`);
    process.exit(2);
  }
  const sent = await produceClicks({
    brokers: values.brokers.split(','),
    topic: values.topic,
    rate,
    ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
    ...(values.duration !== undefined ? { durationSec: Number(values.duration) } : {}),
  });
  console.log(`sent ${sent} clicks to ${values.topic}`);
}
