// Writes one key group's snapshot bytes (snapshot-format.ts, version 2) by hand instead of
// handing msgpackr an object tree. Two reasons, both about checkpoint cost:
// - A cell's entry (its key, namespace and payload, three msgpack bins) is a byte string of
//   its own, which a backend can keep while the cell does not change: the next snapshot
//   copies it instead of encoding it again.
// - msgpackr spent 2-4 µs per cell packing the flat array of byte strings; copying a kept
//   entry costs a memcpy.
// What it writes is plain msgpack that decodeKeyGroupSnapshot reads as before.
// May import: snapshot-format.ts, types.ts.
import { MAGIC, SNAPSHOT_FORMAT_VERSION } from './snapshot-format.js';
import type { StateKind } from './types.js';

/** The msgpack bin header of a byte string of `n` bytes. */
function binHeaderSize(n: number): number {
  return n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

function writeBin(out: Uint8Array, at: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (n < 0x100) {
    out[at++] = 0xc4;
    out[at++] = n;
  } else if (n < 0x10000) {
    out[at++] = 0xc5;
    out[at++] = n >>> 8;
    out[at++] = n & 0xff;
  } else {
    out[at++] = 0xc6;
    at = writeU32(out, at, n);
  }
  out.set(bytes, at);
  return at + n;
}

function writeU32(out: Uint8Array, at: number, n: number): number {
  out[at] = n >>> 24;
  out[at + 1] = (n >>> 16) & 0xff;
  out[at + 2] = (n >>> 8) & 0xff;
  out[at + 3] = n & 0xff;
  return at + 4;
}

/**
 * One cell's entry: its key, namespace and payload bytes as three msgpack bins, the unit a
 * backend may keep and pass to `KeyGroupSnapshotWriter.entry` at later snapshots.
 */
export function encodeCellEntry(keyBytes: Uint8Array, nsBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(
    binHeaderSize(keyBytes.length) + keyBytes.length + binHeaderSize(nsBytes.length) + nsBytes.length + binHeaderSize(payload.length) + payload.length,
  );
  writeBin(out, writeBin(out, writeBin(out, 0, keyBytes), nsBytes), payload);
  return out;
}

/** Small msgpack values of the headers, appended to a growing list of bytes. */
class HeaderBytes {
  readonly bytes: number[] = [];
  map(n: number): this {
    this.bytes.push(0x80 | n); // fixmap: the headers have at most 5 keys
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const n = b.length;
    if (n < 32) this.bytes.push(0xa0 | n);
    else if (n < 0x100) this.bytes.push(0xd9, n);
    else if (n < 0x10000) this.bytes.push(0xda, n >>> 8, n & 0xff);
    else this.bytes.push(0xdb, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
    for (const x of b) this.bytes.push(x);
    return this;
  }
  num(v: number): this {
    if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) this.bytes.push(0xce, v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    else {
      const f = Buffer.allocUnsafe(8);
      f.writeDoubleBE(v);
      this.bytes.push(0xcb, ...f);
    }
    return this;
  }
  nil(): this {
    this.bytes.push(0xc0);
    return this;
  }
  bool(v: boolean): this {
    this.bytes.push(v ? 0xc3 : 0xc2);
    return this;
  }
}

// The key group's map up to its states array: { mp: uint32, kg: uint32, states: }, the two
// numbers written in place at MP_AT and KG_AT.
const KEY_GROUP_HEAD = new HeaderBytes().map(3).str('mp').num(0).str('kg').num(0).str('states').bytes;
const MP_AT = 5;
const KG_AT = 13;

interface PendingState {
  /** The state's map up to and including the key 'cells' (its array header is written later). */
  head: number[];
  entries: Uint8Array[];
  size: number;
}

/**
 * Collects the states of one key group and their cell entries, then writes the key group's
 * bytes in one allocation. Cells come either as parts (`cell`) or as an entry kept from an
 * earlier snapshot (`entry`). One writer serves a backend's snapshots, one key group at a time.
 */
export class KeyGroupSnapshotWriter {
  private states: PendingState[] = [];
  private current: PendingState | undefined;
  /** Each state's head, encoded once: a snapshot begins every state in every key group. */
  private readonly heads = new Map<string, number[]>();

  beginState(name: string, kind: StateKind, ttlMs: number | null, wrapped: boolean): void {
    const id = `${kind} ${ttlMs} ${wrapped} ${name}`;
    let head = this.heads.get(id);
    if (head === undefined) {
      const h = new HeaderBytes().map(5).str('name').str(name).str('kind').str(kind).str('ttlMs');
      if (ttlMs === null) h.nil();
      else h.num(ttlMs);
      this.heads.set(id, (head = h.str('wrapped').bool(wrapped).str('cells').bytes));
    }
    this.current = { head, entries: [], size: 0 };
    this.states.push(this.current);
  }

  /** Adds a cell from its parts and returns its entry, which the caller may keep (see `entry`). */
  cell(keyBytes: Uint8Array, nsBytes: Uint8Array, payload: Uint8Array): Uint8Array {
    const e = encodeCellEntry(keyBytes, nsBytes, payload);
    this.entry(e);
    return e;
  }

  /** Adds a cell by an entry from encodeCellEntry or `cell`, unchanged since it was made. */
  entry(bytes: Uint8Array): void {
    const s = this.current as PendingState;
    s.entries.push(bytes);
    s.size += bytes.length;
  }

  /** The key group's snapshot bytes, or null when no state has a cell. Resets the writer. */
  finish(maxParallelism: number, keyGroup: number): Uint8Array | null {
    const states = this.states.filter((s) => s.entries.length > 0);
    this.states = [];
    this.current = undefined;
    if (states.length === 0) return null;
    const head = KEY_GROUP_HEAD;
    let total = MAGIC.length + 1 + head.length + 5;
    // Each cell is three items of the flat cells array.
    for (const s of states) total += s.head.length + 5 + s.size;
    const out = Buffer.allocUnsafe(total);
    MAGIC.copy(out, 0);
    out[MAGIC.length] = SNAPSHOT_FORMAT_VERSION;
    let at = MAGIC.length + 1;
    out.set(head, at);
    writeU32(out, at + MP_AT, maxParallelism);
    writeU32(out, at + KG_AT, keyGroup);
    at += head.length;
    out[at++] = 0xdd;
    at = writeU32(out, at, states.length);
    for (const s of states) {
      out.set(s.head, at);
      at += s.head.length;
      out[at++] = 0xdd;
      at = writeU32(out, at, s.entries.length * 3);
      for (const e of s.entries) {
        out.set(e, at);
        at += e.length;
      }
    }
    return out;
  }
}
