// Writes one key group's snapshot bytes (snapshot-format.ts, version 2) by hand instead of
// handing msgpackr an object tree. Two reasons, both about checkpoint cost:
// - A cell's entry (its key, namespace and payload, three msgpack bins) is a run of bytes a
//   backend can find again in the snapshot it was written into: while the cell does not
//   change, the next snapshot copies that run instead of encoding the cell again.
// - msgpackr spent 2-4 µs per cell packing the flat array of byte strings.
// What it writes is plain msgpack that decodeKeyGroupSnapshot reads as before.
// May import: codec/byte-writer, snapshot-format.ts, types.ts.
import { ByteWriter } from '../../codec/byte-writer.js';
import { MAGIC, SNAPSHOT_FORMAT_VERSION } from './snapshot-format.js';
import type { StateKind } from './types.js';

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
const KEY_GROUP_HEAD = Uint8Array.from(new HeaderBytes().map(3).str('mp').num(0).str('kg').num(0).str('states').bytes);
const MP_AT = 5;
const KG_AT = 13;
/** Where a key group's head starts: after the magic and the format version. */
const HEAD_AT = MAGIC.length + 1;

/**
 * Writes one key group's snapshot at a time into a ByteWriter it reuses, then hands out a
 * copy of exactly its size. Cells come either as parts (`cell`) or as an entry copied from an
 * earlier snapshot's bytes (`copy`); both return where the entry starts in the bytes
 * `finish` will return, so a backend can note (offset, length) per cell and copy it at the
 * next snapshot while the cell is unchanged: it keeps no bytes per cell.
 */
export class KeyGroupSnapshotWriter {
  private readonly w = new ByteWriter(64 * 1024);
  /** Where the states array's count goes. */
  private statesAt = 0;
  /** Where the current state's cell count goes; -1: no state begun. */
  private countAt = -1;
  private stateStart = 0;
  private cells = 0;
  private states = 0;
  /** Each state's head, encoded once: a snapshot begins every state in every key group. */
  private readonly heads = new Map<string, Uint8Array>();

  /** Bytes written so far for this key group: an entry just written ends here. */
  get size(): number {
    return this.w.length;
  }

  private bin(b: Uint8Array): void {
    const n = b.length;
    if (n < 0x100) this.w.uint8(0xc4).uint8(n);
    else if (n < 0x10000) this.w.uint8(0xc5).uint16(n);
    else this.w.uint8(0xc6).uint32(n);
    this.w.bytes(b);
  }

  /** Starts a key group (a snapshot calls it before the states of each key group). */
  begin(): void {
    this.w.truncate(0);
    this.w.bytes(MAGIC).uint8(SNAPSHOT_FORMAT_VERSION).bytes(KEY_GROUP_HEAD).uint8(0xdd);
    this.statesAt = this.w.reserve(4);
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
      this.heads.set(id, (head = Uint8Array.from(h.str('wrapped').bool(wrapped).str('cells').bytes)));
    }
    this.stateStart = this.w.length;
    this.w.bytes(head).uint8(0xdd);
    this.countAt = this.w.reserve(4);
    this.cells = 0;
  }

  /** Closes the current state: its cell count goes in, or, without cells, it is taken back out. */
  private endState(): void {
    if (this.countAt < 0) return;
    // Each cell is three items of the flat cells array.
    if (this.cells > 0) {
      this.w.patchUint32(this.countAt, this.cells * 3);
      this.states++;
    } else this.w.truncate(this.stateStart);
    this.countAt = -1;
  }

  /** Writes a cell from its parts; returns where its entry starts (it ends at `size`). */
  cell(keyBytes: Uint8Array, nsBytes: Uint8Array, payload: Uint8Array): number {
    const start = this.w.length;
    this.bin(keyBytes);
    this.bin(nsBytes);
    this.bin(payload);
    this.cells++;
    return start;
  }

  /** Copies an entry from an earlier snapshot's bytes, `from` at `offset`; returns where it starts now. */
  copy(from: Uint8Array, offset: number, length: number): number {
    const start = this.w.length;
    this.w.bytes(from.subarray(offset, offset + length));
    this.cells++;
    return start;
  }

  /** The key group's snapshot bytes (a copy: the writer's buffer is reused), or null when no state has a cell. */
  finish(maxParallelism: number, keyGroup: number): Uint8Array | null {
    this.endState();
    if (this.states === 0) return null;
    this.w.patchUint32(HEAD_AT + MP_AT, maxParallelism);
    this.w.patchUint32(HEAD_AT + KG_AT, keyGroup);
    this.w.patchUint32(this.statesAt, this.states);
    return Buffer.from(this.w.finish());
  }
}
