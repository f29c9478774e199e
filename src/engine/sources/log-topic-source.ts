// Reads a topic of the embedded log. Each subtask owns partitions p with p % parallelism ==
// subtaskIndex; the position of a partition is the next offset, so a checkpoint rewinds it
// exactly. read_committed by default: records of aborted transactions and control batches are
// skipped, and nothing past the last stable offset is read. A record the format cannot decode
// goes to the dead-letter topic `<topic>.dlq` (created on demand) with the reason in headers,
// and is counted (`dead-letters`, `sluice_dead_letters_total{source}`) by the one dead-letter
// writer (sources/dead-letters.ts): it never stops the pipeline.
//
// The log is reached through LogAccess (this thread's Log, or a worker's proxy to the main
// thread's), one read per batch: a read returns up to maxBytes of whole batches, and what one
// poll does not use stays in a per-partition cursor for the next poll, decoded one batch at a
// time, so a small maxRecords neither decodes nor fetches the same bytes twice. Decoding is
// synchronous per record; only when a format throws a retriable error (a schema format that
// has not fetched a writer schema yet) is that one record decoded with `decodeAsync`.
// May import: sources/, formats/, codec/, log/ (types), time/, errors.
import type { Format } from '../formats/format.js';
import type { Source, SourceBatch, SourceReader } from './source.js';
import type { AbortedTransaction, Isolation, LogAccess, PartitionOffsets } from './log-access.js';
import type { DecodedBatch } from '../../codec/record-batch.js';
import { logAccessFrom } from './topic-log.js';
import type { DeadLetter } from './dead-letters.js';
import { DeadLetterWriter } from './dead-letters.js';
import { BATCH_HEADER_SIZE, batchSize, decodeBatch } from '../../codec/record-batch.js';
import { SluiceError } from '../../errors.js';
import { json } from '../formats/json.js';
import { openFormat } from '../formats/open-format.js';

export interface TopicSourceOptions<T> {
  /** Default json(). */
  readonly format?: Format<T>;
  /** Default read_committed. */
  readonly isolation?: Isolation;
  /** Where to start without a checkpoint (default earliest). */
  readonly startFrom?: 'earliest' | 'latest';
  /** Stop at the end offsets seen when the job starts (default false: run forever). */
  readonly bounded?: boolean;
  /** Bytes per read (default 1 MiB). */
  readonly maxBytes?: number;
  /** Dead-letter topic name; default `<topic>.dlq`; false drops (and counts) bad records. */
  readonly deadLetterTopic?: string | false;
}

export function topic<T>(name: string, options: TopicSourceOptions<T> = {}): Source<T> {
  return {
    name,
    async createReader(ctx): Promise<SourceReader<T>> {
      const log = logAccessFrom(ctx.resources, `topic source "${name}"`);
      const format = options.format ?? json<T>();
      await openFormat(format);
      const count = await log.partitionCount(name);
      const isolation = options.isolation ?? 'read_committed';
      const mine: number[] = [];
      for (let p = ctx.subtaskIndex; p < count; p += ctx.parallelism) mine.push(p);
      const offsets = await log.offsets(name, mine);
      const next = new Map<number, number>();
      const endAt = new Map<number, number>();
      mine.forEach((p, i) => {
        const o = offsets[i] as PartitionOffsets;
        const restored = ctx.restoredPositions?.[String(p)];
        next.set(p, typeof restored === 'number' ? restored : options.startFrom === 'latest' ? o.logEndOffset : o.logStartOffset);
        if (options.bounded) endAt.set(p, visibleEnd(o, isolation));
      });
      const dlq = DeadLetterWriter.forSource(name, ctx, format.name, options.deadLetterTopic);
      const reader = new TopicReader<T>(log, name, format, mine, next, endAt, options, isolation, dlq);
      reader.noteOffsets(mine, offsets);
      return reader;
    },
  };
}

function visibleEnd(o: PartitionOffsets, isolation: Isolation): number {
  return isolation === 'read_committed' ? o.lastStableOffset : o.highWatermark;
}

/** Read-ahead of one partition: the bytes of the last read not yet turned into records. */
interface Cursor {
  readonly buf: Buffer;
  pos: number;
  /** Visible end when the bytes were read: nothing at or past it is delivered. */
  readonly end: number;
  readonly aborted: AbortedTransaction[];
  ai: number;
  readonly active: Set<number>;
  batch: DecodedBatch | undefined;
  ri: number;
  skip: boolean;
}

class TopicReader<T> implements SourceReader<T> {
  private rr = 0;
  private readonly closed = new AbortController();
  /** Last known visible end per partition (from reads and waits). */
  private readonly visible = new Map<number, number>();
  private readonly cursors = new Map<number, Cursor>();

  constructor(
    private readonly log: LogAccess,
    private readonly topicName: string,
    private readonly format: Format<T>,
    private readonly mine: number[],
    private readonly next: Map<number, number>,
    private readonly endAt: Map<number, number>,
    private readonly options: TopicSourceOptions<T>,
    private readonly isolation: Isolation,
    private readonly dlq: DeadLetterWriter,
  ) {}

  partitions(): readonly string[] {
    return this.mine.map(String);
  }

  /** @internal */
  noteOffsets(partitions: readonly number[], offsets: readonly PartitionOffsets[]): void {
    partitions.forEach((p, i) => {
      const o = offsets[i];
      if (o) this.visible.set(p, Math.max(this.visible.get(p) ?? 0, visibleEnd(o, this.isolation)));
    });
  }

  private limit(p: number): number {
    const v = this.visible.get(p) ?? 0;
    const end = this.endAt.get(p);
    return end === undefined ? v : Math.min(v, end);
  }

  /** The next partition (round robin) with something to read, or -1. */
  private readable(): number {
    const n = this.mine.length;
    for (let k = 0; k < n; k++) {
      const p = this.mine[(this.rr + k) % n] as number;
      if ((this.next.get(p) as number) < this.limit(p)) {
        this.rr = (this.rr + k + 1) % n;
        return p;
      }
    }
    return -1;
  }

  async poll(maxRecords: number, timeoutMs: number): Promise<SourceBatch<T> | null | 'end'> {
    if (this.mine.length === 0) return this.options.bounded ? 'end' : (await delay(timeoutMs), null);
    let p = this.readable();
    if (p >= 0) return this.readFrom(p, maxRecords);
    if (this.options.bounded && this.mine.every((q) => (this.next.get(q) as number) >= (this.endAt.get(q) as number))) return 'end';
    // Nothing readable: wait for any of our partitions, up to the timeout, then read at once.
    const offsets = await this.log.waitForData(
      this.topicName,
      this.mine,
      this.mine.map((q) => this.next.get(q) as number),
      timeoutMs,
      this.isolation,
      this.closed.signal,
    );
    this.noteOffsets(this.mine, offsets);
    if (this.closed.signal.aborted) return null;
    p = this.readable();
    return p >= 0 ? this.readFrom(p, maxRecords) : null;
  }

  private async readFrom(p: number, maxRecords: number): Promise<SourceBatch<T>> {
    const at = this.next.get(p) as number;
    let c = this.cursors.get(p);
    const fresh = c === undefined;
    if (!c) {
      const res = await this.log.read(this.topicName, p, at, this.options.maxBytes ?? 1 << 20, this.isolation);
      this.noteOffsets([p], [res.offsets]);
      c = {
        buf: res.records,
        pos: 0,
        end: this.limit(p),
        aborted: [...res.abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset),
        ai: 0,
        active: new Set(),
        batch: undefined,
        ri: 0,
        skip: false,
      };
      this.cursors.set(p, c);
    }
    const end = c.end;
    const values: T[] = [];
    const timestamps: number[] = [];
    const dead: DeadLetter[] = [];
    const format = this.format;
    let position = at;
    let exhausted = false;
    fill: while (true) {
      if (!c.batch) {
        const left = c.buf.length - c.pos;
        if (left < BATCH_HEADER_SIZE || left < batchSize(c.buf, c.pos)) {
          exhausted = true; // a torn tail is never delivered: the next read starts at `position`
          break;
        }
        const batch = decodeBatch(c.buf, c.pos);
        c.pos += batchSize(c.buf, c.pos);
        const h = batch.header;
        const last = h.baseOffset + h.lastOffsetDelta;
        while (c.ai < c.aborted.length && (c.aborted[c.ai] as AbortedTransaction).firstOffset <= last) c.active.add((c.aborted[c.ai++] as AbortedTransaction).producerId);
        if (h.isControl) {
          if (c.active.has(h.producerId)) c.active.delete(h.producerId);
          if (last >= position && last < end) position = last + 1;
          continue;
        }
        c.batch = batch;
        c.ri = 0;
        c.skip = h.isTransactional && c.active.has(h.producerId);
      }
      const records = c.batch.records;
      while (c.ri < records.length) {
        const r = records[c.ri]!;
        if (r.offset < position) {
          c.ri++;
          continue;
        }
        if (r.offset >= end) {
          exhausted = true;
          break fill;
        }
        if (values.length + dead.length >= maxRecords) break fill;
        c.ri++;
        position = r.offset + 1;
        if (c.skip) continue;
        if (r.value === null) {
          dead.push({ value: null, key: r.key, partition: p, offset: r.offset, timestamp: r.timestamp, error: new SluiceError('DESERIALIZATION_FAILED', 'null value (tombstone)', { details: { reason: 'NULL_VALUE' } }) });
          continue;
        }
        try {
          values.push(format.decode(r.value));
          timestamps.push(r.timestamp);
        } catch (err) {
          const v = await this.decodeSlow(r.value, err);
          if (v.ok) {
            values.push(v.value);
            timestamps.push(r.timestamp);
          } else dead.push({ value: r.value, key: r.key, partition: p, offset: r.offset, timestamp: r.timestamp, error: v.error });
        }
      }
      const h = c.batch.header;
      const last = h.baseOffset + h.lastOffsetDelta;
      if (c.skip && last >= position && last < end) position = last + 1;
      c.batch = undefined;
    }
    if (exhausted) this.cursors.delete(p);
    if (fresh && position === at && values.length === 0 && dead.length === 0 && at < end) {
      // A read that made no progress would spin: the log returned nothing usable below `end`.
      throw new SluiceError('INTERNAL', `topic ${this.topicName}-${p}: no progress reading at offset ${at}`);
    }
    this.next.set(p, position);
    if (dead.length > 0) await this.dlq.write(dead);
    return { partition: String(p), values, timestamps, position };
  }

  /** The rare path: a retriable decode error (e.g. writer schema not fetched yet) waits for decodeAsync. */
  private async decodeSlow(bytes: Buffer, err: unknown): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    if (!(err instanceof SluiceError && err.retriable && typeof this.format.decodeAsync === 'function')) return { ok: false, error: err };
    try {
      return { ok: true, value: await this.format.decodeAsync(bytes) };
    } catch (err2) {
      return { ok: false, error: err2 };
    }
  }

  async close(): Promise<void> {
    this.closed.abort();
    this.cursors.clear();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
