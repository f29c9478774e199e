// The Log runs its cleaner by itself: with no explicit call, retention drops expired segments
// and compaction keeps the latest value per key while the log stays open and writable; the
// cleaner stops on close and can be turned off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBatches } from '../codec/record-batch.js';
import { Log } from './log.js';
import type { CleanerPass } from './cleaner.js';
import { MemoryFileSystem } from './fs/memory-file-system.js';
import type { Partition } from './partition.js';

async function values(p: Partition): Promise<{ offset: number; key: string | null; value: string | null }[]> {
  const out: { offset: number; key: string | null; value: string | null }[] = [];
  let offset = p.logStartOffset;
  while (offset < p.highWatermark) {
    const { records } = await p.read(offset, { maxBytes: 1 << 20 });
    if (records.length === 0) break;
    for (const b of decodeBatches(records)) {
      for (const r of b.records) if (!b.header.isControl && r.offset >= offset) out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
      offset = Math.max(offset, b.header.baseOffset + b.header.lastOffsetDelta + 1);
    }
  }
  return out;
}

/** Resolves with the first pass for which `done` holds (passes are reported through onPass). */
function passes(): { onPass: (p: CleanerPass) => void; until: (done: () => boolean, timeoutMs?: number) => Promise<number> } {
  let count = 0;
  let wake: (() => void) | undefined;
  return {
    onPass: () => {
      count++;
      wake?.();
    },
    async until(done, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`condition not reached after ${count} cleaner passes`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
      return count;
    },
  };
}

test('retention and compaction happen in the background, with no explicit call', async () => {
  let now = 1_700_000_000_000;
  const fs = new MemoryFileSystem({ seed: 9 });
  fs.clock = () => now;
  const seen = passes();
  const log = await Log.open({ dataDir: '/d', fs, clock: () => now, cleaner: { intervalMs: 20, onPass: seen.onPass } });
  try {
    assert.ok(log.cleaner, 'on by default');
    await log.createTopic('events', 1, { retentionMs: 60_000, segmentBytes: 512 });
    await log.createTopic('users', 1, { cleanupPolicy: 'compact', segmentBytes: 512, deleteRetentionMs: 0 });
    const events = log.partition('events', 0);
    const users = log.partition('users', 0);
    for (let i = 0; i < 60; i++) {
      await events.appendRecords([{ value: Buffer.from(`event-${i}-${'x'.repeat(40)}`), timestamp: now }]);
      await users.appendRecords([{ key: Buffer.from(`user-${i % 4}`), value: Buffer.from(`v${i}-${'y'.repeat(40)}`), timestamp: now }]);
    }
    assert.ok(events.segments().length > 3);
    assert.equal(events.logStartOffset, 0);

    // Compaction: only the latest value per key survives in the closed segments.
    const bytesBefore = users.sizeBytes;
    let rows = await values(users);
    const compacted = (): boolean => {
      const closedEnd = Math.max(...users.segments().filter((s) => !s.active).map((s) => s.nextOffset));
      const perKey = new Map<string | null, number>();
      for (const r of rows) if (r.offset < closedEnd) perKey.set(r.key, (perKey.get(r.key) ?? 0) + 1);
      return [...perKey.values()].every((n) => n <= 1);
    };
    assert.equal(compacted(), false);
    await seen.until(() => {
      void values(users).then((r) => (rows = r));
      return compacted();
    });
    assert.ok(users.sizeBytes < bytesBefore, `compaction shrank ${bytesBefore} bytes to ${users.sizeBytes}`);
    for (let k = 0; k < 4; k++) assert.match(rows.filter((r) => r.key === `user-${k}`).at(-1)!.value!, new RegExp(`^v${56 + k}-`));
    // Nothing expired yet: retention left events alone.
    assert.equal(events.logStartOffset, 0);

    // Time passes: the expired closed segments go, the log stays writable meanwhile.
    now += 120_000;
    await events.appendRecords([{ value: Buffer.from('fresh'), timestamp: now }]);
    await seen.until(() => events.logStartOffset > 0);
    const after = await values(events);
    assert.equal(after.at(-1)!.value, 'fresh');
    assert.ok(after.length < 61);
    assert.equal(after[0]!.offset, events.logStartOffset);
  } finally {
    await log.close();
  }
  // Stopped on close: no pass runs afterwards.
  const count = log.cleaner!.passes;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(log.cleaner!.passes, count);
});

test('cleaner: false turns it off; a bad interval is INVALID_CONFIG', async () => {
  let now = 1_700_000_000_000;
  const fs = new MemoryFileSystem();
  const log = await Log.open({ dataDir: '/d', fs, clock: () => now, cleaner: false });
  assert.equal(log.cleaner, undefined);
  await log.createTopic('events', 1, { retentionMs: 1000, segmentBytes: 256 });
  const p = log.partition('events', 0);
  for (let i = 0; i < 20; i++) await p.appendRecords([{ value: Buffer.alloc(100, 1), timestamp: now }]);
  now += 60_000;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(p.logStartOffset, 0);
  await log.close();
  await assert.rejects(Log.open({ dataDir: '/x', fs, cleaner: { intervalMs: 0 } }), /INVALID_CONFIG|cleaner interval/);
});
