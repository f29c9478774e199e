// Writes one key group's snapshot bytes (snapshot-format.ts, version 2) by hand instead of
// handing msgpackr an object tree. Two reasons, both about checkpoint cost:
// - A cell's entry (its key, namespace and payload, three msgpack bins) is a run of bytes a
//   backend can find again in the snapshot it was written into: while the cell does not
//   change, the next snapshot copies that run instead of encoding the cell again.
// - msgpackr spent 2-4 µs per cell packing the flat array of byte strings.
// What it writes is plain msgpack that decodeKeyGroupSnapshot reads as before.
// May import: snapshot-format.ts, types.ts.
import { MAGIC, SNAPSHOT_FORMAT_VERSION } from './snapshot-format.js';
import type { StateKind } from './types.js';

function writeU32(out: Uint8Array, at: number, n: number): void {
  out[at] = n >>> 24;
  out[at + 1] = (n >>> 16) & 0xff;
  out[at + 2] = (n >>> 8) & 0xff;
  out[at + 3] = n & 0xff;
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
/** Where a key group's head starts: after the magic and the format version. */
const HEAD_AT = MAGIC.length + 1;

/**
 * Writes one key group's snapshot at a time into a buffer it reuses, then hands out a copy
 * of exactly its size. Cells come either as parts (`cell`) or as an entry copied from an
 * earlier snapshot's bytes (`copy`); both return where the entry starts in the bytes
 * `finish` will return, so a backend can note (offset, length) per cell and copy it at the
 * next snapshot while the cell is unchanged: it keeps no bytes per cell.
 */
export class KeyGroupSnapshotWriter {
  private buf = new Uint8Array(64 * 1024);
  private at = 0;
  /** Where the current state's cell count goes; -1: no state begun. */
  private countAt = -1;
  private stateStart = 0;
  private cells = 0;
  private states = 0;
  /** Each state's head, encoded once: a snapshot begins every state in every key group. */
  private readonly heads = new Map<string, number[]>();

  /** Bytes written so far for this key group: an entry just written ends here. */
  get size(): number {
    return this.at;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    grown.set(this.buf.subarray(0, this.at));
    this.buf = grown;
  }

  private bytes(b: ArrayLike<number>): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  private u32(n: number): void {
    writeU32(this.buf, this.at, n);
    this.at += 4;
  }

  private bin(b: Uint8Array): void {
    const n = b.length;
    this.room(5 + n);
    const buf = this.buf;
    if (n < 0x100) {
      buf[this.at++] = 0xc4;
      buf[this.at++] = n;
    } else if (n < 0x10000) {
      buf[this.at++] = 0xc5;
      buf[this.at++] = n >>> 8;
      buf[this.at++] = n & 0xff;
    } else {
      buf[this.at++] = 0xc6;
      this.u32(n);
    }
    buf.set(b, this.at);
    this.at += n;
  }

  /** Starts a key group (a snapshot calls it before the states of each key group). */
  begin(): void {
    this.at = 0;
    this.bytes(MAGIC);
    this.bytes([SNAPSHOT_FORMAT_VERSION]);
    this.bytes(KEY_GROUP_HEAD);
    // The states array's header, its count filled in by finish.
    this.bytes([0xdd, 0, 0, 0, 0]);
    this.states = 0;
    this.countAt = -1;
  }

  beginState(name: string, kind: StateKind, ttlMs: number | null, wrapped: boolean): void {
    this.endState();
    const id = `${kind} ${ttlMs} ${wrapped} ${name}`;
    let head = this.heads.get(id);
    if (head === undefined) {
      const h = new HeaderBytes().map(5).str('name').str(name).str('kind').str(kind).str('ttlMs');
      if (ttlMs === null) h.nil();
      else h.num(ttlMs);
      this.heads.set(id, (head = h.str('wrapped').bool(wrapped).str('cells').bytes));
    }
    this.stateStart = this.at;
    this.bytes(head);
    this.room(5);
    this.buf[this.at++] = 0xdd;
    this.countAt = this.at;
    this.at += 4;
    this.cells = 0;
  }

  /** Closes the current state: its cell count goes in, or, without cells, it is taken back out. */
  private endState(): void {
    if (this.countAt < 0) return;
    // Each cell is three items of the flat cells array.
    if (this.cells > 0) {
      writeU32(this.buf, this.countAt, this.cells * 3);
      this.states++;
    } else this.at = this.stateStart;
    this.countAt = -1;
  }

  /** Writes a cell from its parts; returns where its entry starts (it ends at `size`). */
  cell(keyBytes: Uint8Array, nsBytes: Uint8Array, payload: Uint8Array): number {
    const start = this.at;
    this.bin(keyBytes);
    this.bin(nsBytes);
    this.bin(payload);
    this.cells++;
    return start;
  }

  /** Copies an entry from an earlier snapshot's bytes, `from` at `offset`; returns where it starts now. */
  copy(from: Uint8Array, offset: number, length: number): number {
    const start = this.at;
    this.room(length);
    this.buf.set(from.subarray(offset, offset + length), start);
    this.at += length;
    this.cells++;
    return start;
  }

  /** The key group's snapshot bytes, or null when no state has a cell. */
  finish(maxParallelism: number, keyGroup: number): Uint8Array | null {
    this.endState();
    if (this.states === 0) return null;
    writeU32(this.buf, HEAD_AT + MP_AT, maxParallelism);
    writeU32(this.buf, HEAD_AT + KG_AT, keyGroup);
    writeU32(this.buf, HEAD_AT + KEY_GROUP_HEAD.length + 1, this.states);
    return this.buf.slice(0, this.at);
  }
}
