// The data directory's owner lock: one Log (one process) at a time writes a data directory.
// Two writers would interleave appends in the same segment files and corrupt them, so
// Log.open creates `<dataDir>/.lock` with O_EXCL ('create-new') holding who owns it (pid,
// hostname, boot id, process start time, a random token) and close() removes it.
//
// A lock left behind by a process that died (SIGKILL, power loss) is taken over, and the
// recovery report says so. "Died" is decided conservatively, because wrongly taking a live
// lock means two writers:
// - another pid on this host: dead when signal 0 says ESRCH, or when the lock was written
//   under another boot (boot id differs), i.e. before a reboot;
// - this very process (pid equal): held while the Log that wrote it is open and can still
//   read it back through its own FileSystem (a MemoryFileSystem "powered off" in a test
//   cannot); otherwise it is left over from an earlier Log of this process;
// - another host (network file systems): never assumed dead; the error says how to remove it.
// Simultaneous takeovers of one stale lock are narrowed (unlink only if unchanged, create
// again with O_EXCL, read back) but not made impossible: node has no portable flock.
// May import: ../errors.ts, ./fs/file-system.ts, node built-ins.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { SluiceError } from '../errors.js';
import type { FileSystem } from './fs/file-system.js';

export const LOCK_FILE = '.lock';

export interface LockOwner {
  pid: number;
  hostname: string;
  /** Linux boot id (/proc/sys/kernel/random/boot_id), '' where unknown. */
  bootId: string;
  /** When the owning process started and when it took the lock (ms since the epoch). */
  processStartedAt: number;
  lockedAt: number;
  token: string;
}

export interface AcquiredLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Set when a stale lock was taken over: what it said. */
  readonly tookOver: { owner: LockOwner | undefined; reason: string } | undefined;
  release(): Promise<void>;
}

/** Locks held by Logs of this process, by token: lets a same-pid lock be judged alive or left over. */
const heldHere = new Map<string, { fs: FileSystem; path: string; released: boolean }>();

let cachedBootId: string | undefined;
function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = '';
    }
  }
  return cachedBootId;
}

function parseOwner(raw: Buffer | undefined): LockOwner | undefined {
  if (!raw) return undefined;
  try {
    const j = JSON.parse(raw.toString('utf8')) as Partial<LockOwner>;
    if (!Number.isSafeInteger(j.pid) || typeof j.hostname !== 'string' || typeof j.token !== 'string') return undefined;
    return {
      pid: j.pid!,
      hostname: j.hostname,
      bootId: typeof j.bootId === 'string' ? j.bootId : '',
      processStartedAt: Number(j.processStartedAt) || 0,
      lockedAt: Number(j.lockedAt) || 0,
      token: j.token,
    };
  } catch {
    return undefined;
  }
}

function pidRuns(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, under another user.
    return (err as { code?: string }).code !== 'ESRCH';
  }
}

/** Why the owner no longer holds the lock, or undefined when it (may) still hold it. */
async function staleReason(owner: LockOwner | undefined, raw: Buffer): Promise<string | undefined> {
  if (!owner) return raw.length === 0 ? 'the lock file was empty (its writer died while creating it)' : 'the lock file was unreadable';
  if (owner.hostname !== hostname()) return undefined;
  const here = bootId();
  if (owner.bootId !== '' && here !== '' && owner.bootId !== here) return `process ${owner.pid} held it before the machine restarted`;
  if (owner.pid !== process.pid) return pidRuns(owner.pid) ? undefined : `process ${owner.pid} no longer runs`;
  const mine = heldHere.get(owner.token);
  if (!mine || mine.released) return 'an earlier Log of this process did not close it';
  try {
    const back = parseOwner(await mine.fs.readFile(mine.path));
    if (back?.token === owner.token) return undefined;
  } catch {
    // The holder's file system is gone (a simulated machine that crashed).
  }
  return 'the Log of this process that held it can no longer reach it';
}

function lockedError(dataDir: string, path: string, owner: LockOwner | undefined): SluiceError {
  const who = owner ? `process ${owner.pid} on ${owner.hostname}${owner.pid === process.pid && owner.hostname === hostname() ? ' (this process: another Log is open on it)' : ''}, since ${new Date(owner.lockedAt).toISOString()}` : 'another process';
  const remote = owner && owner.hostname !== hostname() ? ` If that host no longer uses it, delete ${path}.` : '';
  return new SluiceError(
    'DATA_DIR_LOCKED',
    `data directory ${dataDir} is in use by ${who}. Stop that process, or (if it is a broker) go through it with --bootstrap-server HOST:PORT instead of opening the directory.${remote}`,
    { details: { dataDir, lockFile: path, pid: owner?.pid, hostname: owner?.hostname, lockedAt: owner?.lockedAt } },
  );
}

function isExists(err: unknown): boolean {
  return err instanceof SluiceError && (err.details as { errno?: string } | undefined)?.errno === 'EEXIST';
}

/** Takes the data directory's lock (the directory must exist), or throws DATA_DIR_LOCKED. */
export async function acquireDataDirLock(fs: FileSystem, dataDir: string, clock: () => number = Date.now): Promise<AcquiredLock> {
  const path = `${dataDir === '/' ? '' : dataDir}/${LOCK_FILE}`;
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    bootId: bootId(),
    processStartedAt: Math.round(Date.now() - process.uptime() * 1000),
    lockedAt: clock(),
    token: randomBytes(12).toString('hex'),
  };
  const body = Buffer.from(JSON.stringify(owner));
  let tookOver: AcquiredLock['tookOver'];
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await fs.open(path, 'create-new');
      try {
        await fh.write(body, 0);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.syncDir(dataDir);
      break;
    } catch (err) {
      if (!isExists(err) || attempt >= 3) throw err;
    }
    const raw = (await fs.readFile(path)) ?? Buffer.alloc(0);
    const prev = parseOwner(raw);
    const reason = await staleReason(prev, raw);
    if (reason === undefined) throw lockedError(dataDir, path, prev);
    // Only remove what we judged: if the file changed meanwhile, someone else got there first.
    const again = (await fs.readFile(path)) ?? Buffer.alloc(0);
    if (!again.equals(raw)) throw lockedError(dataDir, path, parseOwner(again));
    await fs.unlink(path);
    tookOver = { owner: prev, reason };
  }
  const back = parseOwner(await fs.readFile(path));
  if (back?.token !== owner.token) throw lockedError(dataDir, path, back);
  const entry = { fs, path, released: false };
  heldHere.set(owner.token, entry);
  return {
    path,
    owner,
    tookOver,
    async release() {
      if (entry.released) return;
      entry.released = true;
      heldHere.delete(owner.token);
      // Remove it only while it is still ours (never someone's lock that replaced a stale one).
      const now = parseOwner(await fs.readFile(path).catch(() => undefined));
      if (now?.token === owner.token) {
        await fs.unlink(path);
        await fs.syncDir(dataDir).catch(() => undefined);
      }
    },
  };
}
