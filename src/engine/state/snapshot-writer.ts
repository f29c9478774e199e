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

/** A msgpack string. */
function str(w: ByteWriter, s: string): ByteWriter {
  const n = Buffer.byteLength(s, 'utf8');
  if (n < 32) w.uint8(0xa0 | n);
  else if (n < 0x100) w.uint8(0xd9).uint8(n);
  else if (n < 0x10000) w.uint8(0xda).uint16(n);
  else w.uint8(0xdb).uint32(n);
  w.utf8(s);
  return w;
}

/** The state's map up to and including the key 'cells' (its array follows). */
function stateHead(name: string, kind: StateKind, ttlMs: number | null, wrapped: boolean): Uint8Array {
  const h = new ByteWriter(64).uint8(0x85); // fixmap of 5
  str(str(h, 'name'), name);
  str(str(h, 'kind'), kind);
  str(h, 'ttlMs');
  if (ttlMs === null) h.uint8(0xc0);
  else if (Number.isInteger(ttlMs) && ttlMs >= 0 && ttlMs <= 0xffffffff) h.uint8(0xce).uint32(ttlMs);
  else h.uint8(0xcb).float64(ttlMs);
  str(h, 'wrapped').uint8(wrapped ? 0xc3 : 0xc2);
  str(h, 'cells');
  return Buffer.from(h.finish());
}

/**
 * Writes one key group's snapshot at a time into a ByteWriter it reuses, then hands out a
 * copy of exactly its size. Cells come either as parts (`cell`) or as an entry copied from an
 * earlier snapshot's bytes (`copy`); both return where the entry starts in the bytes
 * `finish` will return, so a backend can note (offset, length) per cell and copy it at the
 * next snapshot while the cell is unchanged: it keeps no bytes per cell.
 */
export class KeyGroupSnapshotWriter {
  private readonly w = new ByteWriter(64 * 1024);
  /** Where maxParallelism, the key group and the states array's count go. */
  private mpAt = 0;
  private kgAt = 0;
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
    const w = this.w;
    w.truncate(0);
    // { mp: uint32, kg: uint32, states: array32 }, the numbers filled in by finish.
    w.bytes(MAGIC).uint8(SNAPSHOT_FORMAT_VERSION).uint8(0x83); // fixmap of 3
    str(w, 'mp').uint8(0xce);
    this.mpAt = w.reserve(4);
    str(w, 'kg').uint8(0xce);
    this.kgAt = w.reserve(4);
    str(w, 'states').uint8(0xdd);
    this.statesAt = w.reserve(4);
    this.states = 0;
    this.countAt = -1;
  }

  beginState(name: string, kind: StateKind, ttlMs: number | null, wrapped: boolean): void {
    this.endState();
    const id = `${kind} ${ttlMs} ${wrapped} ${name}`;
    let head = this.heads.get(id);
    if (head === undefined) this.heads.set(id, (head = stateHead(name, kind, ttlMs, wrapped)));
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
    this.w.patchUint32(this.mpAt, maxParallelism);
    this.w.patchUint32(this.kgAt, keyGroup);
    this.w.patchUint32(this.statesAt, this.states);
    return Buffer.from(this.w.finish());
  }
}
