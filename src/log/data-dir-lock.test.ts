// One Log per data directory: a second open in the same process is refused with
// DATA_DIR_LOCKED, close() releases the lock, and locks left behind by dead owners (a pid that
// no longer runs, a garbage file, a simulated machine that lost power) are taken over with a
// warning in the recovery report. The cross-process case is in test/integration/log-lock.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSluiceError } from '../errors.js';
import { Log } from './log.js';
import { LOCK_FILE } from './data-dir-lock.js';
import { MemoryFileSystem } from './fs/memory-file-system.js';

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  assert.ok(r.pid !== undefined && r.pid > 0);
  return r.pid;
}

test('a second open of the same directory in this process is refused until the first closes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-lock-'));
  try {
    const first = await Log.open({ dataDir: dir });
    const lock = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; hostname: string; lockedAt: number };
    assert.equal(lock.pid, process.pid);
    assert.equal(lock.hostname, hostname());
    assert.ok(lock.lockedAt > 0);
    await assert.rejects(Log.open({ dataDir: dir }), (e) => {
      assert.ok(isSluiceError(e, 'DATA_DIR_LOCKED'), String(e));
      assert.equal(e.retriable, false);
      assert.equal(e.details?.pid, process.pid);
      assert.match(e.message, new RegExp(`process ${process.pid}`));
      assert.match(e.message, /--bootstrap-server/);
      return true;
    });
    // The refused open changed nothing: the first Log still works and owns the lock.
    await first.createTopic('t', 1);
    await first.partition('t', 0).appendRecords([{ value: Buffer.from('x') }]);
    await first.close();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false, 'close() removes the lock file');
    const second = await Log.open({ dataDir: dir });
    assert.deepEqual(second.recoveryReport.warnings, [], 'a cleanly released lock is no warning');
    assert.equal(second.partition('t', 0).logEndOffset, 1);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the in-memory file system locks too, and a power loss leaves a lock that is taken over', async () => {
  const fs = new MemoryFileSystem({ seed: 3 });
  const log = await Log.open({ dataDir: '/d', fs });
  await assert.rejects(Log.open({ dataDir: '/d', fs }), (e) => isSluiceError(e, 'DATA_DIR_LOCKED'));
  // Another directory on the same file system is independent.
  const other = await Log.open({ dataDir: '/e', fs });
  await other.close();
  // The machine dies with the log open: its lock file is durable but its owner is gone.
  const after = fs.powerLoss();
  assert.ok(await after.readFile(`/d/${LOCK_FILE}`), 'the lock was fsynced');
  const again = await Log.open({ dataDir: '/d', fs: after });
  assert.equal(again.recoveryReport.warnings.length, 1);
  assert.match(again.recoveryReport.warnings[0]!, /stale lock .*\.lock/);
  await assert.rejects(Log.open({ dataDir: '/d', fs: after }), (e) => isSluiceError(e, 'DATA_DIR_LOCKED'));
  await again.close();
  void log; // never closed: its file system is dead
});

test('a stale lock of a process that no longer runs is taken over with a warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-lock-'));
  try {
    const pid = deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, hostname: hostname(), bootId: '', processStartedAt: 1, lockedAt: 2, token: 'old' }));
    const log = await Log.open({ dataDir: dir });
    assert.deepEqual(log.recoveryReport.warnings, [`took over the stale lock ${dir}/${LOCK_FILE}: process ${pid} no longer runs`]);
    const now = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; token: string };
    assert.equal(now.pid, process.pid);
    assert.notEqual(now.token, 'old');
    await log.close();

    // A lock from before a reboot (other boot id) is stale even if its pid runs now.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, hostname: hostname(), bootId: 'another-boot', processStartedAt: 1, lockedAt: 2, token: 'x' }));
    const here = existsSync('/proc/sys/kernel/random/boot_id');
    if (here) {
      const l2 = await Log.open({ dataDir: dir });
      assert.match(l2.recoveryReport.warnings[0]!, /before the machine restarted/);
      await l2.close();
    } else {
      await assert.rejects(Log.open({ dataDir: dir }), (e) => isSluiceError(e, 'DATA_DIR_LOCKED'));
    }

    // A live process (our parent) on this host and boot: refused, never taken.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, hostname: hostname(), bootId: '', processStartedAt: 1, lockedAt: 2, token: 'y' }));
    await assert.rejects(Log.open({ dataDir: dir }), (e) => isSluiceError(e, 'DATA_DIR_LOCKED') && e.details?.pid === process.ppid);
    // Another host: refused, with the way out.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, hostname: 'elsewhere.example', bootId: '', processStartedAt: 1, lockedAt: 2, token: 'z' }));
    await assert.rejects(Log.open({ dataDir: dir }), (e) => isSluiceError(e, 'DATA_DIR_LOCKED') && /elsewhere\.example.*delete/.test(e.message));
    // Garbage (a writer that died mid-create): taken over.
    writeFileSync(join(dir, LOCK_FILE), '{"pid": 12');
    const l3 = await Log.open({ dataDir: dir });
    assert.match(l3.recoveryReport.warnings[0]!, /unreadable/);
    // A Log of this process that was never closed (its lock left behind) cannot be told
    // from a live one while it is open: still refused.
    await assert.rejects(Log.open({ dataDir: dir }), (e) => isSluiceError(e, 'DATA_DIR_LOCKED'));
    await l3.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
