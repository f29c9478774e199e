// External Kafka source and sink (kafkajs) against `sluice broker` started in-process: a
// topic-to-topic job killed with SIGKILL 10 times and restarted from its checkpoint; a
// read_committed reader of the output sees every result exactly once. Records that do not
// decode go to the dead-letter topic with their origin in headers while the rest flow on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from '../../src/log/log.js';
import { Broker } from '../../src/broker/server.js';
import { pipeline } from '../../src/engine/api/pipeline.js';
import { topic } from '../../src/engine/sources/log-topic-source.js';
import { collectSink } from '../../src/engine/sinks/collect-sink.js';
import { string } from '../../src/engine/formats/string.js';
import { decodeBatches } from '../../src/codec/record-batch.js';
import { DLQ_HEADERS } from '../../src/engine/sources/dead-letters.js';
import { runChildJob, type ChildRun } from './support/child-job.js';

const JOB = new URL('./fixtures/connectors-kafka-job.ts', import.meta.url).pathname;
// Enough work that 10 runs, each killed soon after its first checkpoint, cannot finish it: a
// run usually commits a few hundred records before its kill, but one whose first checkpoint
// is slow has committed up to 46,000 (ten kills left 33,000-69,000 records in the output here).
const RECORDS = 300_000;
const BAD = [17, 1234, 4321];
let dir: string;
let log: Log;
let broker: Broker;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-'));
  log = await Log.open({ dataDir: join(dir, 'broker') });
  await log.createTopic('in', 3);
  await log.createTopic('out', 2);
  for (let p = 0; p < 3; p++) {
    const recs = [];
    for (let i = p; i < RECORDS; i += 3) recs.push({ value: BAD.includes(i) ? Buffer.from(`{broken ${i}`) : Buffer.from(JSON.stringify({ k: i % 10, i })), timestamp: 1000 + i });
    for (let from = 0; from < recs.length; from += 500) await log.partition('in', p).appendRecords(recs.slice(from, from + 500));
  }
  broker = await Broker.start({ log, port: 0, ownsLog: false });
});

after(async () => {
  await broker.stop();
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the job to its end, or (kill) kills it at a random moment after its first completed checkpoint. */
function runChild(ckDir: string, kill = false): Promise<ChildRun> {
  const args = [`127.0.0.1:${broker.port}`, ckDir, join(dir, 'job-data')];
  return kill ? runChildJob(JOB, [...args, 'kill-point'], { on: 'kill-point' }) : runChildJob(JOB, args);
}

test('killed 10 times: a read_committed reader sees every result exactly once; bad records are dead letters', { timeout: 240_000 }, async () => {
  const ckDir = join(dir, 'ck');
  let kills = 0;
  const progress: number[] = [];
  while (kills < 10) {
    const r = await runChild(ckDir, true);
    if (r.signal !== 'SIGKILL') break;
    kills++;
    progress.push(log.partition('out', 0).logEndOffset + log.partition('out', 1).logEndOffset);
  }
  assert.equal(kills, 10, `a run finished before its kill point after ${kills} kills (output after each: ${progress.join(',')})`);
  // The kills landed while the job was producing: its output grew between kills (this sink
  // writes a checkpoint's records when the checkpoint completes, so not after every run), and
  // the last kill still left work for the final run.
  assert.ok(new Set(progress).size >= 2, `output grew across kills: ${progress.join(',')}`);
  assert.equal((await runChild(ckDir)).code, 0);
  const finalEnd = log.partition('out', 0).logEndOffset + log.partition('out', 1).logEndOffset;
  assert.ok(finalEnd > progress[progress.length - 1]!, `the final run still had output to write (${finalEnd})`);

  const sink = collectSink<string>();
  const job = pipeline('check', { resources: { log } });
  job.from(topic('out', { format: string(), bounded: true, isolation: 'read_committed' })).to(sink);
  await job.run();
  const out = sink.collected.values;
  const expected = [];
  for (let i = 0; i < RECORDS; i++) if (!BAD.includes(i)) expected.push(`${i % 10}:${i}`);
  assert.equal(out.length, expected.length, 'no duplicates and nothing missing');
  assert.deepEqual([...out].sort(), expected.sort());

  // Dead letters were written by the job into its own embedded log, with their origin.
  const jobLog = await Log.open({ dataDir: join(dir, 'job-data') });
  try {
    const res = await jobLog.partition('in.dlq', 0).read(0, { maxBytes: 1 << 20 });
    const letters = decodeBatches(res.records).flatMap((b) => b.records);
    const offsets = new Set<string>();
    for (const r of letters) {
      const h = Object.fromEntries(r.headers.map((x) => [x.key, x.value?.toString()]));
      assert.equal(h[DLQ_HEADERS.topic], 'in');
      assert.match(h[DLQ_HEADERS.reason] ?? '', /JSON/);
      assert.ok(Number(h[DLQ_HEADERS.timestamp]) >= 1000);
      const i = Number(/broken (\d+)/.exec(r.value!.toString())![1]);
      assert.equal(Number(h[DLQ_HEADERS.partition]), i % 3);
      assert.equal(Number(h[DLQ_HEADERS.offset]), Math.floor(i / 3));
      offsets.add(`${h[DLQ_HEADERS.partition]}:${h[DLQ_HEADERS.offset]}`);
    }
    // Replays after kills may dead-letter a record again (at-least-once), but every bad record is there.
    assert.equal(offsets.size, BAD.length);
  } finally {
    await jobLog.close();
  }
});
