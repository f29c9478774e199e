// One segment of a partition: `<baseOffset, 20 digits>.log` holding RecordBatch v2 bytes
// exactly as produced (offsets patched), plus its sparse offset and time indexes.
// The segment knows positions and offsets; it does not validate, assign offsets or fsync on
// its own: the partition decides when (group commit) and what is durable.
// May import: ../fs/*, ./offset-index.js, ./time-index.js, ../../codec/record-batch.js, ../../errors.js.
import { SluiceError } from '../../errors.js';
import { BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, readBatchHeader } from '../../codec/record-batch.js';
import { readInt64 } from '../../codec/byte-writer.js';
import type { FileHandle, FileSystem } from '../fs/file-system.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';

/** Bytes between sparse index entries. */
export const INDEX_INTERVAL_BYTES = 4096;
/**
 * Extra bytes a read starting at an index entry takes, so that walking from the entry to the
 * wanted batch (at most one index interval plus a batch away) rarely needs a second read.
 */
const LOCATE_SLACK_BYTES = 4 * INDEX_INTERVAL_BYTES;
const EMPTY = Buffer.alloc(0);

export function segmentFileName(baseOffset: number, ext = '.log'): string {
  return String(baseOffset).padStart(20, '0') + ext;
}

export function parseSegmentFileName(name: string): number | undefined {
  const m = /^(\d{20})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export interface SegmentInfo {
  baseOffset: number;
  nextOffset: number;
  sizeBytes: number;
  maxTimestamp: number;
  lastModifiedMs: number;
  active: boolean;
}

export class Segment {
  nextOffset: number;
  /** Bytes of whole, successfully written batches. */
  size = 0;
  maxTimestamp = -1;
  lastModifiedMs: number;
  createdMs: number;
  offsetIndex = new OffsetIndex();
  timeIndex = new TimeIndex();
  private bytesSinceIndex = Infinity;
  private indexMaxTs = -1;

  private constructor(
    readonly fs: FileSystem,
    readonly dir: string,
    readonly baseOffset: number,
    public fh: FileHandle,
    now: number,
  ) {
    this.nextOffset = baseOffset;
    this.lastModifiedMs = now;
    this.createdMs = now;
  }

  get path(): string {
    return `${this.dir}/${segmentFileName(this.baseOffset)}`;
  }

  get fileName(): string {
    return segmentFileName(this.baseOffset);
  }

  /** A new empty segment. The caller fsyncs the directory before data in it is acknowledged. */
  static async create(fs: FileSystem, dir: string, baseOffset: number, now: number): Promise<Segment> {
    const path = `${dir}/${segmentFileName(baseOffset)}`;
    const fh = await fs.open(path, 'create');
    if ((await fh.size()) > 0) await fh.truncate(0);
    return new Segment(fs, dir, baseOffset, fh, now);
  }

  /** Opens an existing segment; size is the file size until recovery decides otherwise. */
  static async open(fs: FileSystem, dir: string, baseOffset: number, now: number): Promise<Segment> {
    const fh = await fs.open(`${dir}/${segmentFileName(baseOffset)}`, 'read-write');
    const seg = new Segment(fs, dir, baseOffset, fh, now);
    seg.size = await fh.size();
    const st = await fs.stat(seg.path);
    if (st) seg.lastModifiedMs = st.mtimeMs;
    return seg;
  }

  info(active: boolean): SegmentInfo {
    return { baseOffset: this.baseOffset, nextOffset: this.nextOffset, sizeBytes: this.size, maxTimestamp: this.maxTimestamp, lastModifiedMs: this.lastModifiedMs, active };
  }

  /** Bookkeeping for one whole batch now at `position` (after a write, or during a scan). */
  indexBatch(baseOffset: number, lastOffset: number, maxTimestamp: number, position: number, size: number): void {
    if (this.bytesSinceIndex >= INDEX_INTERVAL_BYTES) {
      this.offsetIndex.add(baseOffset, position);
      this.timeIndex.add(this.indexMaxTs, baseOffset);
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += size;
    if (maxTimestamp > this.indexMaxTs) this.indexMaxTs = maxTimestamp;
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp;
    this.nextOffset = lastOffset + 1;
    this.size = position + size;
  }

  resetIndexes(): void {
    this.offsetIndex = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    this.bytesSinceIndex = Infinity;
    this.indexMaxTs = -1;
    this.maxTimestamp = -1;
    this.nextOffset = this.baseOffset;
  }

  /** Adopts persisted indexes of a closed segment (trusted only with a good CRC). */
  adoptIndexes(offsetIndex: OffsetIndex, timeIndex: TimeIndex, nextOffset: number, maxTimestamp: number, size: number): void {
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.nextOffset = nextOffset;
    this.maxTimestamp = maxTimestamp;
    this.indexMaxTs = maxTimestamp;
    this.size = size;
    this.bytesSinceIndex = 0;
  }

  /** A fresh buffer with an ArrayBuffer of its own (never a slice of Node's shared pool). */
  async read(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafeSlow(length);
    const n = await this.fh.read(buf, 0, length, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  /**
   * Byte position of the batch containing `offset` (or the first batch after it, when
   * compaction left a gap); undefined when the segment has nothing at or past `offset`.
   */
  async locate(offset: number, limit = this.size): Promise<{ position: number; baseOffset: number; size: number } | undefined> {
    let pos = this.offsetIndex.lookup(offset)?.position ?? 0;
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = pos;
    while (pos + BATCH_HEADER_SIZE <= limit) {
      if (pos + BATCH_HEADER_SIZE > chunkStart + chunk.length) {
        chunkStart = pos;
        chunk = await this.read(pos, Math.min(64 * 1024, limit - pos));
        if (chunk.length < BATCH_HEADER_SIZE) break;
      }
      const at = pos - chunkStart;
      const baseOffset = readInt64(chunk, at);
      const size = BATCH_LENGTH_PREFIX + chunk.readInt32BE(at + 8);
      const lastOffset = baseOffset + chunk.readInt32BE(at + 23);
      if (lastOffset >= offset) return { position: pos, baseOffset, size };
      if (size < BATCH_HEADER_SIZE) throw this.corrupt(pos, 'batch length shorter than a header');
      pos += size;
    }
    return undefined;
  }

  /**
   * Whole batches for a read, usually with ONE file read: from the batch containing `offset`
   * (or the first after it, past a compaction gap), none based at or past `upper`, the first
   * always and then no more than `maxBytes` in total, nothing at or past `limit`.
   * Starts at `from` when the caller knows the exact position of that batch (where its
   * previous read ended), else at the offset index's entry, reading a little extra to walk
   * from there. undefined when the segment has nothing at or past `offset`.
   * `records` is a subarray of a fresh allocation nobody else references: the caller owns it.
   */
  async readBatches(offset: number, maxBytes: number, upper: number, limit: number, from?: number): Promise<{ records: Buffer; lastOffset: number; end: number } | undefined> {
    let bufStart = from ?? this.offsetIndex.lookup(offset)?.position ?? 0;
    const slack = from === undefined ? LOCATE_SLACK_BYTES : 0;
    const want = Math.max(maxBytes, BATCH_HEADER_SIZE);
    let buf: Buffer = EMPTY;
    let at = 0;
    // Walk headers to the batch holding `offset`.
    for (;;) {
      if (bufStart + at + BATCH_HEADER_SIZE > limit) return undefined;
      if (at + BATCH_HEADER_SIZE > buf.length) {
        bufStart += at;
        at = 0;
        buf = await this.read(bufStart, this.readLength(bufStart, want + slack, limit));
        if (buf.length < BATCH_HEADER_SIZE) return undefined;
      }
      const size = BATCH_LENGTH_PREFIX + buf.readInt32BE(at + 8);
      if (size < BATCH_HEADER_SIZE) throw this.corrupt(bufStart + at, 'batch length shorter than a header');
      if (readInt64(buf, at) + buf.readInt32BE(at + 23) >= offset) break;
      at += size;
    }
    if (readInt64(buf, at) >= upper) return { records: EMPTY, lastOffset: -1, end: bufStart + at };
    const firstSize = BATCH_LENGTH_PREFIX + buf.readInt32BE(at + 8);
    if (at + firstSize > buf.length) {
      // The first batch is not all there: read again from it (it is returned even if larger than maxBytes).
      bufStart += at;
      at = 0;
      buf = await this.read(bufStart, this.readLength(bufStart, Math.max(maxBytes, firstSize), limit));
    }
    const start = at;
    let end = at;
    let lastOffset = -1;
    while (end + BATCH_HEADER_SIZE <= buf.length) {
      const base = readInt64(buf, end);
      if (base >= upper) break;
      const size = BATCH_LENGTH_PREFIX + buf.readInt32BE(end + 8);
      if (size < BATCH_HEADER_SIZE) throw this.corrupt(bufStart + end, 'batch length shorter than a header');
      if (end + size > buf.length || (end > start && end - start + size > maxBytes)) break;
      lastOffset = base + buf.readInt32BE(end + 23);
      end += size;
    }
    return { records: buf.subarray(start, end), lastOffset, end: bufStart + end };
  }

  /**
   * How much to read from `start` for about `want` bytes: up to the last batch boundary the
   * offset index knows at or before start+want (or the segment's end), so the read brings no
   * partial batch that the next read would fetch again. Just `want` when no boundary helps.
   */
  private readLength(start: number, want: number, limit: number): number {
    if (start + want >= limit) return limit - start;
    const boundary = this.offsetIndex.positionAtOrBefore(start + want);
    return boundary >= start + BATCH_HEADER_SIZE ? boundary - start : want;
  }

  /** Header of the batch at `position` (for timestamp lookups). */
  async headerAt(position: number): Promise<ReturnType<typeof readBatchHeader>> {
    return readBatchHeader(await this.read(position, BATCH_HEADER_SIZE));
  }

  corrupt(position: number, reason: string): SluiceError {
    return new SluiceError('LOG_CORRUPTED', `segment ${this.path} is corrupted at byte ${position}: ${reason}`, {
      details: { segment: this.path, position },
    });
  }

  async write(data: Buffer[], position: number): Promise<void> {
    if (data.length === 1) await this.fh.write(data[0]!, position);
    else await this.fh.writev(data, position);
  }

  /** Cuts the file at `position` and forgets index entries past it. */
  async truncateTo(position: number): Promise<void> {
    await this.fh.truncate(position);
    this.size = position;
  }

  async writeIndexes(): Promise<void> {
    await writeWhole(this.fs, `${this.dir}/${segmentFileName(this.baseOffset, '.index')}`, this.offsetIndex.serialize(this.baseOffset, { nextOffset: this.nextOffset, maxTimestamp: this.maxTimestamp, size: this.size }));
    const ti = this.timeIndex.serialize(this.baseOffset);
    await writeWhole(this.fs, `${this.dir}/${segmentFileName(this.baseOffset, '.timeindex')}`, ti);
  }

  async deleteIndexes(): Promise<void> {
    await this.fs.unlink(`${this.dir}/${segmentFileName(this.baseOffset, '.index')}`);
    await this.fs.unlink(`${this.dir}/${segmentFileName(this.baseOffset, '.timeindex')}`);
  }

  /** Adopts persisted indexes when present, intact and matching the file size; else false. */
  async loadIndexes(expectedSize = this.size): Promise<boolean> {
    if (expectedSize > this.size) return false;
    const oi = await this.fs.readFile(`${this.dir}/${segmentFileName(this.baseOffset, '.index')}`);
    const ti = await this.fs.readFile(`${this.dir}/${segmentFileName(this.baseOffset, '.timeindex')}`);
    if (!oi || !ti) return false;
    const loaded = OffsetIndex.deserialize(oi, this.baseOffset, expectedSize);
    const timeIndex = TimeIndex.deserialize(ti, this.baseOffset);
    if (!loaded || !timeIndex || loaded.index.length !== timeIndex.length) return false;
    this.adoptIndexes(loaded.index, timeIndex, loaded.facts.nextOffset, loaded.facts.maxTimestamp, loaded.facts.size);
    return true;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  async delete(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await this.fs.unlink(this.path);
    await this.deleteIndexes();
  }
}

async function writeWhole(fs: FileSystem, path: string, data: Buffer): Promise<void> {
  const fh = await fs.open(path, 'create');
  try {
    await fh.truncate(0);
    await fh.write(data, 0);
  } finally {
    await fh.close();
  }
}
