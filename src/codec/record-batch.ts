// Kafka RecordBatch v2 (magic 2): the unit the log stores byte-for-byte and the broker
// serves without re-encoding. Header fields are read in place; the only fields ever
// patched after encoding are outside the CRC (baseOffset, partitionLeaderEpoch), except
// the LogAppendTime stamp, which recomputes the CRC.
//
//  0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8
// 17 crc uint32 (CRC-32C of bytes 21..end) | 21 attributes int16 | 23 lastOffsetDelta int32
// 27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16
// 53 baseSequence int32 | 57 recordCount int32 | 61 records (compressed as a whole if attributes say so)
//
// May import: ../errors.ts and the rest of src/codec.
import { SluiceError } from '../errors.js';
import { ByteWriter, readInt64, writeInt64 } from './byte-writer.js';
import { compress, compressionCode, decompress } from './compression.js';
import type { CompressionName } from './compression.js';
import { crc32c } from './crc32c.js';
import { decodeRecords, writeRecord } from './record.js';
import type { Record, RecordInput } from './record.js';

export type { Record, RecordHeader, RecordInput } from './record.js';

export const BATCH_HEADER_SIZE = 61;
/** Bytes of the baseOffset + batchLength prefix that batchLength does not count. */
export const BATCH_LENGTH_PREFIX = 12;
export const CRC_START = 21;

const ATTR_COMPRESSION_MASK = 0x07;
const ATTR_TIMESTAMP_TYPE = 0x08;
const ATTR_TRANSACTIONAL = 0x10;
const ATTR_CONTROL = 0x20;

export interface BatchHeader {
  baseOffset: number;
  /** Bytes after the length field (so the whole batch is 12 + batchLength). */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  compression: number;
  timestampType: 0 | 1;
  isTransactional: boolean;
  isControl: boolean;
}

export interface EncodeBatchOptions {
  baseOffset?: number;
  compression?: CompressionName;
  timestampType?: 0 | 1;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  partitionLeaderEpoch?: number;
  /**
   * Explicit offset deltas (increasing, >= 0), one per record, for rewriting a batch with
   * gaps while keeping every record's offset (compaction). Default: 0, 1, 2, ...
   */
  offsetDeltas?: readonly number[];
  /** Keeps the original batch's last offset delta when records at its end were removed. */
  lastOffsetDelta?: number;
  /** Overrides the computed max timestamp (keeps a LogAppendTime batch's stamp). */
  maxTimestamp?: number;
}

export interface DecodedBatch {
  header: BatchHeader;
  records: Record[];
}

function truncated(what: string, pos: number, need: number, have: number): SluiceError {
  return new SluiceError('TRUNCATED_INPUT', `${what} at position ${pos} needs ${need} bytes, ${have} available`, {
    details: { position: pos, need, have },
  });
}

/** Reads the 61-byte header (no CRC or length checks beyond the header itself). */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  if (pos < 0 || buf.length - pos < BATCH_HEADER_SIZE) throw truncated('batch header', pos, BATCH_HEADER_SIZE, buf.length - pos);
  const magic = buf.readInt8(pos + 16);
  if (magic !== 2) {
    throw new SluiceError('UNSUPPORTED_MAGIC', `record batch at position ${pos} has magic ${magic}; only magic 2 (RecordBatch v2) is supported`, {
      details: { position: pos, magic },
    });
  }
  const attributes = buf.readInt16BE(pos + 21);
  return {
    baseOffset: readInt64(buf, pos),
    batchLength: buf.readInt32BE(pos + 8),
    partitionLeaderEpoch: buf.readInt32BE(pos + 12),
    magic,
    crc: buf.readUInt32BE(pos + 17),
    attributes,
    lastOffsetDelta: buf.readInt32BE(pos + 23),
    baseTimestamp: readInt64(buf, pos + 27),
    maxTimestamp: readInt64(buf, pos + 35),
    producerId: readInt64(buf, pos + 43),
    producerEpoch: buf.readInt16BE(pos + 51),
    baseSequence: buf.readInt32BE(pos + 53),
    recordCount: buf.readInt32BE(pos + 57),
    compression: attributes & ATTR_COMPRESSION_MASK,
    timestampType: (attributes & ATTR_TIMESTAMP_TYPE) !== 0 ? 1 : 0,
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
  };
}

/** Whole size of the batch at `pos` (12 + batchLength), from its length field alone. */
export function batchSize(buf: Buffer, pos = 0): number {
  if (pos < 0 || buf.length - pos < BATCH_LENGTH_PREFIX) throw truncated('batch length', pos, BATCH_LENGTH_PREFIX, buf.length - pos);
  return BATCH_LENGTH_PREFIX + buf.readInt32BE(pos + 8);
}

/** Offset of the last record slot of a batch (baseOffset + lastOffsetDelta). */
export function lastOffsetOf(header: BatchHeader): number {
  return header.baseOffset + header.lastOffsetDelta;
}

function corrupt(message: string, pos: number, extra?: { [k: string]: unknown }): SluiceError {
  return new SluiceError('CORRUPT_BATCH', `record batch at position ${pos}: ${message}`, { details: { position: pos, ...extra } });
}

/** Structural sanity of a header whose batch is fully present in `buf`. */
function checkHeader(h: BatchHeader, pos: number): void {
  if (h.batchLength < BATCH_HEADER_SIZE - BATCH_LENGTH_PREFIX) throw corrupt(`batchLength ${h.batchLength} is shorter than a batch header`, pos);
  if (h.recordCount < 0) throw corrupt(`negative record count ${h.recordCount}`, pos);
  if (h.lastOffsetDelta < -1 || h.recordCount > h.lastOffsetDelta + 1) {
    throw corrupt(`${h.recordCount} records do not fit lastOffsetDelta ${h.lastOffsetDelta}`, pos);
  }
  if (h.compression > 4) throw corrupt(`unknown compression codec ${h.compression}`, pos);
  if (h.compression === 0 && h.recordCount * 7 > h.batchLength - (BATCH_HEADER_SIZE - BATCH_LENGTH_PREFIX)) {
    throw corrupt(`${h.recordCount} records cannot fit in ${h.batchLength + BATCH_LENGTH_PREFIX - BATCH_HEADER_SIZE} bytes`, pos);
  }
}

/**
 * Checks magic, lengths, record count vs lastOffsetDelta, and the CRC-32C over
 * attributes..end. TRUNCATED_INPUT when the batch is not all in `buf`.
 */
export function validateBatch(buf: Buffer, pos = 0): BatchHeader {
  const h = readBatchHeader(buf, pos);
  const size = BATCH_LENGTH_PREFIX + h.batchLength;
  if (h.batchLength >= 0 && buf.length - pos < size) throw truncated('record batch', pos, size, buf.length - pos);
  checkHeader(h, pos);
  const crc = crc32c(buf.subarray(pos + CRC_START, pos + size));
  if (crc !== h.crc) {
    throw corrupt(`CRC-32C mismatch (stored ${h.crc.toString(16)}, computed ${crc.toString(16)})`, pos, { storedCrc: h.crc, computedCrc: crc });
  }
  return h;
}

/**
 * Walks whole batches from the start of `buf`; stops (without error) at the first batch
 * that is not completely present, i.e. a torn tail. A complete batch that is malformed,
 * or fails its CRC when `validate` is set, throws CORRUPT_BATCH / UNSUPPORTED_MAGIC with
 * `details.position`. Returns the end of the last whole batch and how many were seen.
 */
export function scanBatches(
  buf: Buffer,
  visit?: (header: BatchHeader, pos: number) => void,
  options?: { validate?: boolean },
): { end: number; count: number } {
  const validate = options?.validate ?? false;
  let pos = 0;
  let count = 0;
  while (buf.length - pos >= BATCH_HEADER_SIZE) {
    const batchLength = buf.readInt32BE(pos + 8);
    if (batchLength < BATCH_HEADER_SIZE - BATCH_LENGTH_PREFIX) throw corrupt(`batchLength ${batchLength} is shorter than a batch header`, pos);
    const size = BATCH_LENGTH_PREFIX + batchLength;
    if (buf.length - pos < size) break;
    let h: BatchHeader;
    if (validate) {
      h = validateBatch(buf, pos);
    } else {
      h = readBatchHeader(buf, pos);
      checkHeader(h, pos);
    }
    visit?.(h, pos);
    pos += size;
    count++;
  }
  return { end: pos, count };
}

export function setBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  writeInt64(buf, pos, baseOffset);
}

export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + 12);
}

/** Marks the batch LogAppendTime with `time` as its maxTimestamp (the broker's stamp) and re-CRCs it. */
export function setMaxTimestampForLogAppendTime(buf: Buffer, pos: number, time: number): void {
  const size = batchSize(buf, pos);
  if (buf.length - pos < size || size < BATCH_HEADER_SIZE) throw truncated('record batch', pos, size, buf.length - pos);
  buf.writeInt16BE(buf.readInt16BE(pos + 21) | ATTR_TIMESTAMP_TYPE, pos + 21);
  writeInt64(buf, pos + 35, time);
  buf.writeUInt32BE(crc32c(buf.subarray(pos + CRC_START, pos + size)), pos + 17);
}

/** Encodes one batch. Record timestamps default to now; offsets are baseOffset + index. */
export function encodeBatch(records: RecordInput[], options: EncodeBatchOptions = {}): Buffer {
  const n = records.length;
  if (n === 0) throw new SluiceError('INVALID_ARGUMENT', 'a record batch needs at least one record');
  const codec = compressionCode(options.compression ?? 'none');
  const deltas = options.offsetDeltas;
  if (deltas !== undefined) checkOffsetDeltas(deltas, n, options.lastOffsetDelta);
  const lastOffsetDelta = options.lastOffsetDelta ?? (deltas === undefined ? n - 1 : deltas[n - 1]!);
  if (!Number.isInteger(lastOffsetDelta) || lastOffsetDelta < n - 1 || lastOffsetDelta > 0x7fffffff) {
    throw new SluiceError('INVALID_ARGUMENT', `lastOffsetDelta ${lastOffsetDelta} cannot cover ${n} records`);
  }
  const now = Date.now();
  const baseTimestamp = records[0]!.timestamp ?? now;
  let maxTimestamp = baseTimestamp;
  let estimate = BATCH_HEADER_SIZE;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const ts = r.timestamp ?? now;
    if (ts > maxTimestamp) maxTimestamp = ts;
    estimate += 16 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
    if (r.headers !== undefined) estimate += r.headers.length * 16;
  }
  const w = new ByteWriter(codec === 0 ? estimate : BATCH_HEADER_SIZE);
  w.reserve(BATCH_HEADER_SIZE);
  const recordsWriter = codec === 0 ? w : new ByteWriter(estimate);
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    writeRecord(recordsWriter, r, (r.timestamp ?? now) - baseTimestamp, deltas === undefined ? i : deltas[i]!);
  }
  if (codec !== 0) w.bytes(compress(codec, recordsWriter.finish()));
  const buf = w.finish();
  let attributes = codec;
  if (options.timestampType === 1) attributes |= ATTR_TIMESTAMP_TYPE;
  if (options.isTransactional) attributes |= ATTR_TRANSACTIONAL;
  if (options.isControl) attributes |= ATTR_CONTROL;
  writeInt64(buf, 0, options.baseOffset ?? 0);
  buf.writeInt32BE(buf.length - BATCH_LENGTH_PREFIX, 8);
  buf.writeInt32BE(options.partitionLeaderEpoch ?? -1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE(attributes, 21);
  buf.writeInt32BE(lastOffsetDelta, 23);
  writeInt64(buf, 27, baseTimestamp);
  writeInt64(buf, 35, options.maxTimestamp ?? maxTimestamp);
  writeInt64(buf, 43, options.producerId ?? -1);
  buf.writeInt16BE(options.producerEpoch ?? -1, 51);
  buf.writeInt32BE(options.baseSequence ?? -1, 53);
  buf.writeInt32BE(n, 57);
  buf.writeUInt32BE(crc32c(buf.subarray(CRC_START)), 17);
  return buf;
}

function checkOffsetDeltas(deltas: readonly number[], n: number, lastOffsetDelta: number | undefined): void {
  if (deltas.length !== n) throw new SluiceError('INVALID_ARGUMENT', `${deltas.length} offset deltas for ${n} records`);
  let prev = -1;
  for (const d of deltas) {
    if (!Number.isInteger(d) || d <= prev) throw new SluiceError('INVALID_ARGUMENT', `offset deltas must be increasing integers >= 0, got ${deltas.join(',')}`);
    prev = d;
  }
  if (lastOffsetDelta !== undefined && lastOffsetDelta < prev) {
    throw new SluiceError('INVALID_ARGUMENT', `lastOffsetDelta ${lastOffsetDelta} is below the last record's delta ${prev}`);
  }
}

/** Validates (CRC included), decompresses and decodes the batch at `pos`. CORRUPT_BATCH / COMPRESSION_FAILED / TRUNCATED_INPUT. */
export function decodeBatch(buf: Buffer, pos = 0): DecodedBatch {
  const header = validateBatch(buf, pos);
  const end = pos + BATCH_LENGTH_PREFIX + header.batchLength;
  let data = buf;
  let start = pos + BATCH_HEADER_SIZE;
  let stop = end;
  if (header.compression !== 0) {
    // COMPRESSION_FAILED propagates as it is: the batch is intact, its payload is not decodable.
    data = decompress(header.compression, buf.subarray(start, end));
    start = 0;
    stop = data.length;
  }
  const records = decodeRecords(
    data,
    start,
    stop,
    header.recordCount,
    header.baseOffset,
    header.baseTimestamp,
    header.timestampType === 1 ? header.maxTimestamp : undefined,
  );
  return { header, records };
}

/** Decodes every whole batch in a buffer of concatenated batches; a torn tail is ignored. */
export function decodeBatches(buf: Buffer): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (buf.length - pos >= BATCH_HEADER_SIZE) {
    const size = batchSize(buf, pos);
    if (size < BATCH_HEADER_SIZE) throw corrupt(`batchLength ${size - BATCH_LENGTH_PREFIX} is shorter than a batch header`, pos);
    if (buf.length - pos < size) break;
    out.push(decodeBatch(buf, pos));
    pos += size;
  }
  return out;
}
