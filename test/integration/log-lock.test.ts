// The data-directory lock across processes: while a child process has the log open, opening
// it here fails with DATA_DIR_LOCKED naming the child's pid; after a clean stop the lock is
// gone; after a SIGKILL the lock is left behind and the next open takes it over with a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from '../../src/log/log.js';
import { isSluiceError } from '../../src/errors.js';

const root = new URL('../..', import.meta.url).pathname;
const CHILD = join(root, 'test/integration/log-lock-child.ts');

function startHolder(dataDir: string): Promise<{ child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null; out: string }> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), 40_000);
    const exited = new Promise<{ code: number | null; signal: string | null; out: string }>((res) =>
      child.on('exit', (code, signal) => {
        clearTimeout(guard);
        res({ code, signal, out });
      }),
    );
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve({ child, exited });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    void exited.then(({ code }) => {
      if (!out.includes('ready')) reject(new Error(`holder exited (${code}) before it was ready: ${err}`));
    });
  });
}

test('a child process holding the data directory locks it out; SIGTERM releases, SIGKILL leaves a stale lock', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-lock-x-'));
  try {
    let { child, exited } = await startHolder(dataDir);
    await assert.rejects(Log.open({ dataDir }), (e) => {
      assert.ok(isSluiceError(e, 'DATA_DIR_LOCKED'), String(e));
      assert.equal(e.details?.pid, child.pid);
      assert.match(e.message, new RegExp(`in use by process ${child.pid} `));
      return true;
    });
    child.kill('SIGTERM');
    const clean = await exited;
    assert.match(clean.out, /closed/);
    assert.equal(existsSync(join(dataDir, '.lock')), false);
    const log = await Log.open({ dataDir });
    assert.deepEqual(log.recoveryReport.warnings, []);
    await log.close();

    ({ child, exited } = await startHolder(dataDir));
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL');
    assert.equal(existsSync(join(dataDir, '.lock')), true, 'a killed owner leaves its lock');
    const after = await Log.open({ dataDir });
    assert.deepEqual(after.recoveryReport.warnings, [`took over the stale lock ${dataDir}/.lock: process ${child.pid} no longer runs`]);
    await after.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
