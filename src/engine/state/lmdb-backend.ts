// Keyed state in LMDB (the `lmdb` package): for state larger than memory. The database is
// a working store, not the durable copy: it starts empty, is written without fsync, and
// durability comes from checkpoints (snapshot()). So the directory is scratch space.
//
// Key layout (binary, compared bytewise): [stateId u16][keyGroup u16][key][namespace]
// ([userKey] for map state), each of key/namespace/userKey in canonical key-codec bytes,
// which are self-delimiting, so (stateId, keyGroup) and (…, key, namespace) are exact
// prefixes: a key group or one map is a single cheap range scan.
// Values: msgpackr bytes (value-codec.ts says why).
//
// Writes go to a small in-memory write buffer (dirty map, bounded) that is flushed to
// LMDB in ONE synchronous transaction when full and before any range scan, so per-record
// writes do not each pay an LMDB commit and the heap stays bounded however large the
// state grows. Reads check the buffer first (read-your-writes).
// May import: errors, types, base-backend, cell-storage, key-codec, value-codec.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import type { RootDatabase } from 'lmdb';
import { SluiceError } from '../../errors.js';
import { ByteReader } from '../../codec/byte-reader.js';
import { BaseKeyedStateBackend } from './base-backend.js';
import type { CellVisitor } from './base-backend.js';
import { MISSING } from './cell-storage.js';
import type { StateMeta } from './cell-storage.js';
import { encodeKey, readKey } from './key-codec.js';
import type { KeyedStateBackend, KeyedStateBackendOptions } from './types.js';
import { packValue, unpackValue } from './value-codec.js';

/** LMDB's key limit in lmdb-js is 1978 bytes; keep clear of it with our prefix. */
const MAX_KEY_BYTES = 1900;
const DELETED: unique symbol = Symbol('deleted');

export interface LmdbKeyedStateBackendOptions extends KeyedStateBackendOptions {
  /** Directory the backend owns (created if missing); its files are removed on close. */
  readonly path: string;
  /** Pending writes held in memory before a flush. Default 10,000. */
  readonly writeBufferEntries?: number;
}

interface Dirty {
  k: Buffer;
  v: unknown;
}

interface LmdbStore {
  keyVersion: number;
  nsVersion: number;
  cellKey: Buffer;
  cellKeyStr: string;
}

function nextPrefix(prefix: Buffer): Buffer {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  // All 0xff: no upper bound exists below the key space end; never happens (stateId < 0xffff).
  throw new SluiceError('INTERNAL', 'no prefix successor');
}

export class LmdbKeyedStateBackend extends BaseKeyedStateBackend {
  private readonly db: RootDatabase<Buffer, Buffer>;
  private readonly file: string;
  private readonly dirty = new Map<string, Dirty>();
  private readonly writeBufferEntries: number;
  private keyBytesVersion = -1;
  private keyBytes: Buffer = Buffer.alloc(0);
  private nsBytesVersion = -1;
  private nsBytes: Buffer = Buffer.alloc(0);

  constructor(options: LmdbKeyedStateBackendOptions) {
    super(options);
    if (typeof options.path !== 'string' || options.path.length === 0) {
      throw new SluiceError('INVALID_ARGUMENT', 'LMDB state backend needs a directory path');
    }
    this.writeBufferEntries = Math.max(1, options.writeBufferEntries ?? 10_000);
    try {
      mkdirSync(options.path, { recursive: true });
      this.file = join(options.path, 'keyed-state.mdb');
      this.db = open<Buffer, Buffer>({
        path: this.file,
        noSubdir: true,
        keyEncoding: 'binary',
        encoding: 'binary',
        noSync: true,
        noMetaSync: true,
        cache: false,
        compression: false,
      });
      // Leftovers from a crashed run are meaningless: state comes back through restore().
      this.db.clearSync();
    } catch (err) {
      throw new SluiceError('IO_ERROR', `cannot open LMDB state at ${options.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  protected initStore(m: StateMeta): void {
    if (m.id > 0xffff) throw new SluiceError('STATE_ERROR', 'too many states in one backend');
    const store: LmdbStore = { keyVersion: -1, nsVersion: -1, cellKey: Buffer.alloc(0), cellKeyStr: '' };
    m.store = store;
  }

  // ---- key building (cached per key / namespace change) -------------------------------

  private curKeyBytes(): Buffer {
    if (this.keyBytesVersion !== this.keyVersion) {
      this.keyBytes = encodeKey(this.curKey);
      this.keyBytesVersion = this.keyVersion;
    }
    return this.keyBytes;
  }

  private curNsBytes(): Buffer {
    if (this.nsBytesVersion !== this.nsVersion) {
      this.nsBytes = encodeKey(this.curNs);
      this.nsBytesVersion = this.nsVersion;
    }
    return this.nsBytes;
  }

  private cellKey(m: StateMeta): LmdbStore {
    this.requireKey();
    const st = m.store as LmdbStore;
    if (st.keyVersion === this.keyVersion && st.nsVersion === this.nsVersion) return st;
    const kb = this.curKeyBytes();
    const nb = this.curNsBytes();
    const len = 4 + kb.length + nb.length;
    if (len > MAX_KEY_BYTES) {
      throw new SluiceError('INVALID_ARGUMENT', `key and namespace encode to ${len} bytes; the LMDB state backend allows ${MAX_KEY_BYTES}`);
    }
    const b = Buffer.allocUnsafe(len);
    b.writeUInt16BE(m.id, 0);
    b.writeUInt16BE(this.curKg, 2);
    kb.copy(b, 4);
    nb.copy(b, 4 + kb.length);
    st.cellKey = b;
    st.cellKeyStr = b.toString('latin1');
    st.keyVersion = this.keyVersion;
    st.nsVersion = this.nsVersion;
    return st;
  }

  private entryKey(m: StateMeta, userKey: unknown): Buffer {
    const prefix = this.cellKey(m).cellKey;
    const k = Buffer.concat([prefix, encodeKey(userKey)]);
    if (k.length > MAX_KEY_BYTES) {
      throw new SluiceError('INVALID_ARGUMENT', `map key encodes to ${k.length} bytes with its prefix; the LMDB state backend allows ${MAX_KEY_BYTES}`);
    }
    return k;
  }

  // ---- buffered reads and writes -----------------------------------------------------

  private read(k: Buffer, ks: string): unknown {
    const d = this.dirty.get(ks);
    if (d !== undefined) return d.v === DELETED ? MISSING : d.v;
    const bytes = this.db.getBinary(k);
    return bytes === undefined ? MISSING : unpackValue(bytes);
  }

  private write(k: Buffer, ks: string, v: unknown): void {
    const d = this.dirty.get(ks);
    if (d !== undefined) d.v = v;
    else {
      this.dirty.set(ks, { k, v });
      if (this.dirty.size >= this.writeBufferEntries) this.flush();
    }
  }

  /** Writes the buffer in one transaction. */
  flush(): void {
    if (this.dirty.size === 0) return;
    const db = this.db;
    const entries = this.dirty;
    try {
      db.transactionSync(() => {
        for (const e of entries.values()) {
          if (e.v === DELETED) db.removeSync(e.k);
          else db.putSync(e.k, packValue(e.v));
        }
      });
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      throw new SluiceError('IO_ERROR', `LMDB state write failed: ${(err as Error).message}`, { cause: err });
    }
    entries.clear();
  }

  private deleteRange(start: Buffer, end: Buffer): void {
    this.flush();
    const keys: Buffer[] = [];
    for (const k of this.db.getKeys({ start, end })) keys.push(k);
    if (keys.length === 0) return;
    this.db.transactionSync(() => {
      for (const k of keys) this.db.removeSync(k);
    });
  }

  // ---- CellStorage -------------------------------------------------------------------

  getCell(m: StateMeta): unknown {
    const st = this.cellKey(m);
    const v = this.read(st.cellKey, st.cellKeyStr);
    return v === MISSING ? undefined : v;
  }

  putCell(m: StateMeta, stored: unknown): void {
    const st = this.cellKey(m);
    this.write(st.cellKey, st.cellKeyStr, stored);
  }

  removeCell(m: StateMeta): void {
    const st = this.cellKey(m);
    if (m.kind === 'map') this.deleteRange(st.cellKey, nextPrefix(st.cellKey));
    else this.write(st.cellKey, st.cellKeyStr, DELETED);
  }

  mapGet(m: StateMeta, userKey: unknown): unknown {
    const k = this.entryKey(m, userKey);
    return this.read(k, k.toString('latin1'));
  }

  mapPut(m: StateMeta, userKey: unknown, stored: unknown): void {
    const k = this.entryKey(m, userKey);
    this.write(k, k.toString('latin1'), stored);
  }

  mapRemove(m: StateMeta, userKey: unknown): void {
    const k = this.entryKey(m, userKey);
    this.write(k, k.toString('latin1'), DELETED);
  }

  mapEntries(m: StateMeta): Array<[unknown, unknown]> {
    const prefix = this.cellKey(m).cellKey;
    this.flush();
    const out: Array<[unknown, unknown]> = [];
    for (const { key, value } of this.db.getRange({ start: prefix, end: nextPrefix(prefix) })) {
      const r = new ByteReader(key, prefix.length);
      out.push([readKey(r), unpackValue(value)]);
    }
    return out;
  }

  mapIsEmpty(m: StateMeta): boolean {
    const prefix = this.cellKey(m).cellKey;
    this.flush();
    for (const _ of this.db.getKeys({ start: prefix, end: nextPrefix(prefix), limit: 1 })) return false;
    return true;
  }

  protected scan(m: StateMeta, kg: number, visit: CellVisitor): void {
    this.flush();
    const start = Buffer.allocUnsafe(4);
    start.writeUInt16BE(m.id, 0);
    start.writeUInt16BE(kg, 2);
    const end = nextPrefix(start);
    if (m.kind !== 'map') {
      for (const { key, value } of this.db.getRange({ start, end })) {
        const r = new ByteReader(key, 4);
        const k = readKey(r);
        const ns = readKey(r);
        visit(k, ns, unpackValue(value));
      }
      return;
    }
    // Map entries of one (key, namespace) are adjacent: group them into one cell.
    let prevPrefix: Buffer | undefined;
    let curKey: unknown;
    let curNs: unknown;
    let entries: Array<[unknown, unknown]> = [];
    for (const { key, value } of this.db.getRange({ start, end })) {
      const r = new ByteReader(key, 4);
      const k = readKey(r);
      const ns = readKey(r);
      const prefix = key.subarray(0, r.pos);
      if (prevPrefix === undefined || !prevPrefix.equals(prefix)) {
        if (prevPrefix !== undefined) visit(curKey, curNs, entries);
        prevPrefix = Buffer.from(prefix);
        curKey = k;
        curNs = ns;
        entries = [];
      }
      entries.push([readKey(r), unpackValue(value)]);
    }
    if (prevPrefix !== undefined) visit(curKey, curNs, entries);
  }

  protected clearAll(): void {
    this.dirty.clear();
    this.db.clearSync();
    for (const m of this.metas.values()) (m.store as LmdbStore).keyVersion = -1;
  }

  protected async closeStorage(): Promise<void> {
    this.dirty.clear();
    await this.db.close();
    rmSync(this.file, { force: true });
    rmSync(this.file + '-lock', { force: true });
  }
}

export function createLmdbKeyedStateBackend(options: LmdbKeyedStateBackendOptions): KeyedStateBackend {
  return new LmdbKeyedStateBackend(options);
}
