// Log topics on worker threads: the main thread owns the Log, workers read and write it through
// the log proxy (batched requests over a MessagePort). A keyed windowed job from a 4-partition
// topic to a topic must give at parallelism 2 on workers exactly what it gives at parallelism 1
// on one thread, with the transactional sink committed on checkpoints; a stop-with-savepoint
// on workers restores at another parallelism (on workers and on one thread) without a lost or
// duplicated committed record, and a run SIGKILLed mid-way (worker threads and all) and
// restarted from its checkpoints, at changing parallelism, commits every window exactly once.
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
import { buildLogJob, fillInput, KEYS, PARTITIONS, PER_PARTITION } from './fixtures/engine-worker-log-job.js';
import { runChildJob } from './support/child-job.js';

const MODULE = new URL('./fixtures/engine-worker-log-job.ts', import.meta.url).href;

async function withLog(fn: (log: Log, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-workers-log-'));
  const log = await Log.open({ dataDir: join(dir, 'data'), flush: { mode: 'os' }, cleaner: false });
  try {
    await fn(log, dir);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What read_committed consumers see in a topic. */
async function committed(log: Log, name: string): Promise<string[]> {
  const sink = collectSink<string>();
  const job = pipeline(`read-${name}`, { resources: { log } });
  job.from(topic(name, { format: string(), bounded: true })).to(sink);
  await job.run();
  return [...sink.collected.values].sort();
}

/** Sum of the window counts: every input record counted once. */
function total(lines: string[]): number {
  return lines.reduce((a, s) => a + Number(s.split(':')[2]), 0);
}

test('a keyed windowed job from a 4-partition log topic at parallelism 2 on worker threads equals parallelism 1', { timeout: 90_000 }, async () => {
  await withLog(async (log, dir) => {
    await fillInput(log, 0, PER_PARTITION);
    const one = await buildLogJob(1, join(dir, 'ck1'), 'out1', true, log).run();
    assert.ok(one.checkpoints >= 1);
    const two = await buildLogJob(2, join(dir, 'ck2'), 'out2', true, log).run({
      workers: { module: MODULE, export: 'buildLogJob', args: [2, join(dir, 'ck2'), 'out2', true] },
    });
    assert.equal(two.metrics['records-in'], PARTITIONS * PER_PARTITION);
    assert.ok((two.metrics['checkpoints-completed'] ?? 0) >= 1, 'the final checkpoint at least: it commits the sink transactions');
    const expected = await committed(log, 'out1');
    assert.equal(total(expected), PARTITIONS * PER_PARTITION);
    assert.ok(expected.length > KEYS * 10, `many windows (${expected.length})`);
    assert.deepEqual(await committed(log, 'out2'), expected);
    // Both sink subtasks wrote (keys spread over 2 output partitions), all of it committed.
    for (let p = 0; p < 2; p++) assert.ok(log.partition('out2', p).lastStableOffset > 0, `out2-${p} has committed data`);
  });
});

test('stop-with-savepoint on 2 workers with log topics restores at 3 workers and at 1 thread, exactly once', { timeout: 120_000 }, async () => {
  await withLog(async (log, dir) => {
    // Half the input, an unbounded run on workers, a savepoint; then the rest, restored elsewhere.
    await fillInput(log, 0, PER_PARTITION / 2);
    const ck = join(dir, 'ck');
    const first = buildLogJob(2, ck, 'out', false, log);
    const handle = first.start({ workers: { module: MODULE, export: 'buildLogJob', args: [2, ck, 'out', false] } });
    const deadline = Date.now() + 40_000;
    while (!log.hasTopic('out') || (await committed(log, 'out')).length < KEYS) {
      assert.ok(Date.now() < deadline, 'windows committed by periodic checkpoints while running');
      await new Promise((r) => setTimeout(r, 200));
    }
    const res = await handle.stop({ savepoint: true });
    assert.ok(res.savepoint, 'savepoint written');
    const before = await committed(log, 'out');
    assert.ok(total(before) > 0 && total(before) <= (PARTITIONS * PER_PARTITION) / 2, `first half only (${total(before)})`);
    await fillInput(log, PER_PARTITION / 2, PER_PARTITION);

    // The reference: one thread over the whole input.
    await buildLogJob(1, join(dir, 'ref'), 'ref', true, log).run();
    const expected = await committed(log, 'ref');
    assert.equal(total(expected), PARTITIONS * PER_PARTITION);

    // Restored at 3 workers (bounded now): what the first run committed plus the rest, once.
    const ck3 = join(dir, 'ck3');
    await buildLogJob(3, ck3, 'out', true, log).run({
      fromSavepoint: res.savepoint!,
      parallelism: 3,
      workers: { module: MODULE, export: 'buildLogJob', args: [3, ck3, 'out', true] },
    });
    assert.deepEqual(await committed(log, 'out'), expected);

    // The same savepoint restored on one thread into a fresh topic gives the second part.
    const ck1 = join(dir, 'ck1');
    await buildLogJob(1, ck1, 'out-b', true, log).run({ fromSavepoint: res.savepoint! });
    const second = await committed(log, 'out-b');
    assert.deepEqual([...before, ...second].sort(), expected);
  });
});

const CHILD = new URL('./fixtures/engine-worker-log-child.ts', import.meta.url).pathname;

async function runChild(dataDir: string, ckDir: string, parallelism: number, kill: boolean): Promise<{ signal: string | null; progressed: boolean }> {
  let progressed = false;
  // Killed shortly after the output's committed end first grows in this run: mid-way, after progress.
  const r = await runChildJob(CHILD, [dataDir, ckDir, String(parallelism)], {
    onOutput: (s) => {
      if (s.includes('committed')) progressed = true;
    },
    afterLine: 'committed',
    afterMs: kill ? Math.floor(Math.random() * 150) : undefined,
    guardMs: 50_000,
  });
  return { signal: r.signal, progressed };
}

test('SIGKILLed mid-way on worker threads and restarted at changing parallelism, the committed output is exactly once', { timeout: 150_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-workers-log-kill-'));
  const PER = 20_000;
  try {
    // The reference, on one thread in this process.
    const ref = await Log.open({ dataDir: join(dir, 'ref'), flush: { mode: 'os' }, cleaner: false });
    await fillInput(ref, 0, PER);
    await buildLogJob(1, join(dir, 'ref-ck'), 'out', true, ref).run();
    const expected = await committed(ref, 'out');
    await ref.close();
    assert.equal(total(expected), PARTITIONS * PER);

    const dataDir = join(dir, 'chaos');
    const chaos = await Log.open({ dataDir, flush: { mode: 'os' }, cleaner: false });
    await fillInput(chaos, 0, PER);
    await chaos.close();
    const ck = join(dir, 'chaos-ck');
    let killed = 0;
    for (let i = 0; i < 6; i++) {
      const r = await runChild(dataDir, ck, 2 + (i % 2), true);
      if (r.signal !== 'SIGKILL') break; // finished before the kill: nothing left to interrupt
      assert.ok(r.progressed, 'killed after committing something');
      killed++;
    }
    await runChild(dataDir, ck, 2, false);
    t.diagnostic(`runs killed mid-way: ${killed}`);
    assert.ok(killed >= 2, `at least 2 runs were killed mid-way (${killed})`);
    const after = await Log.open({ dataDir, flush: { mode: 'os' }, cleaner: false });
    try {
      assert.deepEqual(await committed(after, 'out'), expected);
    } finally {
      await after.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
