// Writes to a topic of the embedded log. Exactly-once (the default) uses the log's
// transactions, one per checkpoint interval and subtask:
//  - the transaction that follows checkpoint N is written with producer id pid(N) (derived
//    from job, sink uid, subtask and N) and epoch = the job's attempt counter;
//  - preCommit(N+1) flushes it and returns { pid, epoch, partitions } into checkpoint N+1;
//    commit(N+1) writes COMMIT markers; read_committed readers see it only then;
//  - on restore from checkpoint N: the transaction sealed by N is committed again (a second
//    commit marker is harmless), and whatever the crashed attempt wrote after N (pid(N),
//    older epoch) is aborted with a marker at the new epoch, which also fences it.
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
import { encodeBatch } from '../../codec/record-batch.js';
import { keyHash } from '../state/key-group.js';
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

interface Committable {
  pid: number;
  epoch: number;
  partitions: number[];
}

const PID_SPACE = 2 ** 32;

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
  private readonly pending = new Map<number, Committable>();

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
    this.base = (keyHash(`${ctx.jobName}/${ctx.uid}/${ctx.subtaskIndex}`) & 0xfffff) * PID_SPACE;
    this.epoch = ctx.attempt % 32767;
    this.pid = this.base + ctx.restoredCheckpointId;
  }

  /** Re-commits the restored checkpoint's transaction and aborts what the crashed attempt wrote after it. */
  async recover(): Promise<void> {
    if (!this.exactlyOnce) return;
    for (const c of (this.ctx.restored ?? []) as (Committable | null)[]) {
      if (c) await this.markers(c, true);
    }
    if (this.ctx.restoredCheckpointId > 0 || this.ctx.attempt > 1) {
      await this.markers({ pid: this.pid, epoch: this.epoch, partitions: Array.from({ length: this.partitions }, (_v, p) => p) }, false);
    }
  }

  private markers(c: Committable, commit: boolean): Promise<unknown> {
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
    const c: Committable = { pid: this.pid, epoch: this.epoch, partitions: [...this.seq.keys()] };
    await this.log.flush(this.topicName, c.partitions);
    this.pending.set(checkpointId, c);
    // The next transaction belongs to the interval after this checkpoint.
    this.pid = this.base + checkpointId;
    this.seq.clear();
    return c;
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
