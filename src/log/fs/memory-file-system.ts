// An in-memory FileSystem that misbehaves on purpose, deterministically from a seed:
// - failNextWrite / failNextSync: the next matching operation throws IO_ERROR (a write may
//   first land a prefix of its bytes: a torn write);
// - setQuota: a byte budget over all files; a write past it lands what fits, then DISK_FULL;
// - crashAtOperation / powerLoss: the machine dies; file contents revert to their last
//   fsynced state (optionally keeping a seeded prefix of unsynced writes, the last one torn),
//   and creates/renames/unlinks not followed by syncDir are kept or lost as a seeded prefix.
// powerLoss() returns a NEW MemoryFileSystem over the surviving bytes; the old instance and
// its handles are dead (every call throws IO_ERROR), like a process that did not survive.
// Simplification: directories themselves are durable as soon as mkdir returns.
// May import: node:path, ../../errors.js, ./file-system.js, ./prng.js.
import { posix } from 'node:path';
import { SluiceError } from '../../errors.js';
import type { FileHandle, FileStat, FileSystem, OpenMode } from './file-system.js';
import { Prng } from './prng.js';

type FileOp = { kind: 'write'; pos: number; data: Buffer } | { kind: 'truncate'; len: number };

class Inode {
  data: Buffer = Buffer.alloc(0) as Buffer;
  size = 0;
  synced: Buffer = Buffer.alloc(0) as Buffer;
  pending: FileOp[] = [];
  mtimeMs = 0;
  links = 0;
}

type DirOp = { kind: 'link'; name: string; node: Inode } | { kind: 'unlink'; name: string };

class Dir {
  entries = new Map<string, Inode | Dir>();
  durable = new Map<string, Inode | Dir>();
  pending: DirOp[] = [];
}

/** The surviving medium, shared by successive MemoryFileSystem "boots". */
class Disk {
  root = new Dir();
  used = 0;
  quota: number | undefined;
  inodes = new Set<Inode>();
}

function applyOp(buf: Buffer, size: number, op: FileOp): { buf: Buffer; size: number } {
  if (op.kind === 'truncate') {
    if (op.len > size) {
      buf = ensure(buf, op.len);
      buf.fill(0, size, op.len);
    }
    return { buf, size: op.len };
  }
  const end = op.pos + op.data.length;
  buf = ensure(buf, end);
  if (op.pos > size) buf.fill(0, size, op.pos);
  op.data.copy(buf, op.pos);
  return { buf, size: Math.max(size, end) };
}

function ensure(buf: Buffer, n: number): Buffer {
  if (n <= buf.length) return buf;
  const next = Buffer.alloc(Math.max(n, buf.length * 2, 64));
  buf.copy(next);
  return next;
}

export interface FaultRates {
  /** Probability that any write fails (with a torn prefix of random length). */
  write?: number;
  /** Probability that any fsync fails. */
  sync?: number;
}

export interface MemoryFileSystemOptions {
  seed?: number;
  faults?: FaultRates;
}

interface PendingFault {
  path: RegExp | string | undefined;
  tearAt?: number;
}

export class MemoryFileSystem implements FileSystem {
  readonly seed: number;
  private readonly rng: Prng;
  private readonly disk: Disk;
  private dead = false;
  private faults: FaultRates;
  private writeFaults: PendingFault[] = [];
  private syncFaults: PendingFault[] = [];
  private crashAt: number | undefined;
  /** Mutating operations started so far (writes, syncs, truncates, renames, ...). */
  operations = 0;
  clock: () => number = () => Date.now();

  constructor(options: MemoryFileSystemOptions = {}, disk?: Disk) {
    this.seed = options.seed ?? 1;
    this.rng = new Prng(this.seed);
    this.faults = options.faults ?? {};
    this.disk = disk ?? new Disk();
  }

  // ---- fault controls -------------------------------------------------------------------

  /** The next write (to a path matching `path`, if given) fails; `tearAt` bytes land first. */
  failNextWrite(options: { path?: RegExp | string; tearAt?: number } = {}): void {
    this.writeFaults.push({ path: options.path, tearAt: options.tearAt ?? 0 });
  }

  failNextSync(options: { path?: RegExp | string } = {}): void {
    this.syncFaults.push({ path: options.path });
  }

  setFaultRates(faults: FaultRates): void {
    this.faults = faults;
  }

  /** Total bytes all files may hold; undefined = unlimited. */
  setQuota(bytes: number | undefined): void {
    this.disk.quota = bytes;
  }

  get usedBytes(): number {
    return this.disk.used;
  }

  /** The machine dies when the n-th mutating operation (counted from now) starts. */
  crashAtOperation(n: number): void {
    this.crashAt = this.operations + n;
  }

  /** Kills this instance now: every later call fails with IO_ERROR. */
  crash(): void {
    this.dead = true;
  }

  get crashed(): boolean {
    return this.dead;
  }

  /**
   * Power loss: kills this instance and returns a fresh one over what would survive.
   * keepUnsyncedWrites: keep a seeded prefix of each file's unsynced writes, the last torn
   * (default false: contents revert exactly to the last fsync).
   */
  powerLoss(options: { keepUnsyncedWrites?: boolean; seed?: number } = {}): MemoryFileSystem {
    this.dead = true;
    const rng = new Prng(options.seed ?? this.rng.int(2 ** 31));
    const dirs: Dir[] = [];
    const walk = (d: Dir): void => {
      dirs.push(d);
      for (const e of d.durable.values()) if (e instanceof Dir) walk(e);
      for (const e of d.entries.values()) if (e instanceof Dir && !dirs.includes(e)) walk(e);
    };
    walk(this.disk.root);
    for (const d of dirs) {
      const keep = rng.int(d.pending.length + 1);
      for (let i = 0; i < keep; i++) applyDirOp(d.durable, d.pending[i]!);
      d.pending = [];
      d.entries = new Map(d.durable);
    }
    this.disk.used = 0;
    const live = new Set<Inode>();
    for (const d of dirs) for (const e of d.entries.values()) if (e instanceof Inode) live.add(e);
    for (const node of live) {
      let buf: Buffer = Buffer.from(node.synced);
      let size = node.synced.length;
      if (options.keepUnsyncedWrites && node.pending.length > 0) {
        const keep = rng.int(node.pending.length + 1);
        for (let i = 0; i < keep; i++) ({ buf, size } = applyOp(buf, size, node.pending[i]!));
        const torn = node.pending[keep];
        if (torn?.kind === 'write' && torn.data.length > 1) {
          ({ buf, size } = applyOp(buf, size, { kind: 'write', pos: torn.pos, data: torn.data.subarray(0, rng.int(torn.data.length)) }));
        }
        node.synced = Buffer.from(buf.subarray(0, size));
      }
      node.data = buf;
      node.size = size;
      node.pending = [];
      this.disk.used += size;
    }
    this.disk.inodes = live;
    return new MemoryFileSystem({ seed: rng.int(2 ** 31), faults: {} }, this.disk);
  }

  // ---- helpers --------------------------------------------------------------------------

  private check(path: string, mutating: boolean): void {
    if (this.dead) throw new SluiceError('IO_ERROR', `simulated machine is down (seed ${this.seed}): ${path}`, { details: { path } });
    if (!mutating) return;
    this.operations++;
    if (this.crashAt !== undefined && this.operations >= this.crashAt) {
      this.dead = true;
      throw new SluiceError('IO_ERROR', `simulated crash at operation ${this.operations} (seed ${this.seed}): ${path}`, { details: { path } });
    }
  }

  private lookupDir(path: string, create = false): Dir | undefined {
    const parts = posix.resolve('/', path).split('/').filter(Boolean);
    let d = this.disk.root;
    for (const p of parts) {
      let next = d.entries.get(p);
      if (next === undefined && create) {
        next = new Dir();
        d.entries.set(p, next);
        d.durable.set(p, next);
      }
      if (!(next instanceof Dir)) return undefined;
      d = next;
    }
    return d;
  }

  private split(path: string): { dir: Dir; name: string; full: string } {
    const full = posix.resolve('/', path);
    const dir = this.lookupDir(posix.dirname(full));
    if (!dir) throw new SluiceError('IO_ERROR', `no such directory: ${posix.dirname(full)}`, { details: { path } });
    return { dir, name: posix.basename(full), full };
  }

  private takeFault(list: PendingFault[], path: string): PendingFault | undefined {
    const i = list.findIndex((f) => f.path === undefined || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path)));
    if (i < 0) return undefined;
    return list.splice(i, 1)[0];
  }

  // Called by handles.
  /** @internal */
  doWrite(node: Inode, path: string, data: Buffer, pos: number): void {
    this.check(path, true);
    let fault = this.takeFault(this.writeFaults, path);
    if (!fault && this.faults.write && this.rng.chance(this.faults.write)) fault = { path, tearAt: this.rng.int(data.length + 1) };
    let slice = data;
    let error: SluiceError | undefined;
    if (fault) {
      slice = data.subarray(0, Math.min(fault.tearAt ?? 0, data.length));
      error = new SluiceError('IO_ERROR', `injected write failure on ${path} at ${pos} after ${slice.length} bytes (seed ${this.seed})`, { details: { path } });
    }
    const grow = Math.max(0, pos + slice.length - node.size);
    if (this.disk.quota !== undefined && this.disk.used + grow > this.disk.quota) {
      const room = Math.max(0, this.disk.quota - this.disk.used);
      slice = slice.subarray(0, Math.max(0, Math.min(slice.length, node.size - pos + room)));
      error = new SluiceError('DISK_FULL', `disk full writing ${path} (quota ${this.disk.quota} bytes, seed ${this.seed})`, { details: { path } });
    }
    if (slice.length > 0) {
      const op: FileOp = { kind: 'write', pos, data: Buffer.from(slice) };
      const before = node.size;
      ({ buf: node.data, size: node.size } = applyOp(node.data, node.size, op));
      node.pending.push(op);
      this.disk.used += node.size - before;
      node.mtimeMs = this.clock();
    }
    if (error) throw error;
  }

  /** @internal */
  doSync(node: Inode, path: string): void {
    this.check(path, true);
    let fault = this.takeFault(this.syncFaults, path);
    if (!fault && this.faults.sync && this.rng.chance(this.faults.sync)) fault = { path };
    if (fault) throw new SluiceError('IO_ERROR', `injected fsync failure on ${path} (seed ${this.seed})`, { details: { path } });
    if (node.pending.length === 0) return;
    let buf: Buffer = Buffer.from(node.synced);
    let size = node.synced.length;
    for (const op of node.pending) ({ buf, size } = applyOp(buf, size, op));
    node.synced = buf.subarray(0, size);
    node.pending = [];
  }

  /** @internal */
  doTruncate(node: Inode, path: string, len: number): void {
    this.check(path, true);
    const op: FileOp = { kind: 'truncate', len };
    const before = node.size;
    ({ buf: node.data, size: node.size } = applyOp(node.data, node.size, op));
    node.pending.push(op);
    this.disk.used += node.size - before;
    node.mtimeMs = this.clock();
  }

  /** @internal */
  alive(path: string): void {
    this.check(path, false);
  }

  // ---- FileSystem -----------------------------------------------------------------------

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    await Promise.resolve();
    const { dir, name, full } = this.split(path);
    let node = dir.entries.get(name);
    if (node instanceof Dir) throw new SluiceError('IO_ERROR', `is a directory: ${full}`, { details: { path } });
    if (node && mode === 'create-new') throw new SluiceError('IO_ERROR', `file exists: ${full}`, { details: { path, errno: 'EEXIST' } });
    if (!node) {
      if (mode === 'read' || mode === 'read-write') {
        this.check(full, false);
        throw new SluiceError('IO_ERROR', `no such file: ${full}`, { details: { path, errno: 'ENOENT' } });
      }
      this.check(full, true);
      node = new Inode();
      node.mtimeMs = this.clock();
      node.links = 1;
      dir.entries.set(name, node);
      dir.pending.push({ kind: 'link', name, node });
      this.disk.inodes.add(node);
    } else {
      this.check(full, false);
    }
    return new MemoryFileHandle(this, node, full, mode === 'read');
  }

  async readFile(path: string): Promise<Buffer | undefined> {
    await Promise.resolve();
    this.check(path, false);
    const { dir, name } = this.split(path);
    const node = dir.entries.get(name);
    if (!(node instanceof Inode)) return undefined;
    return Buffer.from(node.data.subarray(0, node.size));
  }

  async rename(from: string, to: string): Promise<void> {
    await Promise.resolve();
    const a = this.split(from);
    const b = this.split(to);
    this.check(a.full, true);
    const node = a.dir.entries.get(a.name);
    if (!node) throw new SluiceError('IO_ERROR', `no such file: ${a.full}`, { details: { path: from } });
    const replaced = b.dir.entries.get(b.name);
    a.dir.entries.delete(a.name);
    b.dir.entries.set(b.name, node);
    if (node instanceof Dir) {
      // Directory renames are made durable at once (see the header comment).
      a.dir.durable.delete(a.name);
      b.dir.durable.set(b.name, node);
      return;
    }
    if (replaced instanceof Inode && replaced !== node) this.release(replaced);
    a.dir.pending.push({ kind: 'unlink', name: a.name });
    b.dir.pending.push({ kind: 'link', name: b.name, node });
  }

  private release(node: Inode): void {
    node.links--;
    if (node.links <= 0) {
      this.disk.used -= node.size;
      this.disk.inodes.delete(node);
    }
  }

  async unlink(path: string): Promise<void> {
    await Promise.resolve();
    const { dir, name, full } = this.split(path);
    this.check(full, true);
    const node = dir.entries.get(name);
    if (!(node instanceof Inode)) return;
    dir.entries.delete(name);
    dir.pending.push({ kind: 'unlink', name });
    this.release(node);
  }

  async readdir(path: string): Promise<string[]> {
    await Promise.resolve();
    this.check(path, false);
    const dir = this.lookupDir(path);
    return dir ? [...dir.entries.keys()].sort() : [];
  }

  async mkdir(path: string): Promise<void> {
    await Promise.resolve();
    this.check(path, false);
    this.lookupDir(path, true);
  }

  async rmdir(path: string): Promise<void> {
    await Promise.resolve();
    const { dir, name, full } = this.split(path);
    this.check(full, true);
    const node = dir.entries.get(name);
    if (!(node instanceof Dir)) return;
    if (node.entries.size > 0) throw new SluiceError('IO_ERROR', `directory not empty: ${full}`, { details: { path } });
    dir.entries.delete(name);
    dir.durable.delete(name);
  }

  async stat(path: string): Promise<FileStat | undefined> {
    await Promise.resolve();
    this.check(path, false);
    const full = posix.resolve('/', path);
    if (full === '/') return { size: 0, mtimeMs: 0, isDirectory: true };
    const parent = this.lookupDir(posix.dirname(full));
    const node = parent?.entries.get(posix.basename(full));
    if (!node) return undefined;
    if (node instanceof Dir) return { size: 0, mtimeMs: 0, isDirectory: true };
    return { size: node.size, mtimeMs: node.mtimeMs, isDirectory: false };
  }

  async syncDir(path: string): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.check(path, true);
    const dir = this.lookupDir(path);
    if (!dir) return;
    for (const op of dir.pending) applyDirOp(dir.durable, op);
    dir.pending = [];
  }
}

function applyDirOp(map: Map<string, Inode | Dir>, op: DirOp): void {
  if (op.kind === 'link') map.set(op.name, op.node);
  else map.delete(op.name);
}

class MemoryFileHandle implements FileHandle {
  private closed = false;

  constructor(
    private readonly fs: MemoryFileSystem,
    private readonly node: Inode,
    readonly path: string,
    private readonly readOnly: boolean,
  ) {}

  private live(): void {
    this.fs.alive(this.path);
    if (this.closed) throw new SluiceError('IO_ERROR', `file handle closed: ${this.path}`, { details: { path: this.path } });
  }

  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    await Promise.resolve();
    this.live();
    const n = Math.max(0, Math.min(length, this.node.size - position));
    if (n > 0) this.node.data.copy(buf, offset, position, position + n);
    return n;
  }

  async write(data: Buffer, position: number): Promise<void> {
    await Promise.resolve();
    this.live();
    if (this.readOnly) throw new SluiceError('IO_ERROR', `file opened read-only: ${this.path}`, { details: { path: this.path } });
    this.fs.doWrite(this.node, this.path, data, position);
  }

  async writev(data: Buffer[], position: number): Promise<void> {
    await this.write(data.length === 1 ? data[0]! : Buffer.concat(data), position);
  }

  async sync(): Promise<void> {
    // A macrotask, like a real fsync: appends arriving meanwhile queue for the next one.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.live();
    this.fs.doSync(this.node, this.path);
  }

  async truncate(length: number): Promise<void> {
    await Promise.resolve();
    this.live();
    this.fs.doTruncate(this.node, this.path, length);
  }

  async size(): Promise<number> {
    await Promise.resolve();
    this.live();
    return this.node.size;
  }

  async close(): Promise<void> {
    await Promise.resolve();
    this.closed = true;
  }
}
