import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from '../api/pipeline.js';
import { fromCollection } from '../sources/collection-source.js';
import { collectSink } from '../sinks/collect-sink.js';
import { boundedOutOfOrderness } from '../time/watermark-strategy.js';
import { outputTag } from '../api/output-tag.js';
import type { Sink } from '../sinks/sink.js';
import type { CheckpointStats, SubtaskStatus } from './job-status.js';
import { timeBusy } from './job-status.js';

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** A sink whose writes take `ms` each (a slow database). */
function slowSink(ms: number, into: number[]): Sink<number> {
  return {
    name: 'slow',
    async createWriter() {
      return {
        write(values) {
          return new Promise<void>((resolve) =>
            setTimeout(() => {
              into.push(...values);
              resolve();
            }, ms),
          );
        },
        async close() {},
      };
    },
  };
}

const byUid = (subtasks: readonly SubtaskStatus[], uid: string): SubtaskStatus => {
  const s = subtasks.find((x) => x.uid === uid);
  assert.ok(s, `subtask of ${uid}`);
  return s;
};

test('timeBusy charges nested time to the inner timer only', () => {
  const outer = { busyMs: 0 };
  const inner = { busyMs: 0 };
  const t0 = performance.now();
  timeBusy(outer, () => {
    spin(5);
    timeBusy(inner, () => spin(20));
    spin(5);
  });
  const total = performance.now() - t0;
  assert.ok(inner.busyMs >= 20, `inner ${inner.busyMs}`);
  assert.ok(outer.busyMs >= 10, `outer ${outer.busyMs}`);
  // Nested time is counted once: outer's share and inner's add up to the elapsed time (a
  // relation that holds however much the machine delays either part).
  assert.ok(outer.busyMs + inner.busyMs <= total + 0.5, `outer ${outer.busyMs} + inner ${inner.busyMs} > total ${total}`);
});

test('status(): records in/out, side outputs, busy time and watermarks per operator', async () => {
  const job = pipeline('status-counts', { batchSize: 50 });
  const odd = outputTag<number>('odd');
  const items = Array.from({ length: 1000 }, (_v, i) => i);
  const evens = collectSink<number>();
  const odds = collectSink<number>();
  const split = job
    .from(fromCollection(items), { uid: 'numbers' })
    .withWatermarks((x) => x * 1000, boundedOutOfOrderness(0))
    .process<number>(
      {
        processElement(x, ctx, out) {
          if (x % 2 === 0) out.collect(x);
          else ctx.output(odd, x);
        },
      },
      'split',
    );
  const slow = split.map((x) => {
    spin(0.05);
    return x;
  }, 'slow-map');
  slow.to(evens, { uid: 'evens' });
  split.getSideOutput(odd).to(odds, { uid: 'odds' });
  const handle = job.start();
  await handle.done;
  const st = handle.status();
  assert.equal(st.state, 'finished');
  assert.equal(st.jobName, 'status-counts');
  assert.equal(st.subtasks.length, job.graph.nodes.length);
  const src = byUid(st.subtasks, 'numbers');
  assert.equal(src.kind, 'source');
  assert.equal(src.recordsOut, 1000);
  assert.deepEqual(src.positions, { '0': 1000 });
  const sp = byUid(st.subtasks, 'split');
  assert.equal(sp.recordsIn, 1000);
  assert.equal(sp.recordsOut, 1000, 'main and side output counted');
  const mapped = st.subtasks.find((s) => s.name === 'slow-map')!;
  assert.equal(mapped.recordsIn, 500);
  assert.equal(mapped.recordsOut, 500);
  // 500 records x 0.05 ms spinning: at least 25 ms busy, and the map's time is not charged to split.
  assert.ok(mapped.busyMs >= 25, `map busy ${mapped.busyMs}`);
  assert.ok(sp.busyMs < mapped.busyMs, `split ${sp.busyMs} < map ${mapped.busyMs}`);
  assert.equal(byUid(st.subtasks, 'evens').recordsIn, 500);
  assert.equal(byUid(st.subtasks, 'odds').recordsIn, 500);
  for (const s of st.subtasks) {
    // After the end of input every node has seen the final watermark.
    assert.equal(s.watermark, Infinity, `${s.uid} watermark`);
    assert.ok(s.idleMs >= 0 && s.busyMs >= 0);
    assert.ok(s.busyMs + s.idleMs + s.backpressuredMs <= st.uptimeMs + 1);
  }
});

test('status(): a slow sink shows as backpressure upstream and in-flight wait at the sink', async () => {
  const job = pipeline('status-backpressure', { batchSize: 10, maxInFlightWrites: 1 });
  const got: number[] = [];
  const fast = collectSink<number>();
  const src = job.from(fromCollection(Array.from({ length: 200 }, (_v, i) => i)), { uid: 'src' });
  const doubled = src.map((x) => x * 2, 'double');
  doubled.to(slowSink(10, got), { uid: 'slow-sink' });
  src.to(fast, { uid: 'fast-sink' });
  const handle = job.start();
  await handle.done;
  assert.equal(got.length, 200);
  const st = handle.status();
  const sink = byUid(st.subtasks, 'slow-sink');
  // 20 writes of 10 ms, one in flight at a time: the sink's wait measured 106-120 ms of those 200 on an
  // idle and on a loaded machine. Part of each write overlaps the loop's own polling. A quarter leaves
  // room for a slower machine and still fails when the wait goes uncounted.
  assert.ok((sink.inFlightWaitMs ?? 0) >= 20 * 10 * 0.25, `sink waited ${sink.inFlightWaitMs}`);
  assert.ok((sink.blockingMs ?? 0) > 0);
  const d = st.subtasks.find((s) => s.name === 'double')!;
  assert.ok(d.backpressuredMs > 0, 'upstream of the slow sink is backpressured');
  assert.ok(byUid(st.subtasks, 'src').backpressuredMs >= d.backpressuredMs);
  // Nothing downstream of the fast sink: it is never backpressured.
  assert.equal(byUid(st.subtasks, 'fast-sink').backpressuredMs, 0);
  assert.equal(sink.backpressuredMs, 0);
});

test('onCheckpoint and status(): id, trigger time, duration, size and status of each checkpoint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-status-'));
  try {
    const job = pipeline('status-checkpoints', { checkpoints: { every: 1, dir }, batchSize: 5, pollTimeoutMs: 5 });
    job.from(fromCollection(Array.from({ length: 100 }, (_v, i) => i))).keyBy((x) => x % 3).reduce((a, b) => a + b).to(collectSink<number>());
    const handle = job.start();
    const seen: CheckpointStats[] = [];
    handle.onCheckpoint((c) => {
      seen.push(c);
      // A throwing listener does not fail the job.
      throw new Error('listener bug');
    });
    const result = await handle.done;
    assert.ok(seen.length >= 1);
    assert.equal(seen.length, result.checkpoints);
    const st = handle.status();
    assert.equal(st.checkpoints.completed, result.checkpoints);
    assert.equal(st.checkpoints.failed, 0);
    assert.equal(st.checkpoints.inProgress, null);
    assert.deepEqual(st.checkpoints.history.map((c) => c.id), seen.map((c) => c.id));
    const last = seen[seen.length - 1]!;
    assert.equal(last.status, 'completed');
    assert.ok(last.durationMs >= 0 && last.triggeredAt > 0);
    assert.equal(last.sizeBytes, statSync(last.path!).size);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.id > seen[i - 1]!.id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('onCheckpoint reports a failed checkpoint with its error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-status-fail-'));
  try {
    const job = pipeline('status-cp-fail', { checkpoints: { every: 1, dir }, batchSize: 5, pollTimeoutMs: 5 });
    const failing: Sink<number> = {
      name: 'failing',
      async createWriter() {
        return {
          write() {},
          async preCommit() {
            throw new Error('disk on fire');
          },
          async close() {},
        };
      },
    };
    job.from(fromCollection(Array.from({ length: 50 }, (_v, i) => i))).to(failing);
    const handle = job.start();
    const seen: CheckpointStats[] = [];
    handle.onCheckpoint((c) => seen.push(c));
    await assert.rejects(handle.done);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.status, 'failed');
    assert.match(seen[0]!.failure ?? '', /disk on fire/);
    const st = handle.status();
    assert.equal(st.state, 'failed');
    assert.equal(st.checkpoints.failed, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
