// Reads a topic of the embedded log. Each subtask owns partitions p with p % parallelism ==
// subtaskIndex; the position of a partition is the next offset, so a checkpoint rewinds it
// exactly. read_committed by default: records of aborted transactions and control batches are
// skipped, and nothing past the last stable offset is read. A record the format cannot decode
// goes to the dead-letter topic `<topic>.dlq` (created on demand) with the reason in headers,
// and is counted as `dead-letters`: it never stops the pipeline.
// May import: sources/, formats/, codec/, log/ (types), time/, errors.
import type { Format } from '../formats/format.js';
import type { Source, SourceBatch, SourceReader } from './source.js';
import type { TopicLog } from './topic-log.js';
import { logFrom } from './topic-log.js';
import { decodeBatches } from '../../codec/record-batch.js';
import { SluiceError } from '../../errors.js';
import { json } from '../formats/json.js';

export interface TopicSourceOptions<T> {
  /** Default json(). */
  readonly format?: Format<T>;
  /** Default read_committed. */
  readonly isolation?: 'read_committed' | 'read_uncommitted';
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
      const log = logFrom(ctx.resources, `topic source "${name}"`);
      const count = log.describeTopic(name).partitions;
      const isolation = options.isolation ?? 'read_committed';
      const mine: number[] = [];
      for (let p = ctx.subtaskIndex; p < count; p += ctx.parallelism) mine.push(p);
      const next = new Map<number, number>();
      const endAt = new Map<number, number>();
      for (const p of mine) {
        const part = log.partition(name, p);
        const restored = ctx.restoredPositions?.[String(p)];
        next.set(p, typeof restored === 'number' ? restored : options.startFrom === 'latest' ? part.logEndOffset : part.logStartOffset);
        if (options.bounded) endAt.set(p, isolation === 'read_committed' ? part.lastStableOffset : part.highWatermark);
      }
      return new TopicReader<T>(log, name, mine, next, endAt, options, isolation, ctx.count);
    },
  };
}

class TopicReader<T> implements SourceReader<T> {
  private rr = 0;
  private readonly format: Format<T>;
  private readonly dlq: string | false;
  private closed = new AbortController();

  constructor(
    private readonly log: TopicLog,
    private readonly topicName: string,
    private readonly mine: number[],
    private readonly next: Map<number, number>,
    private readonly endAt: Map<number, number>,
    private readonly options: TopicSourceOptions<T>,
    private readonly isolation: 'read_committed' | 'read_uncommitted',
    private readonly count: (metric: string, n?: number) => void,
  ) {
    this.format = options.format ?? json<T>();
    this.dlq = options.deadLetterTopic === undefined ? `${topicName}.dlq` : options.deadLetterTopic;
  }

  partitions(): readonly string[] {
    return this.mine.map(String);
  }

  private visibleEnd(p: number): number {
    const part = this.log.partition(this.topicName, p);
    const visible = this.isolation === 'read_committed' ? part.lastStableOffset : part.highWatermark;
    const end = this.endAt.get(p);
    return end === undefined ? visible : Math.min(visible, end);
  }

  async poll(maxRecords: number, timeoutMs: number): Promise<SourceBatch<T> | null | 'end'> {
    const n = this.mine.length;
    if (n === 0) return this.options.bounded ? 'end' : (await delay(timeoutMs), null);
    for (let k = 0; k < n; k++) {
      const p = this.mine[(this.rr + k) % n] as number;
      const at = this.next.get(p) as number;
      if (at >= this.visibleEnd(p)) continue;
      this.rr = (this.rr + k + 1) % n;
      return this.readFrom(p, at, maxRecords);
    }
    if (this.options.bounded && this.mine.every((p) => (this.next.get(p) as number) >= (this.endAt.get(p) as number))) return 'end';
    // Nothing readable: wait for any of our partitions, up to the timeout.
    const ac = new AbortController();
    const onClose = (): void => ac.abort();
    this.closed.signal.addEventListener('abort', onClose, { once: true });
    try {
      await Promise.race(
        this.mine.map((p) => this.log.partition(this.topicName, p).waitForData(this.next.get(p) as number, timeoutMs, { isolation: this.isolation, signal: ac.signal })),
      );
    } finally {
      ac.abort();
      this.closed.signal.removeEventListener('abort', onClose);
    }
    return null;
  }

  private async readFrom(p: number, at: number, maxRecords: number): Promise<SourceBatch<T>> {
    const part = this.log.partition(this.topicName, p);
    const res = await part.read(at, { maxBytes: this.options.maxBytes ?? 1 << 20, isolation: this.isolation });
    const end = this.visibleEnd(p);
    const aborted = [...res.abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
    const active = new Set<number>();
    let ai = 0;
    const values: T[] = [];
    const timestamps: number[] = [];
    let position = at;
    const dead: { value: Buffer | null; key: Buffer | null; offset: number; reason: string }[] = [];
    outer: for (const batch of decodeBatches(res.records)) {
      const h = batch.header;
      const last = h.baseOffset + h.lastOffsetDelta;
      while (ai < aborted.length && (aborted[ai] as { firstOffset: number }).firstOffset <= last) active.add((aborted[ai++] as { producerId: number }).producerId);
      if (h.isControl) {
        if (active.has(h.producerId)) active.delete(h.producerId);
        if (last >= position) position = last + 1;
        continue;
      }
      const skip = h.isTransactional && active.has(h.producerId);
      for (const r of batch.records) {
        if (r.offset < position) continue;
        if (r.offset >= end || values.length + dead.length >= maxRecords) break outer;
        position = r.offset + 1;
        if (skip) continue;
        if (r.value === null) {
          dead.push({ value: null, key: r.key, offset: r.offset, reason: 'null value (tombstone)' });
          continue;
        }
        try {
          values.push(this.format.decode(r.value));
          timestamps.push(r.timestamp);
        } catch (err) {
          dead.push({ value: r.value, key: r.key, offset: r.offset, reason: err instanceof Error ? err.message : String(err) });
        }
      }
      if (skip && last >= position) position = last + 1;
    }
    if (position === at && values.length === 0 && dead.length === 0 && at < end) {
      // A read that made no progress would spin: the log returned nothing usable below `end`.
      throw new SluiceError('INTERNAL', `topic ${this.topicName}-${p}: no progress reading at offset ${at}`);
    }
    this.next.set(p, position);
    if (dead.length > 0) await this.deadLetter(p, dead);
    return { partition: String(p), values, timestamps, position };
  }

  private async deadLetter(p: number, dead: { value: Buffer | null; key: Buffer | null; offset: number; reason: string }[]): Promise<void> {
    this.count('dead-letters', dead.length);
    if (this.dlq === false) return;
    if (!this.log.hasTopic(this.dlq)) {
      try {
        await this.log.createTopic(this.dlq, 1);
      } catch (err) {
        if (!(err instanceof SluiceError && err.code === 'TOPIC_EXISTS')) throw err;
      }
    }
    await this.log.partition(this.dlq, 0).appendRecords(
      dead.map((d) => ({
        key: d.key,
        value: d.value,
        headers: [
          { key: 'sluice.dlq.reason', value: Buffer.from(d.reason) },
          { key: 'sluice.dlq.topic', value: Buffer.from(this.topicName) },
          { key: 'sluice.dlq.partition', value: Buffer.from(String(p)) },
          { key: 'sluice.dlq.offset', value: Buffer.from(String(d.offset)) },
          { key: 'sluice.dlq.format', value: Buffer.from(this.format.name) },
        ],
      })),
    );
  }

  async close(): Promise<void> {
    this.closed.abort();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
