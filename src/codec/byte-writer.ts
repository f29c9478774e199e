// Growable big-endian byte writer for Kafka encodings (protocol messages and record
// batches). Writes into one buffer that doubles when full; `finish()` returns a view,
// not a copy. Length prefixes and checksums are written by reserving room and patching.
import { SluiceError } from '../errors.js';
import { zigzagEncode } from './varint.js';

const TWO_32 = 2 ** 32;

export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view over the internal buffer). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Direct access for codecs that fill a region themselves (e.g. checksums over it). */
  view(start: number, end = this.pos): Buffer {
    return this.buf.subarray(start, end);
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Goes back to `at` (at most the current length): what was written from there on is dropped, the buffer kept for reuse. */
  truncate(at: number): void {
    if (at < 0 || at > this.pos) throw new SluiceError('INTERNAL', `cannot truncate ${this.pos} bytes to ${at}`);
    this.pos = at;
  }

  /** Skips `n` bytes to be filled in later with a patch method; returns their position. */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  bool(v: boolean): this {
    return this.uint8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  /** Signed 64-bit from a JavaScript number (exact up to 2^53). */
  int64(v: number): this {
    this.ensure(8);
    writeInt64(this.buf, this.pos, v);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  uvarint(v: number): this {
    // A negative value would silently encode as one garbage byte; it is always a caller bug.
    if (!(v >= 0)) throw new SluiceError('INTERNAL', `uvarint cannot encode ${v}`);
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = v < TWO_32 ? v >>> 7 : Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** Zigzag signed varint (Kafka's varint and varlong). */
  varint(v: number): this {
    if (v > -(2 ** 52) && v < 2 ** 52) return this.uvarint(zigzagEncode(v));
    // Zigzag of magnitudes near 2^53 needs 54 bits, more than a double holds: encode exactly.
    const b = BigInt(Math.trunc(v));
    let z = b >= 0n ? b << 1n : ((-b) << 1n) - 1n;
    this.ensure(10);
    while (z >= 0x80n) {
      this.buf[this.pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.buf[this.pos++] = Number(z);
    return this;
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  /** UTF-8 string without a length prefix; returns the number of bytes written. */
  utf8(s: string): number {
    const max = s.length * 3;
    this.ensure(max);
    const n = this.buf.write(s, this.pos, max, 'utf8');
    this.pos += n;
    return n;
  }

  patchInt32(at: number, v: number): void {
    this.buf.writeInt32BE(v, at);
  }

  patchUint32(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at);
  }

  patchInt64(at: number, v: number): void {
    writeInt64(this.buf, at, v);
  }
}

export function writeInt64(buf: Buffer, at: number, v: number): void {
  if (Number.isSafeInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) {
    buf.writeInt32BE(v < 0 ? -1 : 0, at);
    buf.writeInt32BE(v, at + 4);
  } else {
    buf.writeBigInt64BE(BigInt(Math.trunc(v)), at);
  }
}

export function readInt64(buf: Buffer, at: number): number {
  const hi = buf.readInt32BE(at);
  const lo = buf.readUInt32BE(at + 4);
  return hi * TWO_32 + lo;
}
