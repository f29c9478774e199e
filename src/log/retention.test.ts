// Retention plans: only a prefix of closed segments, never the active one, by age and by size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyRetention, planRetention } from './retention.js';
import type { SegmentInfo } from './segment/segment.js';

function segs(specs: { size: number; ts: number }[]): SegmentInfo[] {
  let base = 0;
  return specs.map((s, i) => {
    const seg = { baseOffset: base, nextOffset: base + 10, sizeBytes: s.size, maxTimestamp: s.ts, lastModifiedMs: s.ts, active: i === specs.length - 1 };
    base += 10;
    return seg;
  });
}

const cfg = (retentionMs: number, retentionBytes: number, cleanupPolicy: 'delete' | 'compact' | 'compact,delete' = 'delete') => ({ retentionMs, retentionBytes, cleanupPolicy });

test('time retention deletes the expired prefix, never the active segment', () => {
  const s = segs([
    { size: 100, ts: 1000 },
    { size: 100, ts: 2000 },
    { size: 100, ts: 5000 },
    { size: 100, ts: 1500 }, // active, old, but active
  ]);
  const plan = planRetention(s, cfg(1000, -1), 4500);
  assert.equal(plan.deleteBefore, 20);
  assert.equal(plan.segments, 2);
  assert.equal(plan.bytes, 200);
  assert.equal(plan.byTime, 2);
  // Everything expired: still the active segment stays.
  assert.equal(planRetention(s, cfg(0, -1), 1e9).deleteBefore, 30);
  // A segment with no timestamp falls back to its modification time.
  const noTs = segs([{ size: 1, ts: -1 }, { size: 1, ts: -1 }]);
  noTs[0]!.lastModifiedMs = 10;
  assert.equal(planRetention(noTs, cfg(5, -1), 100).deleteBefore, 10);
});

test('size retention deletes oldest closed segments until the partition fits', () => {
  const s = segs([
    { size: 100, ts: 0 },
    { size: 100, ts: 0 },
    { size: 100, ts: 0 },
    { size: 50, ts: 0 },
  ]);
  // As in Kafka, a segment goes only if the partition stays at or above the limit without it.
  assert.equal(planRetention(s, cfg(-1, 150), 0).deleteBefore, 20); // 350 -> 150
  assert.equal(planRetention(s, cfg(-1, 200), 0).deleteBefore, 10); // 350 -> 250 (150 would undershoot)
  assert.equal(planRetention(s, cfg(-1, 250), 0).deleteBefore, 10); // 350 -> 250
  assert.equal(planRetention(s, cfg(-1, 350), 0).deleteBefore, undefined);
  assert.equal(planRetention(s, cfg(-1, 0), 0).deleteBefore, 30);
  assert.equal(planRetention(s, cfg(-1, -1), 0).deleteBefore, undefined);
});

test('compact-only topics are never deleted by retention', () => {
  const s = segs([{ size: 100, ts: 0 }, { size: 100, ts: 0 }]);
  assert.equal(planRetention(s, cfg(0, 0, 'compact'), 1e9).deleteBefore, undefined);
  assert.equal(planRetention(s, cfg(0, 0, 'compact,delete'), 1e9).deleteBefore, 10);
});

test('property: the plan is a closed prefix satisfying both limits where possible', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ size: fc.integer({ min: 0, max: 1000 }), ts: fc.integer({ min: 0, max: 10_000 }) }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: -1, max: 5000 }),
      fc.integer({ min: -1, max: 8000 }),
      fc.integer({ min: 0, max: 20_000 }),
      (specs, retentionMs, retentionBytes, now) => {
        const s = segs(specs);
        const plan = planRetention(s, cfg(retentionMs, retentionBytes), now);
        const removed = plan.deleteBefore === undefined ? 0 : s.findIndex((x) => x.baseOffset === plan.deleteBefore);
        assert.ok(removed >= 0 && removed <= s.length - 1, 'never the active segment');
        assert.equal(plan.segments, removed);
        const kept = s.slice(removed);
        const keptBytes = kept.reduce((n, x) => n + x.sizeBytes, 0);
        const nextClosed = kept[0]!.active ? undefined : kept[0]!;
        if (retentionBytes >= 0 && nextClosed && keptBytes > retentionBytes) {
          assert.ok(keptBytes - nextClosed.sizeBytes < retentionBytes, 'could have deleted more for size');
        }
        if (retentionMs >= 0 && nextClosed && now - nextClosed.maxTimestamp > retentionMs) assert.fail('an expired closed segment was kept at the front');
      },
    ),
    { numRuns: 2000 },
  );
});

test('applyRetention calls deleteSegmentsBefore with the plan', async () => {
  const s = segs([{ size: 100, ts: 0 }, { size: 100, ts: 0 }, { size: 1, ts: 0 }]);
  const calls: number[] = [];
  const target = { segments: () => s, deleteSegmentsBefore: async (b: number) => (calls.push(b), 2) };
  const r = await applyRetention(target, cfg(10, -1), 1000);
  assert.deepEqual(calls, [20]);
  assert.equal(r.deleted, 2);
  const r2 = await applyRetention(target, cfg(-1, -1), 1000);
  assert.equal(r2.deleted, 0);
  assert.deepEqual(calls, [20]);
});

test('retention on a real partition drops old segments and advances logStartOffset', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { Log } = await import('./log.js');
  const dir = mkdtempSync(`${tmpdir()}/sluice-retention-`);
  const log = await Log.open({ dataDir: dir });
  try {
    await log.createTopic('r', 1, { segmentBytes: 500, retentionMs: 1000, retentionBytes: -1 });
    const p = log.partition('r', 0);
    for (let i = 0; i < 40; i++) await p.appendRecords([{ value: Buffer.alloc(100, i), timestamp: i < 30 ? 1000 : 50_000 }]);
    const before = p.segments();
    assert.ok(before.length > 3);
    const r = await applyRetention(p, log.describeTopic('r').config, 10_000);
    assert.ok(r.deleted > 0);
    assert.equal(p.logStartOffset, p.segments()[0]!.baseOffset);
    assert.ok(p.logStartOffset > 0 && p.logStartOffset <= 30, `start ${p.logStartOffset}`);
    assert.equal(p.logEndOffset, 40);
    // Everything expired: the active segment still stays, and so do its records.
    await applyRetention(p, { retentionMs: 0, retentionBytes: -1, cleanupPolicy: 'delete' }, 1e12);
    assert.equal(p.segments().length, 1);
    assert.equal(p.segments()[0]!.active, true);
    const { records } = await p.read(p.logStartOffset, { maxBytes: 1 });
    assert.ok(records.length > 0);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the log cleaner applies retention to delete-policy topics only', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { Log } = await import('./log.js');
  const { LogCleaner } = await import('./cleaner.js');
  const dir = mkdtempSync(`${tmpdir()}/sluice-cleaner-`);
  const log = await Log.open({ dataDir: dir });
  try {
    await log.createTopic('old', 1, { segmentBytes: 300, retentionMs: 1000 });
    await log.createTopic('kept', 1, { segmentBytes: 300, retentionMs: 1000, cleanupPolicy: 'compact' });
    for (const t of ['old', 'kept']) {
      for (let i = 0; i < 12; i++) await log.partition(t, 0).appendRecords([{ key: Buffer.from(`k${i}`), value: Buffer.alloc(100), timestamp: 5 }]);
    }
    const cleaner = new LogCleaner(log, { clock: () => 1_000_000 });
    const pass = await cleaner.runOnce();
    assert.deepEqual(pass.errors, []);
    assert.deepEqual(
      pass.retention.map((r) => r.topic),
      ['old'],
    );
    assert.equal(log.partition('old', 0).segments().length, 1);
    assert.ok(log.partition('old', 0).logStartOffset > 0);
    assert.equal(log.partition('kept', 0).logStartOffset, 0);
    await cleaner.stop();
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
