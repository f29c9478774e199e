// One partition of a topic: an ordered list of segments, the write path (validation, offset
// assignment, idempotence, group commit), reads of whole batches as file ranges, waits for
// data, and recovery after an unclean shutdown.
//
// Write path: append() validates synchronously (codec validateBatch; no per-record work) and
// queues. One drain loop at a time takes everything queued (up to the segment's room),
// assigns offsets by patching baseOffset, writes it in ONE positional write, then resolves
// plain appends and hands sync ones to the sync loop. The sync loop fsyncs whatever was
// written when it starts; appends arriving meanwhile wait for the next single fsync.
// A failed write rolls back its offsets and producer state and truncates the file back, so
// no later data lands past a hole. A failed fsync fails every append not yet durable and
// reloads the partition from its last durable point.
// Read path: the tail cache (tail-cache.ts) answers caught-up readers from memory; other reads
// take one positional file read (Segment.readBatches), starting where the reader's previous
// read ended when that is remembered. Anything that rewrites or removes data calls
// forgetReadState() so neither the cache nor a remembered position outlives it.
// May import: ./fs/*, ./segment/*, ./producer-state.js, ./recovery-point.js, ./topic-config.js,
// ./flush-policy.js, ./tail-cache.js, ../codec/*, ../errors.js.
import { SluiceError, toSluiceError } from '../errors.js';
import {
  BATCH_LENGTH_PREFIX,
  decodeBatch,
  encodeBatch,
  setBaseOffset,
  setMaxTimestampForLogAppendTime,
  validateBatch,
} from '../codec/record-batch.js';
import type { BatchHeader, RecordInput } from '../codec/record-batch.js';
import { decodeControlRecord, encodeControlBatch } from '../codec/control-record.js';
import type { CompressionName } from '../codec/compression.js';
import { readInt64 } from '../codec/byte-writer.js';
import type { FileSystem } from './fs/file-system.js';
import { Segment, parseSegmentFileName, segmentFileName } from './segment/segment.js';
import type { SegmentInfo } from './segment/segment.js';
import { findValidBatchAfter, scanSegment } from './segment/scan.js';
import type { BatchVisitor } from './segment/scan.js';
import { DEFAULT_PRODUCER_ID_EXPIRATION_MS, ProducerState } from './producer-state.js';
import type { BatchMeta } from './producer-state.js';
import { deleteRecoveryPoint, readRecoveryPoint, writeRecoveryPoint } from './recovery-point.js';
import type { RecoveryPoint } from './recovery-point.js';
import type { TopicConfig } from './topic-config.js';
import type { FlushPolicy } from './flush-policy.js';
import { TailCache, TailCacheBudget } from './tail-cache.js';

export type { SegmentInfo } from './segment/segment.js';
export type Isolation = 'read_uncommitted' | 'read_committed';

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The broker's timestamp for LogAppendTime topics, else -1. */
  logAppendTime: number;
  duplicate: boolean;
  logStartOffset: number;
}

export interface ReadResult {
  records: Buffer;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: { producerId: number; firstOffset: number }[];
}

export interface TransactionMarker {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

/** What recovery found and did when the partition was opened. */
export interface PartitionRecoveryReport {
  topic: string;
  partition: number;
  recoveredFrom: 'recovery-point' | 'full-scan';
  /** Bytes whose CRC was checked. */
  validatedBytes: number;
  /** Bytes of a torn tail that were cut off (0 after a clean shutdown). */
  truncatedBytes: number;
  truncatedAt: { segment: string; position: number; offset: number; reason: string } | undefined;
  deletedSegments: string[];
  logEndOffset: number;
}

export interface PartitionOptions {
  fs: FileSystem;
  dir: string;
  topic: string;
  index: number;
  config: () => TopicConfig;
  flush: FlushPolicy;
  clock: () => number;
  /** Kafka's producer.id.expiration.ms (see producer-state.ts); default one day. */
  producerIdExpirationMs?: number;
  /** The Log's shared tail-cache budget; default: a budget of this partition's own. */
  tailCache?: TailCacheBudget;
}

interface PendingAppend {
  control: TransactionMarker | undefined;
  buf: Buffer;
  headers: BatchHeader[];
  positions: number[];
  sync: boolean;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface Waiter {
  offset: number;
  committed: boolean;
  done: (v: boolean) => void;
}

const EMPTY = Buffer.alloc(0);
/** Most bytes one drain step writes at once. */
const MAX_GROUP_BYTES = 1024 * 1024;
/** Read positions remembered per partition (a few concurrent sequential readers). */
const READ_HINTS = 4;

/** Where a previous read ended: the next sequential read starts there without an index walk. */
interface ReadHint {
  seg: Segment;
  offset: number;
  position: number;
}

export class Partition {
  readonly topic: string;
  readonly index: number;
  recoveryReport!: PartitionRecoveryReport;
  private readonly fs: FileSystem;
  private readonly dir: string;
  private readonly config: () => TopicConfig;
  private readonly flushPolicy: FlushPolicy;
  private readonly clock: () => number;
  private readonly producerIdExpirationMs: number;
  /** Expired producers are looked for at most this often while appending (and at every recovery point). */
  private nextProducerExpiry = 0;

  private segs: Segment[] = [];
  private startOffset = 0;
  private nextOffset = 0;
  private durable = { offset: 0, segmentBase: 0, position: 0 };
  private producers = new ProducerState();

  private queue: PendingAppend[] = [];
  private draining = false;
  private syncing = false;
  private syncWaiters: { target: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private dirty = new Set<Segment>();
  private lock: Promise<void> = Promise.resolve();
  private tailToTruncate: { seg: Segment; position: number } | undefined;
  private broken: SluiceError | undefined;
  private waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly tail: TailCache;
  private hints: ReadHint[] = [];
  private nextHint = 0;

  private constructor(o: PartitionOptions) {
    this.fs = o.fs;
    this.dir = o.dir;
    this.topic = o.topic;
    this.index = o.index;
    this.config = o.config;
    this.flushPolicy = o.flush;
    this.clock = o.clock;
    this.producerIdExpirationMs = o.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS;
    this.tail = new TailCache(o.tailCache ?? new TailCacheBudget());
  }

  /** Opens (creating if needed) and recovers a partition; LOG_CORRUPTED on mid-log damage. */
  static async open(o: PartitionOptions): Promise<Partition> {
    const p = new Partition(o);
    await o.fs.mkdir(o.dir);
    p.recoveryReport = await p.recover();
    if (o.flush.mode === 'interval') {
      p.timer = setInterval(() => {
        p.flush().catch(() => undefined); // failures reach the appends they cover
      }, Math.max(1, o.flush.intervalMs));
      p.timer.unref();
    }
    return p;
  }

  // ---- state ----------------------------------------------------------------------------

  /** The topic's current configuration (live: not a copy, do not change it). */
  get topicConfig(): Readonly<TopicConfig> {
    return this.config();
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.nextOffset;
  }

  /** Under 'every-append' only durable data is visible; otherwise everything written. */
  get highWatermark(): number {
    return this.flushPolicy.mode === 'every-append' ? this.durable.offset : this.nextOffset;
  }

  get lastStableOffset(): number {
    const hw = this.highWatermark;
    const first = this.producers.firstUnstableOffset();
    return first === undefined ? hw : Math.min(first, hw);
  }

  get sizeBytes(): number {
    let n = 0;
    for (const s of this.segs) n += s.size;
    return n;
  }

  get directory(): string {
    return this.dir;
  }

  segments(): readonly SegmentInfo[] {
    return this.segs.map((s, i) => s.info(i === this.segs.length - 1));
  }

  /** The in-memory sparse indexes of every segment (verification and tests). */
  indexSnapshot(): { baseOffset: number; offsets: { offset: number; position: number }[]; times: { timestamp: number; offset: number }[] }[] {
    return this.segs.map((s) => ({ baseOffset: s.baseOffset, offsets: s.offsetIndex.entries(), times: s.timeIndex.entries() }));
  }

  private get active(): Segment {
    return this.segs[this.segs.length - 1]!;
  }

  private ensureOpen(): void {
    if (this.closed) throw new SluiceError('LOG_CLOSED', `partition ${this.topic}-${this.index} is closed`);
  }

  // ---- appends --------------------------------------------------------------------------

  /**
   * Appends RecordBatch v2 bytes as a producer sent them. Owns `batches` until the promise
   * settles (offsets are patched in place); after that the caller may reuse the buffer: the
   * tail cache keeps a copy, never the buffer itself.
   */
  async append(batches: Buffer, options: { sync?: boolean } = {}): Promise<AppendResult> {
    this.ensureOpen();
    if (!Buffer.isBuffer(batches) || batches.length === 0) {
      throw new SluiceError('INVALID_ARGUMENT', 'append needs at least one record batch');
    }
    const max = this.config().maxMessageBytes;
    const headers: BatchHeader[] = [];
    const positions: number[] = [];
    let pos = 0;
    while (pos < batches.length) {
      if (batches.length - pos >= BATCH_LENGTH_PREFIX) {
        const size = BATCH_LENGTH_PREFIX + batches.readInt32BE(pos + 8);
        if (size > max) {
          throw new SluiceError('BATCH_TOO_LARGE', `record batch of ${size} bytes exceeds max.message.bytes ${max} of ${this.topic}`, {
            details: { topic: this.topic, partition: this.index, size, maxMessageBytes: max },
          });
        }
      }
      const h = validateBatch(batches, pos);
      if (h.isControl) throw new SluiceError('INVALID_ARGUMENT', 'control batches are written by the log itself (appendControl)');
      if (h.recordCount === 0) throw new SluiceError('CORRUPT_BATCH', `record batch at position ${pos} has no records`, { details: { position: pos } });
      headers.push(h);
      positions.push(pos);
      pos += BATCH_LENGTH_PREFIX + h.batchLength;
    }
    return this.enqueue({ control: undefined, buf: batches, headers, positions, sync: options.sync ?? false });
  }

  /** Plain records: the log encodes one batch. */
  async appendRecords(records: RecordInput[], options: { sync?: boolean; compression?: CompressionName } = {}): Promise<AppendResult> {
    this.ensureOpen();
    if (!Array.isArray(records) || records.length === 0) throw new SluiceError('INVALID_ARGUMENT', 'appendRecords needs at least one record');
    const now = this.clock();
    const batch = encodeBatch(
      records.map((r) => (r.timestamp === undefined ? { ...r, timestamp: now } : r)),
      { compression: options.compression ?? 'none' },
    );
    return this.append(batch, { sync: options.sync ?? false });
  }

  /** Writes a commit/abort marker ending `producerId`'s open transaction on this partition. */
  async appendControl(marker: TransactionMarker, options: { sync?: boolean } = {}): Promise<AppendResult> {
    this.ensureOpen();
    const buf = encodeControlBatch({ ...marker, timestamp: this.clock() });
    return this.enqueue({ control: { ...marker }, buf, headers: [validateBatch(buf, 0)], positions: [0], sync: options.sync ?? false });
  }

  private enqueue(p: Omit<PendingAppend, 'resolve' | 'reject'>): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ ...p, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        void this.drainLoop();
      }
    });
  }

  private async drainLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.exclusive(() => this.writeGroup());
    } finally {
      this.draining = false;
    }
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private failQueued(err: unknown): void {
    const q = this.queue;
    this.queue = [];
    for (const p of q) p.reject(err);
  }

  /** One drain step: everything queued that fits the active segment, in one write. */
  private async writeGroup(): Promise<void> {
    if (this.closed && this.queue.length > 0 && this.segs.length === 0) return this.failQueued(new SluiceError('LOG_CLOSED', 'partition closed'));
    try {
      await this.heal();
    } catch (err) {
      return this.failQueued(toSluiceError(err, 'IO_ERROR'));
    }
    const cfg = this.config();
    const now = this.clock();
    const firstBytes = this.queue[0]!.buf.length;
    if (this.active.size > 0 && (this.active.size + firstBytes > cfg.segmentBytes || now - this.active.createdMs >= cfg.segmentMs)) {
      try {
        await this.roll(now);
      } catch (err) {
        return this.failQueued(toSluiceError(err, 'IO_ERROR'));
      }
    }
    const room = Math.max(cfg.segmentBytes - this.active.size, 0);
    let take = 0;
    let bytes = 0;
    while (take < this.queue.length) {
      const b = this.queue[take]!.buf.length;
      if (take > 0 && (bytes + b > room || bytes + b > MAX_GROUP_BYTES)) break;
      bytes += b;
      take++;
    }
    const group = this.queue.splice(0, take);

    const ps = this.producers;
    const logAppendTime = cfg.messageTimestampType === 'LogAppendTime';
    if (now >= this.nextProducerExpiry) this.expireProducersAt(now);
    ps.begin();
    let next = this.nextOffset;
    const accepted: { p: PendingAppend; base: number; last: number; dup: BatchMeta | undefined }[] = [];
    const bufs: Buffer[] = [];
    for (const p of group) {
      const mark = ps.mark();
      const savedNext = next;
      try {
        if (p.control) {
          const m = p.control;
          ps.checkMarker(m.producerId, m.producerEpoch);
          setBaseOffset(p.buf, 0, next);
          ps.applyMarker(m.producerId, m.producerEpoch, m.commit, m.coordinatorEpoch, next, now);
          accepted.push({ p, base: next, last: next, dup: undefined });
          bufs.push(p.buf);
          next++;
          continue;
        }
        let firstDup: BatchMeta | undefined;
        let lastDup: BatchMeta | undefined;
        let dupCount = 0;
        for (let i = 0; i < p.headers.length; i++) {
          const h = p.headers[i]!;
          const d = ps.check(h);
          if (d) {
            if (dupCount !== i) throw this.mixedRetry(h);
            dupCount++;
            firstDup ??= d;
            lastDup = d;
            continue;
          }
          if (dupCount > 0) throw this.mixedRetry(h);
          const pos = p.positions[i]!;
          setBaseOffset(p.buf, pos, next);
          if (logAppendTime) setMaxTimestampForLogAppendTime(p.buf, pos, now);
          ps.apply(h, next, next + h.lastOffsetDelta, now);
          next += h.lastOffsetDelta + 1;
        }
        if (firstDup && lastDup) {
          if (next !== savedNext) throw this.mixedRetry(p.headers[0]!);
          accepted.push({ p, base: firstDup.firstOffset, last: lastDup.lastOffset, dup: lastDup });
        } else {
          accepted.push({ p, base: savedNext, last: next - 1, dup: undefined });
          bufs.push(p.buf);
        }
      } catch (err) {
        ps.rollback(mark);
        next = savedNext;
        p.reject(err);
      }
    }

    const seg = this.active;
    const start = seg.size;
    if (bufs.length > 0) {
      try {
        await seg.write(bufs, start);
      } catch (err) {
        ps.rollback();
        ps.commit();
        const e = toSluiceError(err, 'IO_ERROR');
        for (const a of accepted) a.p.reject(e);
        // Nothing may follow a hole: cut the partial write off before anything else is written.
        try {
          await seg.truncateTo(start);
        } catch {
          this.tailToTruncate = { seg, position: start };
        }
        return;
      }
    }
    ps.commit();

    let pos = start;
    for (const a of accepted) {
      if (a.dup) continue;
      const { p } = a;
      for (let i = 0; i < p.headers.length; i++) {
        const at = p.positions[i]!;
        const h = p.headers[i]!;
        const size = BATCH_LENGTH_PREFIX + h.batchLength;
        const base = readInt64(p.buf, at);
        seg.indexBatch(base, base + h.lastOffsetDelta, logAppendTime && !p.control ? now : h.maxTimestamp, pos, size);
        // A copy: the caller may reuse its buffer once the append resolves.
        this.tail.add(p.buf, at, size, base, base + h.lastOffsetDelta);
        pos += size;
      }
    }
    if (bufs.length > 0) {
      this.tail.touch();
      this.nextOffset = next;
      seg.lastModifiedMs = now;
      this.dirty.add(seg);
    }
    const everyAppend = this.flushPolicy.mode === 'every-append';
    for (const a of accepted) {
      const result: AppendResult = {
        baseOffset: a.base,
        lastOffset: a.last,
        logAppendTime: logAppendTime ? now : -1,
        duplicate: a.dup !== undefined,
        logStartOffset: this.startOffset,
      };
      if (a.p.sync || everyAppend) this.waitDurable(a.last + 1).then(() => a.p.resolve(result), a.p.reject);
      else a.p.resolve(result);
    }
    this.notifyData();
  }

  private mixedRetry(h: BatchHeader): SluiceError {
    return new SluiceError('OUT_OF_ORDER_SEQUENCE', `producer ${h.producerId}: a request mixes retried and new batches`, {
      details: { producerId: h.producerId, sequence: h.baseSequence },
    });
  }

  /** Before writing again after a failure: cut a partial write, or reload after a failed fsync. */
  private async heal(): Promise<void> {
    if (this.broken) {
      await this.reloadFromDurable();
      this.broken = undefined;
    }
    if (this.tailToTruncate) {
      await this.tailToTruncate.seg.truncateTo(this.tailToTruncate.position);
      this.tailToTruncate = undefined;
    }
  }

  /** Starts a new segment. The old one is fsynced first so only the last segment can ever be torn. */
  private async roll(now: number): Promise<void> {
    const old = this.active;
    await old.fh.sync();
    this.dirty.delete(old);
    this.markDurable(this.nextOffset, old.baseOffset, old.size);
    await old.writeIndexes().catch(() => undefined); // a cache: a failure only costs a rebuild
    const seg = await Segment.create(this.fs, this.dir, this.nextOffset, now);
    try {
      await this.fs.syncDir(this.dir);
    } catch (err) {
      await seg.close().catch(() => undefined);
      await this.fs.unlink(seg.path).catch(() => undefined);
      throw err;
    }
    this.segs.push(seg);
  }

  // ---- durability -----------------------------------------------------------------------

  private markDurable(offset: number, segmentBase: number, position: number): void {
    if (offset < this.durable.offset) return;
    this.durable = { offset, segmentBase, position };
    const keep: typeof this.syncWaiters = [];
    for (const w of this.syncWaiters) {
      if (w.target <= offset) w.resolve();
      else keep.push(w);
    }
    this.syncWaiters = keep;
    if (this.flushPolicy.mode === 'every-append') this.notifyData();
  }

  /** Resolves once every offset below `target` is fsynced. */
  private waitDurable(target: number): Promise<void> {
    if (target <= this.durable.offset) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.syncWaiters.push({ target, resolve, reject });
      if (!this.syncing) {
        this.syncing = true;
        void this.syncLoop();
      }
    });
  }

  private async syncLoop(): Promise<void> {
    try {
      while (this.syncWaiters.length > 0) await this.syncOnce();
    } finally {
      this.syncing = false;
    }
  }

  /** One fsync covering everything written when it starts (group commit). */
  private async syncOnce(): Promise<void> {
    const target = this.nextOffset;
    const seg = this.active;
    const position = seg.size;
    const dirty = [...this.dirty];
    this.dirty.clear();
    try {
      for (const s of dirty) await s.fh.sync();
      this.markDurable(target, seg.baseOffset, position);
    } catch (err) {
      const e = toSluiceError(err, 'IO_ERROR');
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      for (const w of waiters) w.reject(e);
      // What the failed fsync covered is in an unknown state: go back to the durable point
      // before anything else is acknowledged.
      this.broken = e;
      await this.exclusive(() => this.heal()).catch(() => undefined);
    }
  }

  /** Truncates everything past the last durable point and rebuilds state from disk. */
  private async reloadFromDurable(): Promise<void> {
    const d = this.durable;
    this.forgetReadState();
    for (const s of this.segs) await s.close().catch(() => undefined);
    this.segs = [];
    this.dirty.clear();
    await this.recover({ segmentBase: d.segmentBase, position: d.position });
  }

  /** Fsyncs everything written so far; writes a recovery point when nothing is in flight. */
  async flush(): Promise<void> {
    if (this.segs.length === 0) return;
    await this.waitDurable(this.nextOffset);
    await this.exclusive(async () => {
      if (this.queue.length === 0 && this.durable.offset === this.nextOffset && !this.broken) await this.checkpoint();
    });
  }

  /**
   * Forgets producers idle for producer.id.expiration.ms; returns how many. Appends look now
   * and then; the log cleaner calls this on every pass, so a partition nobody writes to forgets too.
   */
  async expireProducers(): Promise<number> {
    this.ensureOpen();
    return this.exclusive(async () => this.expireProducersAt(this.clock()));
  }

  private expireProducersAt(now: number): number {
    // Kafka looks every 10 minutes; a short expiration (tests) is looked at as often as it lasts.
    this.nextProducerExpiry = now + Math.min(this.producerIdExpirationMs, 600_000);
    return this.producers.expire(now, this.producerIdExpirationMs);
  }

  /** Producer ids this partition remembers (Kafka's ProducerIdCount). */
  producerIdCount(): number {
    return this.producers.producers.size;
  }

  private async checkpoint(): Promise<void> {
    const seg = this.active;
    this.producers.pruneBefore(this.startOffset);
    this.expireProducersAt(this.clock());
    const rp: RecoveryPoint = {
      version: 1,
      offset: this.nextOffset,
      segmentBase: seg.baseOffset,
      position: seg.size,
      logStartOffset: this.startOffset,
      producers: this.producers.snapshot(),
    };
    await writeRecoveryPoint(this.fs, this.dir, rp);
  }

  // ---- reads ----------------------------------------------------------------------------

  private segmentFor(offset: number): number {
    let lo = 0;
    let hi = this.segs.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segs[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Whole batches from the one holding `offset`: the first always, then up to `maxBytes`,
   * none at or past the high watermark (read_uncommitted) or the LSO (read_committed).
   * Caught-up readers are served from the in-memory tail cache; others with one file read
   * (a sequential reader resumes where its previous read ended, without an index walk).
   * Ownership: `records` is the caller's. It is a copy out of the cache or a subarray of a
   * fresh file-read buffer, each with an ArrayBuffer of its own that the log never touches
   * again, so the caller may keep it, modify it or transfer its ArrayBuffer (which may hold
   * a few bytes before and after the records).
   */
  async read(offset: number, options: { maxBytes: number; isolation?: Isolation }): Promise<ReadResult> {
    this.ensureOpen();
    if (!Number.isSafeInteger(offset)) throw new SluiceError('INVALID_ARGUMENT', `offset must be an integer, got ${offset}`);
    const maxBytes = options.maxBytes;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new SluiceError('INVALID_ARGUMENT', `maxBytes must be a non-negative integer, got ${maxBytes}`);
    const committed = options.isolation === 'read_committed';
    const result: ReadResult = {
      records: EMPTY,
      highWatermark: this.highWatermark,
      lastStableOffset: this.lastStableOffset,
      logStartOffset: this.startOffset,
      abortedTransactions: [],
    };
    if (offset < this.startOffset || offset > this.nextOffset) {
      throw new SluiceError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [${this.startOffset}, ${this.nextOffset}] of ${this.topic}-${this.index}`, {
        details: { topic: this.topic, partition: this.index, offset, logStartOffset: this.startOffset, logEndOffset: this.nextOffset },
      });
    }
    const upper = committed ? result.lastStableOffset : result.highWatermark;
    if (offset >= upper) return result;
    // The cache is used only while it ends exactly where the log does (it always should).
    if (this.tail.endOffset === this.nextOffset) {
      const hit = this.tail.read(offset, maxBytes, upper);
      if (hit) {
        result.records = hit.records;
        if (committed && hit.lastOffset >= 0) result.abortedTransactions = this.producers.abortedIn(offset, hit.lastOffset + 1);
        return result;
      }
    }
    for (let i = this.segmentFor(offset); i < this.segs.length; i++) {
      const seg = this.segs[i]!;
      const limit = seg.size;
      let from: number | undefined;
      for (const h of this.hints) {
        if (h.seg === seg && h.offset === offset && h.position <= limit) {
          from = h.position;
          break;
        }
      }
      const r = await seg.readBatches(offset, maxBytes, upper, limit, from);
      if (!r) continue;
      if (r.lastOffset < 0) return result; // the next batch is not visible yet
      result.records = r.records;
      if (committed) result.abortedTransactions = this.producers.abortedIn(offset, r.lastOffset + 1);
      this.rememberReadEnd(seg, r.lastOffset + 1, r.end);
      return result;
    }
    return result;
  }

  private rememberReadEnd(seg: Segment, offset: number, position: number): void {
    for (const h of this.hints) {
      if (h.seg === seg && h.offset === offset) return;
    }
    const hint = { seg, offset, position };
    if (this.hints.length < READ_HINTS) this.hints.push(hint);
    else {
      this.hints[this.nextHint] = hint;
      this.nextHint = (this.nextHint + 1) % READ_HINTS;
    }
  }

  /** Data was rewritten or removed: drop cached copies and remembered read positions. */
  private forgetReadState(): void {
    this.tail.clear();
    this.hints = [];
  }

  /** true as soon as data past `offset` is readable under the isolation; false on timeout or abort. */
  waitForData(offset: number, timeoutMs: number, options: { isolation?: Isolation; signal?: AbortSignal } = {}): Promise<boolean> {
    const committed = options.isolation === 'read_committed';
    if ((committed ? this.lastStableOffset : this.highWatermark) > offset) return Promise.resolve(true);
    if (this.closed || options.signal?.aborted || !(timeoutMs > 0)) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const signal = options.signal;
      const onAbort = (): void => w.done(false);
      const w: Waiter = {
        offset,
        committed,
        done: (v) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.waiters.delete(w);
          resolve(v);
        },
      };
      const timer = setTimeout(() => w.done(false), Math.min(timeoutMs, 2 ** 31 - 1));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(w);
    });
  }

  private notifyData(): void {
    if (this.waiters.size === 0) return;
    const hw = this.highWatermark;
    const lso = this.lastStableOffset;
    for (const w of this.waiters) if ((w.committed ? lso : hw) > w.offset) w.done(true);
  }

  /** First record with timestamp >= `timestamp` (control batches skipped). */
  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | undefined> {
    this.ensureOpen();
    for (const seg of this.segs) {
      if (seg.maxTimestamp < timestamp) continue;
      const from = Math.max(seg.timeIndex.lookup(timestamp) ?? seg.baseOffset, this.startOffset);
      const loc = await seg.locate(from, seg.size);
      if (!loc) continue;
      let pos = loc.position;
      while (pos < seg.size) {
        const h = await seg.headerAt(pos);
        const size = BATCH_LENGTH_PREFIX + h.batchLength;
        if (h.maxTimestamp >= timestamp && !h.isControl) {
          const { records } = decodeBatch(await seg.read(pos, size));
          for (const r of records) if (r.timestamp >= timestamp || h.timestampType === 1) return { offset: r.offset, timestamp: h.timestampType === 1 ? h.maxTimestamp : r.timestamp };
        }
        pos += size;
      }
    }
    return undefined;
  }

  // ---- retention and compaction support --------------------------------------------------

  /** Deletes whole closed segments that lie entirely below `offset`; returns how many. */
  async deleteSegmentsBefore(offset: number): Promise<number> {
    this.ensureOpen();
    return this.exclusive(async () => {
      let n = 0;
      while (this.segs.length > 1 && this.segs[1]!.baseOffset <= offset) {
        const seg = this.segs.shift()!;
        this.dirty.delete(seg);
        await seg.delete();
        n++;
      }
      if (n > 0) {
        this.forgetReadState();
        this.startOffset = Math.max(this.startOffset, this.segs[0]!.baseOffset);
        this.producers.pruneBefore(this.startOffset);
        await this.fs.syncDir(this.dir);
      }
      return n;
    });
  }

  /**
   * Atomically replaces closed segments (consecutive, oldest first) with one segment holding
   * `batches` (whole batches with their original offsets, all within the replaced range).
   * Crash-safe: the replacement is written and fsynced as `<base>.log.swap-<end>.tmp` (which
   * recovery deletes) WITHOUT holding the partition's lock, so appends go on meanwhile; only
   * the swap itself is exclusive: the segments are checked to be unchanged, the file is
   * renamed to `<base>.log.swap-<end>` (which recovery completes), put into place and the
   * other old files deleted.
   */
  async replaceSegments(oldBaseOffsets: number[], batches: Buffer): Promise<void> {
    this.ensureOpen();
    const pick = (): { idx: number[]; first: Segment; last: Segment } => {
      const idx = oldBaseOffsets.map((b) => this.segs.findIndex((s) => s.baseOffset === b));
      if (idx.length === 0 || idx.some((i) => i < 0 || i >= this.segs.length - 1)) {
        throw new SluiceError('INVALID_ARGUMENT', `replaceSegments: ${oldBaseOffsets.join(',')} are not closed segments of ${this.topic}-${this.index}`);
      }
      for (let k = 1; k < idx.length; k++) if (idx[k] !== idx[0]! + k) throw new SluiceError('INVALID_ARGUMENT', 'replaceSegments: segments must be consecutive, oldest first');
      return { idx, first: this.segs[idx[0]!]!, last: this.segs[idx[idx.length - 1]!]! };
    };
    const planned = pick();
    const end = planned.last.nextOffset;
    // Check the replacement before touching anything.
    let pos = 0;
    let expected = planned.first.baseOffset;
    const markers = new Set<number>();
    while (pos < batches.length) {
      const h = validateBatch(batches, pos);
      if (h.isControl) markers.add(h.baseOffset);
      if (h.baseOffset < expected || h.baseOffset + h.lastOffsetDelta >= end) {
        throw new SluiceError('INVALID_ARGUMENT', `replaceSegments: batch at offset ${h.baseOffset} is outside [${expected}, ${end})`);
      }
      expected = h.baseOffset + h.lastOffsetDelta + 1;
      pos += BATCH_LENGTH_PREFIX + h.batchLength;
    }
    const swapName = `${segmentFileName(planned.first.baseOffset)}.swap-${end}`;
    const swapPath = `${this.dir}/${swapName}`;
    const tmpPath = `${swapPath}.tmp`;
    const fh = await this.fs.open(tmpPath, 'create');
    try {
      await fh.truncate(0);
      if (batches.length > 0) await fh.write(batches, 0);
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await this.fs.unlink(tmpPath).catch(() => undefined);
      throw err;
    }
    await fh.close();
    let swapped = false;
    try {
      await this.exclusive(async () => {
        this.ensureOpen();
        // Retention (or another swap) may have changed the range while the file was written.
        const { idx, first, last } = pick();
        if (first !== planned.first || last !== planned.last || last.nextOffset !== end) {
          throw new SluiceError('INVALID_ARGUMENT', `replaceSegments: segments ${oldBaseOffsets.join(',')} of ${this.topic}-${this.index} changed while the replacement was written; try again`);
        }
        // Cached copies of the replaced range would serve records compaction removed.
        this.forgetReadState();
        await this.fs.rename(tmpPath, swapPath);
        swapped = true;
        await this.fs.syncDir(this.dir);
        await this.finishSwap(swapName);
        // A dropped abort marker leaves its entry in the aborted index: forget it, and make the
        // next recovery rebuild the index from the files rather than from a stale snapshot.
        const forgotten = this.producers.forgetAborted(first.baseOffset, end, markers);
        const rp = await readRecoveryPoint(this.fs, this.dir);
        if (rp && (forgotten > 0 || (rp.segmentBase >= first.baseOffset && rp.segmentBase < end))) await deleteRecoveryPoint(this.fs, this.dir);
        // Reopen the replaced range.
        const olds = this.segs.splice(idx[0]!, idx.length);
        for (const s of olds) await s.close().catch(() => undefined);
        const seg = await Segment.open(this.fs, this.dir, first.baseOffset, this.clock());
        const r = await scanSegment(seg, { from: 0, validateFrom: Infinity, fileSize: seg.size, expectedOffset: first.baseOffset });
        if (r.bad) throw seg.corrupt(r.bad.position, r.bad.reason);
        seg.nextOffset = Math.max(seg.nextOffset, end);
        seg.lastModifiedMs = last.lastModifiedMs;
        await seg.writeIndexes().catch(() => undefined);
        this.segs.splice(idx[0]!, 0, seg);
      });
    } finally {
      if (!swapped) await this.fs.unlink(tmpPath).catch(() => undefined);
    }
  }

  /** Completes a swap: deletes old segments in [base, end), renames the swap file into place. */
  private async finishSwap(swapName: string): Promise<void> {
    const m = /^(\d{20})\.log\.swap-(\d+)$/.exec(swapName);
    if (!m) return;
    const base = Number(m[1]);
    const end = Number(m[2]);
    await this.fs.rename(`${this.dir}/${swapName}`, `${this.dir}/${segmentFileName(base)}`);
    await this.fs.unlink(`${this.dir}/${segmentFileName(base, '.index')}`);
    await this.fs.unlink(`${this.dir}/${segmentFileName(base, '.timeindex')}`);
    for (const name of await this.fs.readdir(this.dir)) {
      const b = parseSegmentFileName(name);
      if (b !== undefined && b > base && b < end) {
        await this.fs.unlink(`${this.dir}/${name}`);
        await this.fs.unlink(`${this.dir}/${segmentFileName(b, '.index')}`);
        await this.fs.unlink(`${this.dir}/${segmentFileName(b, '.timeindex')}`);
      }
    }
    await this.fs.syncDir(this.dir);
  }

  // ---- recovery -------------------------------------------------------------------------

  /**
   * (Re)builds all in-memory state from disk: segments, indexes, producer state, offsets.
   * Batches past the recovery point are CRC-checked; a torn tail is cut; damage followed by
   * valid data throws LOG_CORRUPTED (details: segment, position, offset).
   */
  private async recover(cutAt?: { segmentBase: number; position: number }): Promise<PartitionRecoveryReport> {
    this.forgetReadState();
    const fs = this.fs;
    const dir = this.dir;
    const now = this.clock();
    const names = await fs.readdir(dir);
    for (const name of names) {
      if (/\.log\.swap-\d+$/.test(name)) await this.finishSwap(name);
      else if (name.endsWith('.tmp')) await fs.unlink(`${dir}/${name}`);
    }
    const bases = (await fs.readdir(dir)).map(parseSegmentFileName).filter((b): b is number => b !== undefined).sort((a, b) => a - b);
    let rp = await readRecoveryPoint(fs, dir);
    const report: PartitionRecoveryReport = {
      topic: this.topic,
      partition: this.index,
      recoveredFrom: 'full-scan',
      validatedBytes: 0,
      truncatedBytes: 0,
      truncatedAt: undefined,
      deletedSegments: [],
      logEndOffset: 0,
    };
    const segs: Segment[] = [];
    try {
      for (const b of bases) segs.push(await Segment.open(fs, dir, b, now));
      if (cutAt) {
        for (let i = segs.length - 1; i >= 0; i--) {
          const s = segs[i]!;
          if (s.baseOffset > cutAt.segmentBase) {
            segs.pop();
            await s.delete();
            report.deletedSegments.push(s.fileName);
          } else if (s.baseOffset === cutAt.segmentBase && s.size > cutAt.position) {
            report.truncatedBytes += s.size - cutAt.position;
            await s.truncateTo(cutAt.position);
            await s.fh.sync();
          }
        }
        if (rp && rp.segmentBase > cutAt.segmentBase) rp = undefined;
      }
      const rpSeg = rp ? segs.find((s) => s.baseOffset === rp!.segmentBase) : undefined;
      if (!rp || !rpSeg || rpSeg.size < rp.position) rp = undefined;
      this.producers = rp ? ProducerState.restore(rp.producers, now) : new ProducerState();
      report.recoveredFrom = rp ? 'recovery-point' : 'full-scan';
      const ps = this.producers;
      const visit: BatchVisitor = (h, _pos, buf, at) => {
        report.validatedBytes += BATCH_LENGTH_PREFIX + h.batchLength;
        if (h.isControl) {
          if (h.producerId < 0) return;
          const { records } = decodeBatch(buf.subarray(at, at + BATCH_LENGTH_PREFIX + h.batchLength));
          const r = records[0];
          if (!r) return;
          const marker = decodeControlRecord(r);
          ps.applyMarker(h.producerId, h.producerEpoch, marker.commit, marker.coordinatorEpoch, h.baseOffset, now);
        } else ps.apply(h, h.baseOffset, h.baseOffset + h.lastOffsetDelta, now);
      };

      let expected = segs[0]?.baseOffset ?? rp?.logStartOffset ?? 0;
      for (let i = 0; i < segs.length; i++) {
        const seg = segs[i]!;
        const fileSize = seg.size;
        if (seg.baseOffset < expected) {
          throw this.corruptAt(seg, 0, expected, `segment starts at offset ${seg.baseOffset}, below the previous segment's end ${expected}`);
        }
        let from = 0;
        let validateFrom = 0;
        if (rp && seg.baseOffset < rp.segmentBase) {
          if (await seg.loadIndexes(fileSize)) {
            expected = seg.nextOffset;
            continue;
          }
          validateFrom = Infinity;
        } else if (rp && seg.baseOffset === rp.segmentBase) {
          validateFrom = rp.position;
          if (await seg.loadIndexes(rp.position)) from = rp.position;
          else seg.resetIndexes();
        }
        if (from === 0) seg.resetIndexes();
        const r = await scanSegment(seg, { from, validateFrom, fileSize, expectedOffset: from === 0 ? Math.max(expected, seg.baseOffset) : seg.nextOffset, visit });
        if (from === 0 && seg.nextOffset === seg.baseOffset) seg.nextOffset = Math.max(seg.baseOffset, expected);
        if (r.bad) {
          const offset = seg.nextOffset;
          let damagedMiddle = r.bad.position < validateFrom;
          if (!damagedMiddle) damagedMiddle = (await findValidBatchAfter(seg, r.bad.position + 1, fileSize, offset)) >= 0;
          for (let j = i + 1; j < segs.length && !damagedMiddle; j++) {
            const later = segs[j]!;
            if (later.size > 0 && (await findValidBatchAfter(later, 0, Math.min(later.size, 1 << 20), later.baseOffset)) === 0) damagedMiddle = true;
          }
          if (damagedMiddle) throw this.corruptAt(seg, r.bad.position, offset, r.bad.reason);
          // A torn tail: cut it, and drop any (empty or garbage) segments after it.
          report.truncatedBytes += fileSize - r.validEnd;
          report.truncatedAt = { segment: seg.path, position: r.validEnd, offset, reason: r.bad.reason };
          await seg.truncateTo(r.validEnd);
          await seg.fh.sync();
          while (segs.length > i + 1) {
            const s = segs.pop()!;
            report.truncatedBytes += s.size;
            report.deletedSegments.push(s.fileName);
            await s.delete();
          }
          if (rp && (rp.segmentBase > seg.baseOffset || (rp.segmentBase === seg.baseOffset && rp.position > r.validEnd))) await deleteRecoveryPoint(fs, dir);
          if (report.deletedSegments.length > 0) await fs.syncDir(dir);
        }
        expected = seg.nextOffset;
      }
      if (segs.length === 0) {
        const base = rp?.offset ?? 0;
        segs.push(await Segment.create(fs, dir, base, now));
        await fs.syncDir(dir);
      }
    } catch (err) {
      for (const s of segs) await s.close().catch(() => undefined);
      throw err;
    }
    this.segs = segs;
    const act = segs[segs.length - 1]!;
    this.nextOffset = act.nextOffset;
    this.startOffset = Math.max(rp?.logStartOffset ?? 0, segs[0]!.baseOffset);
    this.producers.pruneBefore(this.startOffset);
    this.durable = { offset: this.nextOffset, segmentBase: act.baseOffset, position: act.size };
    report.logEndOffset = this.nextOffset;
    return report;
  }

  private corruptAt(seg: Segment, position: number, offset: number, reason: string): SluiceError {
    return new SluiceError(
      'LOG_CORRUPTED',
      `${this.topic}-${this.index} is corrupted in ${seg.path} at byte ${position} (offset ${offset}): ${reason}. ` +
        `Data after this point is intact, so the partition will not open; run \`sluice log verify\` and \`sluice log repair\`.`,
      { details: { topic: this.topic, partition: this.index, segment: seg.path, position, offset, reason } },
    );
  }

  // ---- shutdown -------------------------------------------------------------------------

  /** Waits for queued appends, fsyncs, writes the recovery point and indexes, releases files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      while (this.draining || this.queue.length > 0) await this.exclusive(async () => undefined);
      if (this.segs.length > 0 && !this.broken) {
        await this.waitDurable(this.nextOffset);
        await this.exclusive(async () => {
          await this.checkpoint();
          await this.active.writeIndexes().catch(() => undefined);
        });
      }
    } finally {
      for (const w of [...this.waiters]) w.done(false);
      this.forgetReadState();
      for (const s of this.segs) await s.close().catch(() => undefined);
    }
  }
}
