// The inner record format of RecordBatch v2 (one entry of the batch's records array),
// kept apart from the batch framing so the batch file reads as framing + checksum only.
// Decoding returns key/value/header values as views into the input (zero copy).
//
// Record => length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//           keyLength varint (-1 = null), key, valueLength varint, value,
//           headerCount varint, [headerKeyLength varint, headerKey utf8, headerValueLength varint, headerValue]
//
// May import: ../errors.ts and the byte reader/writer and varints of this folder.
import { SluiceError } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';
import { sizeOfVarint } from './varint.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface Record {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  timestamp?: number;
}

const NO_HEADERS: RecordHeader[] = [];

/** Bytes of one record's body (everything after its length varint). */
export function recordBodySize(r: RecordInput, timestampDelta: number, offsetDelta: number): number {
  const key = r.key ?? null;
  const value = r.value;
  let size = 1 + sizeOfVarint(timestampDelta) + sizeOfVarint(offsetDelta);
  size += key === null ? 1 : sizeOfVarint(key.length) + key.length;
  size += value === null ? 1 : sizeOfVarint(value.length) + value.length;
  const headers = r.headers ?? NO_HEADERS;
  size += sizeOfVarint(headers.length);
  for (const h of headers) {
    const kl = Buffer.byteLength(h.key, 'utf8');
    size += sizeOfVarint(kl) + kl;
    size += h.value === null ? 1 : sizeOfVarint(h.value.length) + h.value.length;
  }
  return size;
}

export function writeRecord(w: ByteWriter, r: RecordInput, timestampDelta: number, offsetDelta: number): void {
  w.varint(recordBodySize(r, timestampDelta, offsetDelta));
  w.int8(0);
  w.varint(timestampDelta);
  w.varint(offsetDelta);
  writeNullableBytes(w, r.key ?? null);
  writeNullableBytes(w, r.value);
  const headers = r.headers ?? NO_HEADERS;
  w.varint(headers.length);
  for (const h of headers) {
    w.varint(Buffer.byteLength(h.key, 'utf8'));
    w.utf8(h.key);
    writeNullableBytes(w, h.value);
  }
}

function writeNullableBytes(w: ByteWriter, b: Buffer | null): void {
  if (b === null) {
    w.varint(-1);
  } else {
    w.varint(b.length);
    w.bytes(b);
  }
}

/**
 * Decodes `count` records from buf[start, end), which must hold exactly those records.
 * `timestampOverride` (LogAppendTime batches) replaces every record's own timestamp.
 * Any malformation is CORRUPT_BATCH: the bytes passed the batch CRC, so they were written wrong.
 */
export function decodeRecords(
  buf: Buffer,
  start: number,
  end: number,
  count: number,
  baseOffset: number,
  baseTimestamp: number,
  timestampOverride: number | undefined,
): Record[] {
  // Every record takes at least 7 bytes: refuse a count the bytes cannot hold before allocating for it.
  if (count < 0 || count * 7 > end - start) {
    throw new SluiceError('CORRUPT_BATCH', `batch claims ${count} records in ${end - start} bytes`);
  }
  const out: Record[] = new Array<Record>(count);
  const r = new ByteReader(buf, start, end);
  try {
    for (let i = 0; i < count; i++) {
      const length = r.varint();
      if (length < 0 || length > r.remaining) throw new SluiceError('CORRUPT_BATCH', `record ${i} has length ${length}, ${r.remaining} bytes left`);
      const recordEnd = r.pos + length;
      r.skip(1); // attributes: unused in v2
      const timestampDelta = r.varint();
      const offsetDelta = r.varint();
      const key = readNullableBytes(r);
      const value = readNullableBytes(r);
      const headerCount = r.varint();
      let headers = NO_HEADERS;
      if (headerCount !== 0) {
        if (headerCount < 0 || headerCount * 2 > recordEnd - r.pos) {
          throw new SluiceError('CORRUPT_BATCH', `record ${i} claims ${headerCount} headers`);
        }
        headers = new Array<RecordHeader>(headerCount);
        for (let h = 0; h < headerCount; h++) {
          const kl = r.varint();
          if (kl < 0) throw new SluiceError('CORRUPT_BATCH', `record ${i} header ${h} has a null key`);
          const hk = r.utf8(kl);
          headers[h] = { key: hk, value: readNullableBytes(r) };
        }
      }
      if (r.pos !== recordEnd) {
        throw new SluiceError('CORRUPT_BATCH', `record ${i} declares ${length} bytes but its fields take ${length + r.pos - recordEnd}`);
      }
      out[i] = {
        offset: baseOffset + offsetDelta,
        timestamp: timestampOverride ?? baseTimestamp + timestampDelta,
        key,
        value,
        headers,
      };
    }
  } catch (err) {
    if (err instanceof SluiceError && err.code === 'CORRUPT_BATCH') throw err;
    throw new SluiceError('CORRUPT_BATCH', `records do not decode: ${(err as Error).message}`, { cause: err });
  }
  if (r.pos !== end) {
    throw new SluiceError('CORRUPT_BATCH', `${end - r.pos} bytes left over after the batch's ${count} records`);
  }
  return out;
}

function readNullableBytes(r: ByteReader): Buffer | null {
  const n = r.varint();
  if (n === -1) return null;
  if (n < -1) throw new SluiceError('CORRUPT_BATCH', `negative length ${n}`);
  return r.bytes(n);
}
