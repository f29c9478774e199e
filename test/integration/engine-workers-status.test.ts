// status() and onCheckpoint on the worker-thread runtime report what they report on one
// thread: per subtask records in/out, busy and idle time, watermarks and source positions
// (each worker sends its subtasks' counters every 500 ms and at the end), and every
// checkpoint with its id, timing, size and outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointStats, JobStatus, SubtaskStatus } from '../../src/engine/runtime/job-status.js';
import { buildJob, PER_PARTITION, PARTITIONS } from './fixtures/engine-worker-job.js';

const MODULE = new URL('./fixtures/engine-worker-job.ts', import.meta.url).href;
const TOTAL = PER_PARTITION * PARTITIONS;

const sum = (xs: readonly SubtaskStatus[], f: (s: SubtaskStatus) => number): number => xs.reduce((a, s) => a + f(s), 0);
const ofKind = (st: JobStatus, kind: SubtaskStatus['kind']): SubtaskStatus[] => st.subtasks.filter((s) => s.kind === kind);

test('worker threads: status() has every subtask of every worker, live and final; onCheckpoint reports each checkpoint', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-workers-status-'));
  try {
    const args = [2, dir, 2000, 100];
    const job = buildJob(2, dir, 2000, 100);
    const handle = job.start({ workers: { module: MODULE, export: 'buildJob', args } });
    // Until every worker has loaded the job and runs its subtasks, the job is initializing.
    assert.equal(handle.status().state, 'initializing');
    const seen: CheckpointStats[] = [];
    handle.onCheckpoint((c) => seen.push(c));

    // Mid-run: a report of both workers arrives while the sources are still producing.
    let live: JobStatus | undefined;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const st = handle.status();
      const read = sum(ofKind(st, 'source'), (s) => s.recordsOut);
      // A worker's first report comes after it runs, so both reporting means both run.
      if (new Set(st.subtasks.map((s) => s.subtask)).size === 2 && read > 0 && read < TOTAL) {
        live = st;
        break;
      }
    }
    assert.ok(live, 'a live status with both workers before the end');
    assert.equal(live.state, 'running');
    assert.ok(live.uptimeMs > 0);

    const res = await handle.done;
    const st = handle.status();
    assert.equal(st.state, 'finished');
    // One entry per node and subtask: 5 nodes (source, keyed process, map, map, sink) x 2.
    assert.equal(st.subtasks.length, job.graph.nodes.length * 2);
    for (const node of job.graph.nodes) assert.deepEqual(st.subtasks.filter((s) => s.uid === node.uid).map((s) => s.subtask).sort(), [0, 1], node.uid);
    const sources = ofKind(st, 'source');
    assert.equal(sum(sources, (s) => s.recordsOut), TOTAL, 'every generated record counted once');
    for (const s of sources) assert.ok(s.positions && Object.keys(s.positions).length > 0, 'source positions');
    const sinks = ofKind(st, 'sink');
    // A count per record plus one final line per key.
    assert.equal(sum(sinks, (s) => s.recordsIn), TOTAL + 37);
    const keyed = st.subtasks.filter((s) => s.name === 'keyed-process');
    assert.equal(sum(keyed, (s) => s.recordsIn), TOTAL);
    for (const s of st.subtasks) {
      assert.ok(s.busyMs >= 0 && s.idleMs >= 0 && s.busyMs + s.idleMs + s.backpressuredMs <= st.uptimeMs + 1, `times within the uptime (${s.uid}/${s.subtask})`);
    }
    assert.ok(sum(keyed, (s) => s.busyMs) > 0, 'busy time measured');
    assert.ok(keyed.every((s) => s.watermark >= PER_PARTITION - 1), 'the final watermark reached the keyed operator');

    // Checkpoints: the listener saw each one, and the history agrees with it and the result.
    const completed = res.metrics['checkpoints-completed'] ?? 0;
    assert.ok(completed >= 2, `periodic checkpoints and the final one (${completed})`);
    assert.equal(st.checkpoints.completed, completed);
    assert.equal(st.checkpoints.failed, 0);
    assert.equal(st.checkpoints.inProgress, null);
    assert.deepEqual(st.checkpoints.history, seen);
    assert.deepEqual(seen.map((c) => c.id), Array.from({ length: seen.length }, (_, i) => (seen[0] as CheckpointStats).id + i));
    for (const c of seen) {
      assert.equal(c.status, 'completed');
      assert.equal(c.savepoint, false);
      assert.ok(c.durationMs >= 0 && c.triggeredAt > 0);
      assert.ok(c.sizeBytes !== null && c.sizeBytes > 0, 'size of the checkpoint file');
      assert.match(c.path ?? '', /chk-\d+\.ckpt$/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
