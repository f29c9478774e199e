// Compaction for cleanup.policy=compact: in the closed segments of a partition, only the
// latest record of each key survives, and tombstones (null values) are dropped once they
// are older than deleteRetentionMs. Offsets are preserved (batches are rewritten with
// explicit offset deltas), so a consumer's position stays valid; it simply skips the gaps.
//
// It runs beside appends and reads: it only reads closed segments through Partition.read,
// yields to the event loop regularly, and hands each rewritten group of segments to
// Partition.replaceSegments, which swaps them in atomically (crash-safe) under the
// partition's own lock. The active segment is never touched.
//
// Records of aborted transactions are removed (and never count as a key's latest value).
// What is kept as it is: records without a key, transactions still open at the end of the
// closed range, batches where nothing was removed. A transaction marker is dropped (as Kafka
// does) once no batch of its transaction is left before it and the marker itself is older
// than deleteRetentionMs, which leaves read_committed consumers time to pass it; otherwise it
// stays, because a kept transactional batch without its marker would reopen the transaction
// (and hold back the LSO) on recovery.
// A batch of an idempotent producer whose records all go is kept as an empty batch (header
// only) when it is that producer's last batch, so its sequence number survives recovery.
//
// May import: ./segment/segment.ts (types), ./topic-config.ts (types), ../codec/*, ../errors.ts.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, CRC_START, decodeBatch, encodeBatch, readBatchHeader } from '../codec/record-batch.js';
import type { BatchHeader, RecordInput } from '../codec/record-batch.js';
import { compressionName } from '../codec/compression.js';
import { crc32c } from '../codec/crc32c.js';
import type { SegmentInfo } from './segment/segment.js';
import type { TopicConfig } from './topic-config.js';

/** What compaction needs from a partition (a structural slice of Partition). */
export interface CompactionTarget {
  readonly topic: string;
  readonly index: number;
  segments(): readonly SegmentInfo[];
  read(offset: number, options: { maxBytes: number }): Promise<{ records: Buffer }>;
  replaceSegments(oldBaseOffsets: number[], batches: Buffer): Promise<void>;
}

export type CompactionConfig = Pick<TopicConfig, 'cleanupPolicy' | 'deleteRetentionMs' | 'segmentBytes'>;

export interface CompactionOptions {
  /** Bytes asked of each read of a closed segment. */
  readBytes?: number;
  /** Batches decoded between yields to the event loop. */
  yieldEvery?: number;
}

export interface CompactionResult {
  topic: string;
  partition: number;
  segmentsBefore: number;
  segmentsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsBefore: number;
  recordsAfter: number;
  tombstonesDropped: number;
  /** Transaction markers removed (nothing of their transaction left, older than deleteRetentionMs). */
  markersDropped: number;
  /** Records of aborted transactions removed. */
  abortedDropped: number;
  /** Tombstones still kept (younger than deleteRetentionMs); the earliest one's timestamp. */
  tombstonesKept: number;
  earliestKeptTombstone: number | undefined;
  /** The offset up to which closed segments were compacted (end of the last closed segment). */
  cleanedUpTo: number;
}

export function isCompacted(config: Pick<TopicConfig, 'cleanupPolicy'>): boolean {
  return config.cleanupPolicy.split(',').includes('compact');
}

/** Every batch (position + header) of the closed range, read through the partition. */
async function* closedBatches(target: CompactionTarget, from: number, to: number, readBytes: number): AsyncGenerator<{ buf: Buffer; pos: number; h: BatchHeader }> {
  let offset = from;
  while (offset < to) {
    const { records } = await target.read(offset, { maxBytes: readBytes });
    if (records.length === 0) return;
    let pos = 0;
    let advanced = false;
    while (records.length - pos >= BATCH_HEADER_SIZE) {
      const h = readBatchHeader(records, pos);
      const size = BATCH_LENGTH_PREFIX + h.batchLength;
      if (records.length - pos < size) break;
      const last = h.baseOffset + h.lastOffsetDelta;
      if (h.baseOffset >= to) return;
      if (last >= offset) {
        yield { buf: records, pos, h };
        offset = last + 1;
        advanced = true;
      }
      pos += size;
    }
    if (!advanced) return; // nothing new came back: the range ended early (e.g. deleted)
  }
}

function keyString(key: Buffer): string {
  return key.toString('latin1');
}

/** A header-only copy of a batch (no records), keeping its offsets and producer fields. */
function emptyBatchLike(buf: Buffer, pos: number): Buffer {
  const out = Buffer.from(buf.subarray(pos, pos + BATCH_HEADER_SIZE));
  out.writeInt32BE(BATCH_HEADER_SIZE - BATCH_LENGTH_PREFIX, 8);
  out.writeInt16BE(out.readInt16BE(21) & ~0x07, 21); // no payload, so no compression
  out.writeInt32BE(0, 57);
  out.writeUInt32BE(crc32c(out.subarray(CRC_START)), 17);
  return out;
}

/**
 * Compacts the closed segments of one partition. Safe to run while the partition takes
 * appends and serves reads; returns what it did. Throws whatever the partition throws if
 * it changes underneath (e.g. retention deleted a segment meanwhile): try again later.
 */
export async function compactPartition(
  target: CompactionTarget,
  config: CompactionConfig,
  now: number,
  options: CompactionOptions = {},
): Promise<CompactionResult> {
  const readBytes = options.readBytes ?? 1024 * 1024;
  const yieldEvery = options.yieldEvery ?? 256;
  const all = [...target.segments()].sort((a, b) => a.baseOffset - b.baseOffset);
  const closed = all.filter((s) => !s.active);
  const result: CompactionResult = {
    topic: target.topic,
    partition: target.index,
    segmentsBefore: closed.length,
    segmentsAfter: closed.length,
    bytesBefore: closed.reduce((n, s) => n + s.sizeBytes, 0),
    bytesAfter: 0,
    recordsBefore: 0,
    recordsAfter: 0,
    tombstonesDropped: 0,
    markersDropped: 0,
    abortedDropped: 0,
    tombstonesKept: 0,
    earliestKeptTombstone: undefined,
    cleanedUpTo: closed.length > 0 ? closed[closed.length - 1]!.nextOffset : (all[0]?.baseOffset ?? 0),
  };
  if (closed.length === 0) return result;
  const from = closed[0]!.baseOffset;
  const to = result.cleanedUpTo;

  // Pass 0 (headers and markers only): batches of aborted transactions. Their records never
  // count as a key's latest value, and they are dropped. A transaction whose marker is not
  // in the closed range yet is undecided and kept as it is.
  const aborted = new Set<number>();
  const open = new Map<number, number[]>();
  let n = 0;
  for await (const { buf, pos, h } of closedBatches(target, from, to, readBytes)) {
    if (!h.isTransactional || h.producerId < 0) continue;
    if (!h.isControl) {
      let list = open.get(h.producerId);
      if (!list) open.set(h.producerId, (list = []));
      list.push(h.baseOffset);
      continue;
    }
    const marker = decodeBatch(buf, pos).records[0];
    const isAbort = marker !== undefined && marker.key !== null && marker.key.length >= 4 && marker.key.readInt16BE(2) === 0;
    if (isAbort) for (const b of open.get(h.producerId) ?? []) aborted.add(b);
    open.delete(h.producerId);
    if (++n % yieldEvery === 0) await yieldToLoop();
  }

  // Pass 1: the latest offset of every key, and each idempotent producer's last batch.
  const latest = new Map<string, number>();
  const lastBatchOfProducer = new Map<number, number>();
  for await (const { buf, pos, h } of closedBatches(target, from, to, readBytes)) {
    if (h.producerId >= 0) lastBatchOfProducer.set(h.producerId, h.baseOffset);
    if (h.isControl) continue;
    const records = decodeBatch(buf, pos).records;
    result.recordsBefore += records.length;
    if (aborted.has(h.baseOffset)) continue;
    for (const r of records) if (r.key !== null) latest.set(keyString(r.key), r.offset);
    if (++n % yieldEvery === 0) await yieldToLoop();
  }

  // Pass 2: rewrite each closed segment, grouping consecutive segments up to segmentBytes.
  const horizon = now - config.deleteRetentionMs;
  let segIndex = 0;
  let group: { bases: number[]; parts: Buffer[]; bytes: number; changed: boolean } = { bases: [], parts: [], bytes: 0, changed: false };
  let segmentsAfter = 0;
  const flush = async (): Promise<void> => {
    if (group.bases.length === 0) return;
    if (group.changed) {
      await target.replaceSegments(group.bases, Buffer.concat(group.parts, group.bytes));
      segmentsAfter++;
    } else {
      segmentsAfter += group.bases.length; // nothing removed: leave the files alone
    }
    result.bytesAfter += group.bytes;
    group = { bases: [], parts: [], bytes: 0, changed: false };
  };
  // Per-segment output, collected before deciding which group it joins.
  let seg = closed[0]!;
  let segParts: Buffer[] = [];
  let segBytes = 0;
  let segChanged = false;
  const endSegment = async (): Promise<void> => {
    if (group.bases.length > 0 && group.bytes + segBytes > config.segmentBytes) await flush();
    group.bases.push(seg.baseOffset);
    group.parts.push(...segParts);
    group.bytes += segBytes;
    group.changed ||= segChanged;
    segParts = [];
    segBytes = 0;
    segChanged = false;
  };
  const emit = (b: Buffer): void => {
    segParts.push(b);
    segBytes += b.length;
  };
  // Per producer: whether a batch of its current transaction was kept (decides its marker's fate).
  const txnKept = new Map<number, boolean>();
  const noteTxn = (h: BatchHeader, kept: boolean): void => {
    if (!h.isTransactional || h.producerId < 0) return;
    if (kept) txnKept.set(h.producerId, true);
    else if (!txnKept.has(h.producerId)) txnKept.set(h.producerId, false);
  };

  n = 0;
  for await (const { buf, pos, h } of closedBatches(target, from, to, readBytes)) {
    while (segIndex + 1 < closed.length && h.baseOffset >= closed[segIndex + 1]!.baseOffset) {
      await endSegment();
      segIndex++;
      seg = closed[segIndex]!;
    }
    const size = BATCH_LENGTH_PREFIX + h.batchLength;
    // Copy: the read buffer may be reused or be a view into a file cache.
    const original = (): Buffer => Buffer.from(buf.subarray(pos, pos + size));
    if (h.isControl) {
      const txnLeft = txnKept.get(h.producerId) === true;
      txnKept.delete(h.producerId);
      if (h.producerId >= 0 && !txnLeft && h.maxTimestamp < horizon) {
        result.markersDropped++;
        segChanged = true;
      } else {
        emit(original());
      }
      continue;
    }
    const { records } = decodeBatch(buf, pos);
    if (aborted.has(h.baseOffset)) {
      result.abortedDropped += records.length;
      segChanged = true;
      const keepEmpty = h.producerId >= 0 && lastBatchOfProducer.get(h.producerId) === h.baseOffset;
      if (keepEmpty) emit(emptyBatchLike(buf, pos));
      noteTxn(h, keepEmpty);
      if (++n % yieldEvery === 0) await yieldToLoop();
      continue;
    }
    const kept: RecordInput[] = [];
    const deltas: number[] = [];
    for (const r of records) {
      if (r.key !== null) {
        if (latest.get(keyString(r.key)) !== r.offset) continue;
        if (r.value === null) {
          if (r.timestamp < horizon) {
            result.tombstonesDropped++;
            continue;
          }
          result.tombstonesKept++;
          if (result.earliestKeptTombstone === undefined || r.timestamp < result.earliestKeptTombstone) result.earliestKeptTombstone = r.timestamp;
        }
      }
      kept.push({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp });
      deltas.push(r.offset - h.baseOffset);
    }
    result.recordsAfter += kept.length;
    noteTxn(h, kept.length > 0 || (h.producerId >= 0 && lastBatchOfProducer.get(h.producerId) === h.baseOffset));
    if (kept.length === records.length) {
      emit(original());
    } else {
      segChanged = true;
      if (kept.length > 0) {
        emit(
          encodeBatch(kept, {
            baseOffset: h.baseOffset,
            compression: compressionName(h.compression),
            timestampType: h.timestampType,
            producerId: h.producerId,
            producerEpoch: h.producerEpoch,
            baseSequence: h.baseSequence,
            isTransactional: h.isTransactional,
            partitionLeaderEpoch: h.partitionLeaderEpoch,
            offsetDeltas: deltas,
            lastOffsetDelta: h.lastOffsetDelta,
            maxTimestamp: h.timestampType === 1 ? h.maxTimestamp : undefined,
          }),
        );
      } else if (h.producerId >= 0 && lastBatchOfProducer.get(h.producerId) === h.baseOffset) {
        emit(emptyBatchLike(buf, pos));
      }
    }
    if (++n % yieldEvery === 0) await yieldToLoop();
  }
  // Segments after the last batch seen (e.g. empty ones) still belong to the range.
  for (;;) {
    await endSegment();
    if (segIndex + 1 >= closed.length) break;
    segIndex++;
    seg = closed[segIndex]!;
  }
  await flush();
  result.segmentsAfter = segmentsAfter;
  return result;
}
