// Writes to a topic of the embedded log. Exactly-once (the default) uses the log's
// transactions, one per checkpoint interval and subtask:
//  - the transaction that follows checkpoint N is written with producer id pid(N) (derived
//    from job, sink uid, subtask and N) and epoch = the job's attempt counter;
//  - preCommit(N+1) flushes it and returns { pid, epoch, partitions } into checkpoint N+1;
//    commit(N+1) writes COMMIT markers; read_committed readers see it only then;
//  - a checkpoint's committable also names the older transactions still waiting for their
//    commit when it was sealed (a worker commits asynchronously, after the next barrier may
//    have passed), so a restore never leaves one of them open or aborts it;
//  - on restore from checkpoint N: the transactions sealed by N are committed again (a second
//    commit marker is harmless); then every transaction of this sink still open in the topic
//    is aborted with a marker at the new epoch, which also fences it. Those are what crashed
//    attempts wrote after N: pid(N), but also pid(N+1) when a worker had passed barrier N+1
//    before N+1 was durable, and the pids of subtasks that do not exist at the new
//    parallelism. They are found by scanning each partition from its last stable offset (every
//    open transaction starts there or later); new subtask s' answers for old subtasks
//    s = s' (mod parallelism), as it does for their committables. Left open, such a
//    transaction would either block read_committed readers at its first offset forever or,
//    once the restarted job reuses its pid for the same checkpoint id, be committed together
//    with the replayed records: duplicates.
// A replay after a crash therefore produces no duplicates for read_committed consumers.
// With exactlyOnce: false records are appended directly (at-least-once). The log is reached
// through LogAccess (this thread's Log or a worker's proxy to it), one encoded batch per
// partition and write; the format is opened once before the first write.
// May import: sinks/, formats/, sources/topic-log.ts, sources/log-access.ts, codec/, log/partitioner.ts, state/key-group.ts, errors.
import type { Format } from '../formats/format.js';
import type { Sink, SinkContext, SinkWriter } from './sink.js';
import type { LogAccess } from '../sources/log-access.js';
import type { RecordInput } from '../../codec/record-batch.js';
import { logAccessFrom } from '../sources/topic-log.js';
import { BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, encodeBatch, readBatchHeader } from '../../codec/record-batch.js';
import { DEFAULT_MAX_PARALLELISM, keyHash } from '../state/key-group.js';
import { partitionForKey } from '../../log/partitioner.js';
import { SluiceError } from '../../errors.js';
import { json } from '../formats/json.js';
import { openFormat } from '../formats/open-format.js';

export interface TopicSinkOptions<T> {
  /** Default json(). */
  readonly format?: Format<T>;
  /** Record key; unless `partition` is given, picks the partition as Kafka's default partitioner does (murmur2). */
  readonly key?: (value: T) => string | Buffer | null;
  readonly partition?: (value: T, partitions: number) => number;
  /** Default true. */
  readonly exactlyOnce?: boolean;
  /** Creates the topic with this many partitions when missing (default: must exist). */
  readonly createPartitions?: number;
}

/** One transaction: a producer id and epoch, on the partitions it wrote. */
interface Txn {
  pid: number;
  epoch: number;
  partitions: number[];
}

/** What preCommit stores in the checkpoint: its transaction and older ones not committed yet. */
interface Committable extends Txn {
  earlier?: Txn[];
}

const PID_SPACE = 2 ** 32;
/** Bytes per read while looking for open transactions on restore. */
const SCAN_BYTES = 1 << 20;

/** The 20-bit identity of a sink subtask inside its producer ids. */
function identityOf(jobName: string, uid: string, subtask: number): number {
  return keyHash(`${jobName}/${uid}/${subtask}`) & 0xfffff;
}

export function topicSink<T>(name: string, options: TopicSinkOptions<T> = {}): Sink<T> {
  return {
    name,
    async createWriter(ctx): Promise<SinkWriter<T>> {
      const log = logAccessFrom(ctx.resources, `topic sink "${name}"`);
      const format = options.format ?? json<T>();
      let partitions: number;
      if (options.createPartitions !== undefined) partitions = await log.ensureTopic(name, options.createPartitions);
      else if (await log.hasTopic(name)) partitions = await log.partitionCount(name);
      else throw new SluiceError('UNKNOWN_TOPIC', `topic sink: topic "${name}" does not exist`);
      // A schema format must know its schema id before the first encode.
      await openFormat(format);
      const w = new TopicWriter<T>(log, name, partitions, format, options, ctx);
      await w.recover();
      return w;
    },
  };
}

class TopicWriter<T> implements SinkWriter<T> {
  private readonly exactlyOnce: boolean;
  private readonly base: number;
  private readonly epoch: number;
  private pid: number;
  private readonly seq = new Map<number, number>();
  /** Sealed transactions waiting for their checkpoint's commit, by checkpoint id. */
  private readonly pending = new Map<number, Txn>();

  constructor(
    private readonly log: LogAccess,
    private readonly topicName: string,
    private readonly partitions: number,
    private readonly format: Format<T>,
    private readonly options: TopicSinkOptions<T>,
    private readonly ctx: SinkContext,
  ) {
    // Transactions are committed by checkpoints; a job without them writes directly.
    this.exactlyOnce = (options.exactlyOnce ?? true) && ctx.attempt > 0;
    // 20 bits of identity x 32 bits of checkpoint id stays below 2^53.
    this.base = identityOf(ctx.jobName, ctx.uid, ctx.subtaskIndex) * PID_SPACE;
    this.epoch = ctx.attempt % 32767;
    this.pid = this.base + ctx.restoredCheckpointId;
  }

  /** Re-commits the restored checkpoint's transactions and aborts what crashed attempts wrote after it. */
  async recover(): Promise<void> {
    if (!this.exactlyOnce) return;
    for (const c of (this.ctx.restored ?? []) as (Committable | null | undefined)[]) {
      if (!c) continue;
      for (const t of c.earlier ?? []) await this.markers(t, true);
      await this.markers(c, true);
    }
    if (this.ctx.restoredCheckpointId > 0 || this.ctx.attempt > 1) {
      await this.markers({ pid: this.pid, epoch: this.epoch, partitions: Array.from({ length: this.partitions }, (_v, p) => p) }, false);
      await this.abortLeftovers();
    }
  }

  /**
   * Aborts, at this attempt's epoch, every transaction still open in the topic whose producer id
   * belongs to an old subtask this one answers for (see the header). Runs before this writer's
   * first write; no other live writer uses those producer ids.
   */
  private async abortLeftovers(): Promise<void> {
    const ctx = this.ctx;
    const maxParallelism = Math.max(ctx.maxParallelism ?? DEFAULT_MAX_PARALLELISM, ctx.parallelism);
    const mine = new Set<number>();
    for (let s = ctx.subtaskIndex; s < maxParallelism; s += ctx.parallelism) mine.add(identityOf(ctx.jobName, ctx.uid, s));
    const all = Array.from({ length: this.partitions }, (_v, p) => p);
    const offsets = await this.log.offsets(this.topicName, all);
    for (const p of all) {
      const o = offsets[p];
      if (!o || o.lastStableOffset >= o.highWatermark) continue;
      const open = new Set<number>();
      let off = o.lastStableOffset;
      while (off < o.highWatermark) {
        const r = await this.log.read(this.topicName, p, off, SCAN_BYTES, 'read_uncommitted');
        const buf = r.records;
        const from = off;
        let pos = 0;
        while (buf.length - pos >= BATCH_HEADER_SIZE) {
          const h = readBatchHeader(buf, pos);
          const last = h.baseOffset + h.lastOffsetDelta;
          if (last >= from) {
            if (h.isControl) open.delete(h.producerId);
            else if (h.isTransactional && mine.has(Math.floor(h.producerId / PID_SPACE))) open.add(h.producerId);
            off = last + 1;
          }
          pos += BATCH_LENGTH_PREFIX + h.batchLength;
        }
        if (off === from) break; // nothing readable past here (yet)
      }
      for (const pid of open) {
        await this.log.appendControl(this.topicName, p, { producerId: pid, producerEpoch: this.epoch, commit: false, coordinatorEpoch: 0 });
      }
    }
  }

  private markers(c: Txn, commit: boolean): Promise<unknown> {
    return Promise.all(
      c.partitions.map((p) => this.log.appendControl(this.topicName, p, { producerId: c.pid, producerEpoch: c.epoch, commit, coordinatorEpoch: 0 })),
    );
  }

  private partitionOf(v: T, key: Buffer | null): number {
    if (this.options.partition) return this.options.partition(v, this.partitions);
    // Kafka's default partitioner: a key lands where a Kafka producer would put it.
    if (key) return partitionForKey(key, this.partitions);
    return this.ctx.subtaskIndex % this.partitions;
  }

  async write(values: readonly T[], timestamps: readonly number[]): Promise<void> {
    const byPart = new Map<number, RecordInput[]>();
    const keyOf = this.options.key;
    const format = this.format;
    const now = Date.now();
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as T;
      const k = keyOf ? keyOf(v) : null;
      const key = k === null ? null : typeof k === 'string' ? Buffer.from(k) : k;
      const p = this.partitionOf(v, key);
      let list = byPart.get(p);
      if (!list) byPart.set(p, (list = []));
      const ts = timestamps[i] as number;
      list.push({ key, value: format.encode(v), timestamp: Number.isFinite(ts) ? ts : now });
    }
    const appends: Promise<void>[] = [];
    for (const [p, records] of byPart) {
      let batch: Buffer;
      if (this.exactlyOnce) {
        const seq = this.seq.get(p) ?? 0;
        batch = encodeBatch(records, { producerId: this.pid, producerEpoch: this.epoch, baseSequence: seq, isTransactional: true });
        this.seq.set(p, seq + records.length);
      } else batch = encodeBatch(records);
      appends.push(this.log.append(this.topicName, p, batch));
    }
    await Promise.all(appends);
  }

  async preCommit(checkpointId: number): Promise<Committable | null> {
    if (!this.exactlyOnce) {
      await this.log.flush(this.topicName, Array.from({ length: this.partitions }, (_v, p) => p));
      return null;
    }
    const t: Txn = { pid: this.pid, epoch: this.epoch, partitions: [...this.seq.keys()] };
    await this.log.flush(this.topicName, t.partitions);
    // Sealed by an earlier checkpoint, their commit not yet done: restored with this one too.
    const earlier = [...this.pending.values()].filter((e) => e.partitions.length > 0);
    this.pending.set(checkpointId, t);
    // The next transaction belongs to the interval after this checkpoint.
    this.pid = this.base + checkpointId;
    this.seq.clear();
    return earlier.length > 0 ? { ...t, earlier } : t;
  }

  async commit(checkpointId: number): Promise<void> {
    for (const [id, c] of this.pending) {
      if (id > checkpointId) continue;
      await this.markers(c, true);
      this.pending.delete(id);
    }
  }

  async close(): Promise<void> {}
}
