// Recovery scanning of one segment: walks whole batches from a position, checking structure
// everywhere and the CRC-32C past the recovery point, rebuilding the segment's indexes as it
// goes. It stops at the first bad or incomplete batch and says where and why; whether that is
// a torn tail (truncate) or corruption in the middle (refuse to open) is decided by the
// caller with findValidBatchAfter: valid data after the bad spot means it is not a tail.
// Reads in large chunks; no per-record work.
// May import: ./segment.js, ../../codec/record-batch.js, ../../codec/byte-writer.js, ../../errors.js.
import { BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, readBatchHeader, validateBatch } from '../../codec/record-batch.js';
import type { BatchHeader } from '../../codec/record-batch.js';
import { readInt64 } from '../../codec/byte-writer.js';
import type { Segment } from './segment.js';

const CHUNK = 4 * 1024 * 1024;

export interface BadSpot {
  position: number;
  reason: string;
}

export interface ScanResult {
  /** End of the last whole valid batch. */
  validEnd: number;
  bad: BadSpot | undefined;
}

/** Called for every valid batch at or past `validateFrom`; `buf[at]` is its first byte. */
export type BatchVisitor = (header: BatchHeader, position: number, buf: Buffer, at: number) => void;

export async function scanSegment(
  seg: Segment,
  options: { from: number; validateFrom: number; fileSize: number; expectedOffset: number; visit?: BatchVisitor },
): Promise<ScanResult> {
  const { fileSize, validateFrom, visit } = options;
  let expected = options.expectedOffset;
  let pos = options.from;
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = pos;
  while (pos < fileSize) {
    if (fileSize - pos < BATCH_LENGTH_PREFIX) return { validEnd: pos, bad: { position: pos, reason: `incomplete batch length prefix (${fileSize - pos} bytes at the end)` } };
    if (pos + BATCH_HEADER_SIZE > chunkStart + chunk.length) {
      chunkStart = pos;
      chunk = await seg.read(pos, Math.min(CHUNK, fileSize - pos));
    }
    let at = pos - chunkStart;
    if (chunk.length - at < BATCH_HEADER_SIZE) return { validEnd: pos, bad: { position: pos, reason: `incomplete batch header (${fileSize - pos} bytes at the end)` } };
    const batchLength = chunk.readInt32BE(at + 8);
    if (batchLength < BATCH_HEADER_SIZE - BATCH_LENGTH_PREFIX) return { validEnd: pos, bad: { position: pos, reason: `batch length ${batchLength} is impossible` } };
    const size = BATCH_LENGTH_PREFIX + batchLength;
    if (pos + size > fileSize) return { validEnd: pos, bad: { position: pos, reason: `batch of ${size} bytes runs past the end of the file (${fileSize - pos} bytes left)` } };
    if (at + size > chunk.length) {
      chunkStart = pos;
      chunk = await seg.read(pos, Math.min(Math.max(CHUNK, size), fileSize - pos));
      at = 0;
    }
    let h: BatchHeader;
    try {
      h = pos >= validateFrom ? validateBatch(chunk, at) : readBatchHeader(chunk, at);
    } catch (err) {
      return { validEnd: pos, bad: { position: pos, reason: err instanceof Error ? err.message : String(err) } };
    }
    if (h.baseOffset < expected) {
      return { validEnd: pos, bad: { position: pos, reason: `batch base offset ${h.baseOffset} is below the expected ${expected}` } };
    }
    const lastOffset = h.baseOffset + h.lastOffsetDelta;
    seg.indexBatch(h.baseOffset, lastOffset, h.maxTimestamp, pos, size);
    if (pos >= validateFrom) visit?.(h, pos, chunk, at);
    expected = lastOffset + 1;
    pos += size;
  }
  return { validEnd: pos, bad: undefined };
}

/**
 * Is there a whole valid batch anywhere in [from, fileSize) with base offset >= minOffset?
 * Cheap pre-checks (magic byte, plausible length and offset) before any CRC, so scanning a
 * damaged region costs little per byte. Returns its position or -1.
 */
export async function findValidBatchAfter(seg: Segment, from: number, fileSize: number, minOffset: number): Promise<number> {
  const WINDOW = 1024 * 1024;
  for (let start = from; start + BATCH_HEADER_SIZE <= fileSize; start += WINDOW) {
    const buf = await seg.read(start, Math.min(WINDOW + BATCH_HEADER_SIZE, fileSize - start));
    const lastCandidate = Math.min(WINDOW, buf.length - BATCH_HEADER_SIZE);
    for (let i = 0; i <= lastCandidate; i++) {
      if (buf[i + 16] !== 2) continue;
      const len = buf.readInt32BE(i + 8);
      const pos = start + i;
      if (len < BATCH_HEADER_SIZE - BATCH_LENGTH_PREFIX || pos + BATCH_LENGTH_PREFIX + len > fileSize) continue;
      const base = readInt64(buf, i);
      if (base < minOffset || base > minOffset + 2 ** 40) continue;
      const whole = i + BATCH_LENGTH_PREFIX + len <= buf.length ? buf : await seg.read(pos, BATCH_LENGTH_PREFIX + len);
      try {
        validateBatch(whole, whole === buf ? i : 0);
        return pos;
      } catch {
        // not a batch; keep looking
      }
    }
  }
  return -1;
}
