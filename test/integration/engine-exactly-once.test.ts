// Exactly-once end to end: a keyed running count from a log topic to a log topic, run as a
// child process killed with SIGKILL at random moments and restarted from its checkpoint each
// time. It writes a keyed running count and tumbling-window counts. The committed output must equal the output of a run without failures: every
// (key, count) exactly once, counts per key contiguous.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from '../../src/log/log.js';
import { pipeline } from '../../src/engine/api/pipeline.js';
import { topic } from '../../src/engine/sources/log-topic-source.js';
import { collectSink } from '../../src/engine/sinks/collect-sink.js';
import { string } from '../../src/engine/formats/string.js';
import { runChildJob, type ChildRun } from './support/child-job.js';
import { fillTopic } from './support/fill-topic.js';

const JOB = new URL('./fixtures/engine-eo-job.ts', import.meta.url).pathname;
const RECORDS = 180000;
const KEYS = 50;

async function prepare(): Promise<{ dir: string; dataDir: string; ckDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-eo-'));
  const dataDir = join(dir, 'data');
  const ckDir = join(dir, 'ck');
  const log = await Log.open({ dataDir });
  await fillTopic(log, 'in', 3, RECORDS, (i) => {
    const k = i % KEYS;
    return { partition: k % 3, record: { value: Buffer.from(JSON.stringify({ k, i })), timestamp: 1_000_000 + i } };
  });
  await log.close();
  return { dir, dataDir, ckDir };
}

/** Runs the job to its end, or (kill) kills it at a random moment after its first completed checkpoint. */
function runChild(dataDir: string, ckDir: string, kill = false): Promise<ChildRun> {
  return kill ? runChildJob(JOB, [dataDir, ckDir, 'kill-point'], { on: 'kill-point' }) : runChildJob(JOB, [dataDir, ckDir]);
}

async function committedOutput(dataDir: string, name = 'out'): Promise<string[]> {
  const log = await Log.open({ dataDir });
  const sink = collectSink<string>();
  const job = pipeline('read-out', { resources: { log } });
  job.from(topic(name, { format: string(), bounded: true })).to(sink);
  await job.run();
  await log.close();
  return sink.collected.values;
}

function checkCounts(out: string[]): void {
  const perKey = new Map<number, number[]>();
  for (const s of out) {
    const [k, n] = s.split(':').map(Number) as [number, number];
    let l = perKey.get(k);
    if (!l) perKey.set(k, (l = []));
    l.push(n);
  }
  assert.equal(perKey.size, KEYS);
  for (const [k, l] of perKey) {
    assert.deepEqual(l, Array.from({ length: RECORDS / KEYS }, (_v, i) => i + 1), `key ${k}: counts in order, each once`);
  }
}

test('keyed count from topic to topic is exactly-once across 20 SIGKILLs', { timeout: 180_000 }, async () => {
  const ref = await prepare();
  const chaos = await prepare();
  try {
    await runChild(ref.dataDir, ref.ckDir);
    const expected = await committedOutput(ref.dataDir);
    assert.equal(expected.length, RECORDS);
    checkCounts(expected);
    const expectedWindows = await committedOutput(ref.dataDir, 'win');
    // One one-second window per 1,000 records per key, each counting every record of that key in it.
    assert.equal(expectedWindows.length, KEYS * (RECORDS / 1000));
    assert.equal(expectedWindows.reduce((a, s) => a + Number(s.split(':')[2]), 0), RECORDS);

    let killed = 0;
    for (let i = 0; i < 20; i++) {
      const r = await runChild(chaos.dataDir, chaos.ckDir, true);
      if (r.signal === 'SIGKILL') killed++;
      else break; // the job completed: nothing left to interrupt
    }
    await runChild(chaos.dataDir, chaos.ckDir);
    const actual = await committedOutput(chaos.dataDir);
    assert.equal(killed, 20, `every run was killed mid-way (${killed} of 20)`);
    assert.equal(actual.length, RECORDS);
    checkCounts(actual);
    assert.deepEqual([...actual].sort(), [...expected].sort());
    assert.deepEqual([...(await committedOutput(chaos.dataDir, 'win'))].sort(), [...expectedWindows].sort());
  } finally {
    rmSync(ref.dir, { recursive: true, force: true });
    rmSync(chaos.dir, { recursive: true, force: true });
  }
});
