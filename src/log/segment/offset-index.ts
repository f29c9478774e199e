// Sparse offset index of one segment: every ~indexIntervalBytes, (batch base offset ->
// byte position). A read looks up the last entry at or before its offset and walks batch
// headers from there, so lookups touch at most one interval of the file.
// Kept in memory (typed arrays); written to `<base>.index` with a CRC trailer when the
// segment rolls, so a torn or stale file is detected and rebuilt instead of trusted.
// May import: ../../codec/crc32c.js.
import { crc32c } from '../../codec/crc32c.js';

export interface SegmentFacts {
  nextOffset: number;
  maxTimestamp: number;
  size: number;
}

export class OffsetIndex {
  private offsets = new Float64Array(64);
  private positions = new Float64Array(64);
  length = 0;

  add(baseOffset: number, position: number): void {
    if (this.length === this.offsets.length) {
      const o = new Float64Array(this.length * 2);
      o.set(this.offsets);
      this.offsets = o;
      const p = new Float64Array(this.length * 2);
      p.set(this.positions);
      this.positions = p;
    }
    this.offsets[this.length] = baseOffset;
    this.positions[this.length] = position;
    this.length++;
  }

  /** Position of the last indexed batch starting at or before `offset` (0 if none). */
  lookup(offset: number): { offset: number; position: number } | undefined {
    let lo = 0;
    let hi = this.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.offsets[mid]! <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : { offset: this.offsets[found]!, position: this.positions[found]! };
  }

  /** The largest indexed position at or before `position` (always a batch boundary), or -1. */
  positionAtOrBefore(position: number): number {
    let lo = 0;
    let hi = this.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.positions[mid]! <= position) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? -1 : this.positions[found]!;
  }

  /** Drops entries at or past `position` (after a truncation). */
  truncateToPosition(position: number): void {
    while (this.length > 0 && this.positions[this.length - 1]! >= position) this.length--;
  }

  entries(): { offset: number; position: number }[] {
    const out = [];
    for (let i = 0; i < this.length; i++) out.push({ offset: this.offsets[i]!, position: this.positions[i]! });
    return out;
  }

  /**
   * [relative offset u32, position u32]* + the closed segment's facts (nextOffset,
   * maxTimestamp, size as doubles) + CRC-32C u32 over everything before it.
   */
  serialize(baseOffset: number, meta: SegmentFacts): Buffer {
    const n = this.length * 8;
    const buf = Buffer.allocUnsafe(n + 28);
    for (let i = 0; i < this.length; i++) {
      buf.writeUInt32BE(this.offsets[i]! - baseOffset, i * 8);
      buf.writeUInt32BE(this.positions[i]!, i * 8 + 4);
    }
    buf.writeDoubleBE(meta.nextOffset, n);
    buf.writeDoubleBE(meta.maxTimestamp, n + 8);
    buf.writeDoubleBE(meta.size, n + 16);
    buf.writeUInt32BE(crc32c(buf.subarray(0, n + 24)), n + 24);
    return buf;
  }

  /** undefined when the file is torn, stale or not monotonic: the caller rebuilds. */
  static deserialize(buf: Buffer, baseOffset: number, segmentSize: number): { index: OffsetIndex; facts: SegmentFacts } | undefined {
    if (buf.length < 28 || (buf.length - 28) % 8 !== 0) return undefined;
    const n = (buf.length - 28) / 8;
    if (crc32c(buf.subarray(0, n * 8 + 24)) !== buf.readUInt32BE(n * 8 + 24)) return undefined;
    const facts = { nextOffset: buf.readDoubleBE(n * 8), maxTimestamp: buf.readDoubleBE(n * 8 + 8), size: buf.readDoubleBE(n * 8 + 16) };
    if (facts.size !== segmentSize) return undefined;
    const idx = new OffsetIndex();
    let lastPos = -1;
    for (let i = 0; i < n; i++) {
      const rel = buf.readUInt32BE(i * 8);
      const pos = buf.readUInt32BE(i * 8 + 4);
      if (pos <= lastPos || pos >= segmentSize) return undefined;
      lastPos = pos;
      idx.add(baseOffset + rel, pos);
    }
    return { index: idx, facts };
  }
}
