// `sluice log verify` / `sluice log repair` underneath: a full CRC scan of partitions on
// disk (without opening the Log), and a repair that cuts a corrupted partition at its first
// bad batch, reporting exactly which offsets and bytes it drops, and removes the indexes and
// recovery point so the next open rebuilds them. Repair does nothing without confirm: true.
// May import: ./fs/*, ./segment/*, ./recovery-point.js, ../codec/*, ../errors.js.
import { SluiceError } from '../errors.js';
import { BATCH_LENGTH_PREFIX, readBatchHeader } from '../codec/record-batch.js';
import type { FileSystem } from './fs/file-system.js';
import { NodeFileSystem } from './fs/node-file-system.js';
import { Segment, parseSegmentFileName } from './segment/segment.js';
import { findValidBatchAfter, scanSegment } from './segment/scan.js';
import { deleteRecoveryPoint } from './recovery-point.js';

export interface PartitionProblem {
  kind: 'torn-tail' | 'corrupted';
  segment: string;
  position: number;
  /** The offset expected at the bad spot (first offset that would be dropped). */
  offset: number;
  reason: string;
  /** Bytes from the bad spot to the end of the partition. */
  bytesAfter: number;
  /** Highest offset found in valid batches after the bad spot (-1 if none). */
  lastOffsetAfter: number;
}

export interface PartitionVerifyResult {
  topic: string;
  partition: number;
  dir: string;
  segments: number;
  bytes: number;
  logEndOffset: number;
  problem: PartitionProblem | undefined;
}

export interface VerifyReport {
  ok: boolean;
  partitions: PartitionVerifyResult[];
}

export interface RepairReport {
  topic: string;
  partition: number;
  repaired: boolean;
  /** What would be (or was) dropped. */
  droppedFromOffset: number;
  droppedToOffset: number;
  droppedBytes: number;
  truncatedSegment: string | undefined;
  truncatedAtPosition: number;
  deletedSegments: string[];
}

/** Scans every batch of one partition directory with CRC checks. */
export async function verifyPartition(fs: FileSystem, dir: string, topic: string, partition: number): Promise<PartitionVerifyResult> {
  const bases = (await fs.readdir(dir)).map(parseSegmentFileName).filter((b): b is number => b !== undefined).sort((a, b) => a - b);
  const segs: Segment[] = [];
  const result: PartitionVerifyResult = { topic, partition, dir, segments: bases.length, bytes: 0, logEndOffset: bases[0] ?? 0, problem: undefined };
  try {
    for (const b of bases) segs.push(await Segment.open(fs, dir, b, 0));
    let expected = bases[0] ?? 0;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const fileSize = seg.size;
      result.bytes += fileSize;
      seg.resetIndexes();
      const r = await scanSegment(seg, { from: 0, validateFrom: 0, fileSize, expectedOffset: Math.max(expected, seg.baseOffset) });
      expected = Math.max(seg.nextOffset, expected);
      if (!r.bad) continue;
      let bytesAfter = fileSize - r.bad.position;
      let lastOffsetAfter = -1;
      let later = await lastValidOffsetAfter(seg, r.bad.position + 1, fileSize, expected);
      lastOffsetAfter = Math.max(lastOffsetAfter, later);
      for (let j = i + 1; j < segs.length; j++) {
        const s = segs[j]!;
        bytesAfter += s.size;
        result.bytes += s.size;
        later = await lastValidOffsetAfter(s, 0, s.size, expected);
        lastOffsetAfter = Math.max(lastOffsetAfter, later);
      }
      result.problem = {
        kind: lastOffsetAfter >= 0 ? 'corrupted' : 'torn-tail',
        segment: seg.path,
        position: r.bad.position,
        offset: expected,
        reason: r.bad.reason,
        bytesAfter,
        lastOffsetAfter,
      };
      break;
    }
    result.logEndOffset = expected;
  } finally {
    for (const s of segs) await s.close().catch(() => undefined);
  }
  return result;
}

/** Walks the valid batches found after a damaged spot; the highest offset among them. */
async function lastValidOffsetAfter(seg: Segment, from: number, fileSize: number, minOffset: number): Promise<number> {
  let last = -1;
  let pos = from;
  while (pos < fileSize) {
    const found = await findValidBatchAfter(seg, pos, fileSize, minOffset);
    if (found < 0) break;
    const h = readBatchHeader(await seg.read(found, 61));
    last = Math.max(last, h.baseOffset + h.lastOffsetDelta);
    pos = found + BATCH_LENGTH_PREFIX + h.batchLength;
  }
  return last;
}

/** Lists <dataDir>/topics/<topic>/<partition> directories and verifies each. */
export async function verifyLog(options: { dataDir: string; fs?: FileSystem; topic?: string }): Promise<VerifyReport> {
  const fs = options.fs ?? new NodeFileSystem();
  const partitions: PartitionVerifyResult[] = [];
  const topicsDir = `${options.dataDir}/topics`;
  for (const topic of await fs.readdir(topicsDir)) {
    if (options.topic !== undefined && topic !== options.topic) continue;
    const st = await fs.stat(`${topicsDir}/${topic}`);
    if (!st?.isDirectory) continue;
    const parts = (await fs.readdir(`${topicsDir}/${topic}`)).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
    for (const p of parts) partitions.push(await verifyPartition(fs, `${topicsDir}/${topic}/${p}`, topic, p));
  }
  return { ok: partitions.every((p) => !p.problem), partitions };
}

/**
 * Cuts a partition at its first bad batch. Without confirm: true it only reports what it
 * would drop. The Log must not have this partition open (a corrupted one never is).
 */
export async function repairPartition(options: { dataDir: string; topic: string; partition: number; confirm: boolean; fs?: FileSystem }): Promise<RepairReport> {
  const fs = options.fs ?? new NodeFileSystem();
  const dir = `${options.dataDir}/topics/${options.topic}/${options.partition}`;
  if (!(await fs.stat(dir))?.isDirectory) {
    throw new SluiceError('PARTITION_OUT_OF_RANGE', `no partition directory ${dir}`, { details: { topic: options.topic, partition: options.partition } });
  }
  const v = await verifyPartition(fs, dir, options.topic, options.partition);
  const report: RepairReport = {
    topic: options.topic,
    partition: options.partition,
    repaired: false,
    droppedFromOffset: v.logEndOffset,
    droppedToOffset: v.logEndOffset - 1,
    droppedBytes: 0,
    truncatedSegment: undefined,
    truncatedAtPosition: -1,
    deletedSegments: [],
  };
  const p = v.problem;
  if (!p) return report;
  report.droppedFromOffset = p.offset;
  report.droppedToOffset = Math.max(p.lastOffsetAfter, p.offset - 1);
  report.droppedBytes = p.bytesAfter;
  report.truncatedSegment = p.segment;
  report.truncatedAtPosition = p.position;
  const bases = (await fs.readdir(dir)).map(parseSegmentFileName).filter((b): b is number => b !== undefined).sort((a, b) => a - b);
  const cutBase = parseSegmentFileName(p.segment.slice(p.segment.lastIndexOf('/') + 1))!;
  for (const b of bases) if (b > cutBase) report.deletedSegments.push(`${dir}/${String(b).padStart(20, '0')}.log`);
  if (!options.confirm) return report;
  const seg = await Segment.open(fs, dir, cutBase, 0);
  try {
    await seg.truncateTo(p.position);
    await seg.fh.sync();
    await seg.deleteIndexes();
  } finally {
    await seg.close();
  }
  for (const b of bases) {
    if (b <= cutBase) continue;
    const s = await Segment.open(fs, dir, b, 0);
    await s.delete();
  }
  await deleteRecoveryPoint(fs, dir);
  report.repaired = true;
  return report;
}
