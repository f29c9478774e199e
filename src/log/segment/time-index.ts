// Sparse time index of one segment: at the same points as the offset index, (largest
// timestamp of every batch BEFORE this one -> this batch's base offset). Because every
// earlier record is <= that timestamp, a lookup for the first record with timestamp >= t
// may start at the last entry whose timestamp is < t and walk forward.
// May import: ../../codec/crc32c.js.
import { crc32c } from '../../codec/crc32c.js';

export class TimeIndex {
  private times = new Float64Array(64);
  private offsets = new Float64Array(64);
  length = 0;

  add(maxTimestampBefore: number, baseOffset: number): void {
    if (this.length === this.times.length) {
      const t = new Float64Array(this.length * 2);
      t.set(this.times);
      this.times = t;
      const o = new Float64Array(this.length * 2);
      o.set(this.offsets);
      this.offsets = o;
    }
    this.times[this.length] = maxTimestampBefore;
    this.offsets[this.length] = baseOffset;
    this.length++;
  }

  /** Base offset of the batch to start walking from for `timestamp`, or undefined = segment start. */
  lookup(timestamp: number): number | undefined {
    let lo = 0;
    let hi = this.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! < timestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : this.offsets[found]!;
  }

  truncateToOffset(offset: number): void {
    while (this.length > 0 && this.offsets[this.length - 1]! >= offset) this.length--;
  }

  entries(): { timestamp: number; offset: number }[] {
    const out = [];
    for (let i = 0; i < this.length; i++) out.push({ timestamp: this.times[i]!, offset: this.offsets[i]! });
    return out;
  }

  /** [timestamp i64 as double, relative offset u32]* + CRC-32C u32. */
  serialize(baseOffset: number): Buffer {
    const buf = Buffer.allocUnsafe(this.length * 12 + 4);
    for (let i = 0; i < this.length; i++) {
      buf.writeDoubleBE(this.times[i]!, i * 12);
      buf.writeUInt32BE(this.offsets[i]! - baseOffset, i * 12 + 8);
    }
    buf.writeUInt32BE(crc32c(buf.subarray(0, this.length * 12)), this.length * 12);
    return buf;
  }

  static deserialize(buf: Buffer, baseOffset: number): TimeIndex | undefined {
    if (buf.length < 4 || (buf.length - 4) % 12 !== 0) return undefined;
    const n = (buf.length - 4) / 12;
    if (crc32c(buf.subarray(0, n * 12)) !== buf.readUInt32BE(n * 12)) return undefined;
    const idx = new TimeIndex();
    for (let i = 0; i < n; i++) idx.add(buf.readDoubleBE(i * 12), baseOffset + buf.readUInt32BE(i * 12 + 8));
    return idx;
  }
}
