// Bounds-checked big-endian byte reader for Kafka encodings. Every read checks the
// remaining length first and throws a typed TRUNCATED_INPUT / INVALID_VARINT error, so
// a malformed frame or batch can never read past its end or allocate from a bogus length.
// `bytes()` returns views into the underlying buffer (zero copy).
import { SluiceError } from '../errors.js';
import { readInt64 } from './byte-writer.js';
import { zigzagDecode } from './varint.js';

export class ByteReader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    // Clamped so a bogus end can never make a read run past the buffer (a RangeError, not TRUNCATED_INPUT).
    this.end = Math.min(end, buf.length);
    this.pos = Math.min(Math.max(0, start), this.end);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    // `!(n >= 0)` also refuses NaN, which would otherwise slip through both comparisons.
    if (!(n >= 0) || this.pos + n > this.end) {
      throw new SluiceError('TRUNCATED_INPUT', `needed ${n} bytes at position ${this.pos}, ${this.end - this.pos} left`);
    }
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  bool(): boolean {
    return this.uint8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): number {
    this.need(8);
    const v = readInt64(this.buf, this.pos);
    this.pos += 8;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned LEB128, at most 10 bytes (64 bits). */
  uvarint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new SluiceError('TRUNCATED_INPUT', 'varint runs past the end of the input');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return result;
      multiplier *= 128;
    }
    throw new SluiceError('INVALID_VARINT', 'varint longer than 10 bytes');
  }

  /** Zigzag signed varint (Kafka's varint and varlong). */
  varint(): number {
    const start = this.pos;
    const u = this.uvarint();
    if (u < 2 ** 52) return zigzagDecode(u);
    // Zigzag of magnitudes near 2^53 needs 54 bits, more than a double holds: redo it exactly.
    let big = 0n;
    for (let i = this.pos - 1; i >= start; i--) big = (big << 7n) | BigInt(this.buf[i]! & 0x7f);
    return Number((big >> 1n) ^ -(big & 1n));
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  utf8(n: number): string {
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}
