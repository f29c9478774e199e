// The load generator of the e2e benchmark, a child process of its own so its CPU is not the
// job's: generated clicks (examples/clickstream/generator.ts) produced with kafkajs at a fixed
// offered rate, open loop (every ~5 ms the clicks due so far; a slow broker makes them queue
// here, and that queueing counts in their latency). Every value carries `sentAt`, the wall
// clock (performance.timeOrigin + performance.now(), ms) when the click fell due, i.e. when it
// was produced by the application; the job passes unknown fields through.
//
// Event time: the generator's clicks come in arrival order with a simulated network delay
// (arrival - ts: most under the 5 s watermark delay, ~3% late by 10 s .. 3 min); the benchmark
// keeps each click's delay and puts its arrival at the wall clock (+ an offset), so the offered
// rate is exact from the first second and lateness is as the generator made it.
// Two kinds of probe are mixed in (each `probe` field names it):
//   - "late": a click whose event time is 10 minutes old, beyond the 1-minute allowed lateness,
//     so the page-views window operator sends it to clickstream.late at once;
//   - "dlq": a JSON value that is not a click, which the job's validation sends to
//     clickstream.clicks.dlq; a copy goes, in the same Produce request, to bench.e2e.echo,
//     which no job reads (the baseline: the same path without the job).
// Commands arrive on stdin, one JSON object a line:
//   {"cmd":"run","rate":N,"ms":D,"lateProbes":N,"dlqProbes":N,"alignAfterMs":A?}
//      produces for D ms; with alignAfterMs, event time jumps forward (once, at the start) so
//      that the watermark passes a minute boundary A ms after the start;
//   {"cmd":"quit"}.
// Answers on stdout: {"started":EPOCH} then {"done":1,"sent","lateProbes","dlqProbes","lateProbeTimes":[...],
// "dlqProbeTimes":[...],"triggers":[{"windowEnd","sentAt"}...],"ms"}.
// May import: examples/clickstream/generator.ts, kafkajs, node built-ins.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import type { Message } from 'kafkajs';
import { ClickstreamGenerator, CLICKSTREAM_DEFAULTS } from '../../examples/clickstream/generator.js';
import { ECHO_TOPIC } from './echo-topic.js';

const TOPIC = 'clickstream.clicks';
// Like librdkafka's default linger.ms (5): what one tick sends goes in one Produce request.
const TICK_MS = 5;
const MAX_IN_FLIGHT = 16;
const MAX_BATCH = 2000;
const MEAN_CLICKS_PER_SESSION = 3.14;
const WINDOW_MS = CLICKSTREAM_DEFAULTS.windowMs;
const WATERMARK_DELAY_MS = CLICKSTREAM_DEFAULTS.watermarkDelayMs;

const { values } = parseArgs({ options: { brokers: { type: 'string' }, seed: { type: 'string', default: '7' } } });
if (values.brokers === undefined) {
  console.error('usage: producer-process.ts --brokers HOST:PORT [--seed N]');
  process.exit(2);
}
const epochNow = (): number => performance.timeOrigin + performance.now();

const kafka = new Kafka({ clientId: 'sluice-bench-e2e-producer', brokers: [values.brokers], logLevel: logLevel.NOTHING });
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();

let gen: ClickstreamGenerator | undefined;
/** Event time = wall clock + offset (only ever moved forward, so the watermark never goes back). */
let offset = 0;
let maxTs = 0;

interface RunCommand {
  cmd: 'run';
  rate: number;
  ms: number;
  lateProbes: number;
  dlqProbes: number;
  alignAfterMs?: number;
}

async function run(c: RunCommand): Promise<void> {
  gen ??= new ClickstreamGenerator({ seed: Number(values.seed), startTime: 0, sessionsPerMinute: (c.rate * 60) / MEAN_CLICKS_PER_SESSION });
  const start = epochNow();
  if (c.alignAfterMs !== undefined) {
    // Choose the offset so that event time alignAfterMs from now is a minute boundary + the watermark delay.
    const target = start + c.alignAfterMs + offset;
    const boundary = Math.ceil((target - WATERMARK_DELAY_MS) / WINDOW_MS) * WINDOW_MS + WATERMARK_DELAY_MS;
    offset += boundary - target;
  }
  console.log(JSON.stringify({ started: start }));
  const lateProbeTimes: number[] = [];
  const dlqProbeTimes: number[] = [];
  const triggers: { windowEnd: number; sentAt: number }[] = [];
  let sent = 0;
  let lateSent = 0;
  let dlqSent = 0;
  let pending: Message[] = [];
  let echo: Message[] = [];
  let inFlight = 0;
  let failure: unknown;
  const flush = (): void => {
    while (pending.length > 0 && inFlight < MAX_IN_FLIGHT) {
      // At most MAX_BATCH records a request: a backlog must not grow past the broker's max.message.bytes.
      const topicMessages = [{ topic: TOPIC, messages: pending.length > MAX_BATCH ? pending.splice(0, MAX_BATCH) : pending }];
      if (echo.length > 0) topicMessages.push({ topic: ECHO_TOPIC, messages: echo });
      if (topicMessages[0]!.messages === pending) pending = [];
      echo = [];
      inFlight++;
      producer
        .sendBatch({ acks: 1, topicMessages })
        .catch((err: unknown) => (failure ??= err))
        .finally(() => {
          inFlight--;
          flush();
        });
    }
  };
  for (;;) {
    const now = epochNow();
    const elapsed = now - start;
    if (elapsed >= c.ms || failure !== undefined) break;
    const ev = now + offset;
    const due = Math.floor((c.rate * elapsed) / 1000) - sent;
    for (let i = 0; i < due; i++) {
      const click = gen.next();
      const ts = Math.round(ev - (gen.now - click.ts));
      if (ts > maxTs) {
        // The first click past a minute boundary + the watermark delay closes that minute's windows.
        const closes = Math.floor((ts - WATERMARK_DELAY_MS) / WINDOW_MS) * WINDOW_MS;
        if (maxTs > 0 && closes > Math.floor((maxTs - WATERMARK_DELAY_MS) / WINDOW_MS) * WINDOW_MS) triggers.push({ windowEnd: closes, sentAt: now });
        maxTs = ts;
      }
      pending.push({ key: click.userId, value: JSON.stringify({ ...click, ts, sentAt: now }), timestamp: String(ts) });
    }
    sent += Math.max(0, due);
    const lateDue = Math.floor((c.lateProbes * elapsed) / 1000) - lateSent;
    for (let i = 0; i < lateDue; i++) {
      const ts = Math.round(ev - 600_000);
      pending.push({ key: 'probe', value: JSON.stringify({ userId: 'probe', sessionId: 'probe', url: '/probe', page: 'home', referrer: 'direct', ts, sentAt: now, probe: 'late' }), timestamp: String(ts) });
      lateProbeTimes.push(now);
    }
    lateSent += Math.max(0, lateDue);
    const dlqDue = Math.floor((c.dlqProbes * elapsed) / 1000) - dlqSent;
    for (let i = 0; i < dlqDue; i++) {
      const probe: Message = { key: 'probe', value: JSON.stringify({ probe: 'dlq', sentAt: now }), timestamp: String(Math.round(ev)) };
      pending.push(probe);
      echo.push(probe);
      dlqProbeTimes.push(now);
    }
    dlqSent += Math.max(0, dlqDue);
    flush();
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const deadline = Date.now() + 30_000;
  while ((pending.length > 0 || inFlight > 0) && failure === undefined && Date.now() < deadline) {
    flush();
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = epochNow() - start;
  if (failure !== undefined) console.error(`e2e producer: send failed: ${String(failure)}`);
  console.log(JSON.stringify({ done: 1, ok: failure === undefined && pending.length === 0 && inFlight === 0, error: failure === undefined ? undefined : String(failure), sent, lateProbes: lateSent, dlqProbes: dlqSent, lateProbeTimes, dlqProbeTimes, triggers, ms }));
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (line.trim() === '') continue;
  const c = JSON.parse(line) as RunCommand | { cmd: 'quit' };
  if (c.cmd === 'quit') break;
  await run(c);
}
await producer.disconnect();
process.exit(0);
