// The README's five-minute tour: a small pipeline of your own next to the running demo.
// It reads the demo's clicks through the Kafka protocol (the demo's broker owns the data
// directory, so a second process goes through the broker, as any Kafka client would),
// counts clicks arriving from outside the shop per referrer in 10-second event-time windows and prints each result.
//
//   npm start                                                  # in one terminal
//   node --import tsx examples/tour/referrers.ts [127.0.0.1:9092]   # in another
import { pipeline, kafkaSource, consoleSink, json, boundedOutOfOrderness, tumbling, count } from '../../src/index.js';

interface Click {
  userId: string;
  referrer: string;
  url: string;
  ts: number;
}

const broker = process.argv[2] ?? '127.0.0.1:9092';
const job = pipeline('referrers', { checkpoints: { every: '5s', dir: '.sluice-data/tour-checkpoints' } });

job
  .from(kafkaSource<Click>({ brokers: [broker], topics: 'clickstream.clicks', groupId: 'tour-referrers', format: json<Click>(), deadLetterTopic: false }))
  .withWatermarks((c) => c.ts, boundedOutOfOrderness('5s'))
  .filter((c) => !c.referrer.startsWith('https://shop.example'))
  .keyBy((c) => c.referrer)
  .window(tumbling('10s'))
  .aggregate(count())
  .to(consoleSink({ format: (r) => `${new Date(r.window.start).toISOString()}  ${String(r.key).padEnd(28)} ${r.value}` }));

const handle = job.start();
process.once('SIGINT', () => void handle.stop());
await handle.done;
