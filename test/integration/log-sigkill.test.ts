// Crash safety of the log against a real process kill: a child appends with fsync
// acknowledgements and is SIGKILLed at random moments, 20 times over one data directory.
// After every kill the log reopens with every acknowledged record present exactly once
// (no loss, no duplicate), at the offset that was acknowledged, and offsets contiguous.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from '../../src/log/log.js';
import { decodeBatches } from '../../src/codec/record-batch.js';

const root = new URL('../..', import.meta.url).pathname;
const child = join(root, 'test/integration/log-sigkill-child.ts');

/** Runs the child until `killAfterMs` after it is ready, SIGKILLs it, returns the acknowledged ids -> offsets. */
function runAndKill(dataDir: string, firstId: number, seed: number, killAfterMs: number): Promise<Map<number, number>> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dataDir, String(firstId), String(seed)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const acks = new Map<number, number>();
    let buf = '';
    let stderr = '';
    let armed = false;
    const guard = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!; // a line cut by the kill is not an acknowledgement
      for (const l of lines) {
        if (l === 'ready' && !armed) {
          armed = true;
          setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
        } else if (l.startsWith('ack ')) {
          const [, id, offset] = l.split(' ');
          acks.set(Number(id), Number(offset));
        }
      }
    });
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`child exited by itself (code ${code}): ${stderr}`));
      else resolve(acks);
    });
  });
}

test('acknowledged appends survive 20 SIGKILLs exactly once, offsets contiguous', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-sigkill-'));
  const acked = new Map<number, number>(); // id -> offset
  let nextId = 0;
  let seed = 0x9e3779b9;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  try {
    for (let round = 0; round < 20; round++) {
      const acks = await runAndKill(dataDir, nextId, Math.floor(rand() * 2 ** 31) + 1, Math.floor(rand() * 400));
      for (const [id, offset] of acks) acked.set(id, offset);
      nextId += 1_000_000; // ids of different rounds never collide

      const log = await Log.open({ dataDir });
      try {
        const p = log.partition('events', 0);
        const seen = new Map<number, number>();
        let expectedOffset = 0;
        let offset = 0;
        while (offset < p.logEndOffset) {
          const { records } = await p.read(offset, { maxBytes: 256 * 1024 });
          assert.ok(records.length > 0, `read at ${offset} returned nothing below logEndOffset ${p.logEndOffset}`);
          for (const b of decodeBatches(records)) {
            for (const r of b.records) {
              assert.equal(r.offset, expectedOffset++, 'offsets are contiguous');
              const id = Number(r.key!.toString().slice(3));
              assert.equal(seen.has(id), false, `record ${id} appears twice`);
              seen.set(id, r.offset);
            }
            offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
          }
        }
        assert.equal(expectedOffset, p.logEndOffset);
        for (const [id, off] of acked) {
          assert.equal(seen.get(id), off, `acknowledged record ${id} must be at offset ${off} after round ${round}`);
        }
      } finally {
        await log.close();
      }
    }
    t.diagnostic(`${acked.size} acknowledged records over 20 kills`);
    assert.ok(acked.size > 20, `the child acknowledged only ${acked.size} records in 20 rounds`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
