// The system under test, run as a child process of the e2e benchmark: the Kafka-protocol broker
// and the clickstream job in ONE process over one embedded log, wired as `sluice demo` does
// (examples/clickstream/demo.ts) minus the generator, the web UI and the dashboard poller, which
// would add load that is not part of the pipeline. The job needs the log object itself
// (topic() / topicSink() reach it through LogAccess; there is no LogAccess over the Kafka
// protocol), so it cannot live in a process of its own.
//   --data-dir DIR            a fresh directory (the benchmark removes it)
//   --checkpoint-every MS     0 = no checkpoints: result topics are appended directly (visible
//                             at once); N > 0 = exactly-once result topics, committed every N ms
// Prints "e2e job listening on 127.0.0.1:PORT" once the broker listens and the job's topics
// exist, then one JSON stats line every 200 ms ({"stat":1,"t","end","in","cp"}) so the
// benchmark can follow the job's lag. SIGTERM stops it gracefully.
// May import: src/log, src/broker, examples/clickstream/job.ts, ./echo-topic.ts, node built-ins.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Log } from '../../src/log/log.js';
import { Broker } from '../../src/broker/server.js';
import { buildClickstreamJob, CLICKSTREAM_TOPICS } from '../../examples/clickstream/job.js';
import { ECHO_TOPIC } from './echo-topic.js';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, 'checkpoint-every': { type: 'string', default: '0' } } });
const dataDir = values['data-dir'];
const checkpointEvery = Number(values['checkpoint-every']);
if (dataDir === undefined || !Number.isInteger(checkpointEvery) || checkpointEvery < 0) {
  console.error('usage: job-process.ts --data-dir DIR [--checkpoint-every MS]');
  process.exit(2);
}

// The demo's log settings: flushed every 200 ms (reads do not wait for it; acks=all does).
const log = await Log.open({ dataDir, flush: { mode: 'interval', intervalMs: 200 } });
await log.createTopic(CLICKSTREAM_TOPICS.clicks, 1);
await log.createTopic(ECHO_TOPIC, 1);
const broker = await Broker.start({ log, ownsLog: false, port: 0 });
const job = buildClickstreamJob({
  resources: { log },
  ...(checkpointEvery > 0 ? { checkpoints: { every: checkpointEvery, dir: path.join(dataDir, 'checkpoints') } } : {}),
});
const handle = job.start();
let failed: unknown;
handle.done.catch((err: unknown) => {
  failed = err;
  console.error(`e2e job: the job failed: ${String(err)}`);
  process.exitCode = 1;
});

// The sinks create their topics when the job starts; consumers subscribe only once they exist.
const resultTopics = [CLICKSTREAM_TOPICS.late, `${CLICKSTREAM_TOPICS.clicks}.dlq`, CLICKSTREAM_TOPICS.pageViews];
const deadline = Date.now() + 60_000;
while (!resultTopics.every((t) => log.hasTopic(t))) {
  if (failed !== undefined || Date.now() > deadline) {
    console.error('e2e job: the result topics were not created within 60 s');
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 20));
}
console.log(`e2e job listening on ${broker.host}:${broker.port}`);

const clicks = log.partition(CLICKSTREAM_TOPICS.clicks, 0);
const stats = setInterval(() => {
  const m = handle.metrics();
  const line = { stat: 1, t: performance.timeOrigin + performance.now(), end: clicks.highWatermark, in: m['records-in'] ?? 0, cp: m['checkpoints-completed'] ?? 0 };
  console.log(JSON.stringify(line));
}, 200);

await new Promise<void>((resolve) => {
  process.once('SIGTERM', () => resolve());
  process.once('SIGINT', () => resolve());
  handle.done.then(
    () => resolve(),
    () => resolve(),
  );
});
clearInterval(stats);
await handle.stop().catch(() => undefined);
await broker.stop();
await log.close();
// Timers of the log or the job may still be pending; the profile (--cpu-prof) is written on exit.
process.exit(process.exitCode ?? 0);
