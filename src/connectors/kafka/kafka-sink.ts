// Writes to a topic of an external Kafka cluster (or `sluice broker`) with kafkajs.
//
// Exactly-once (default when the job checkpoints) through Kafka transactions tied to
// checkpoints. Each subtask has a transactional producer with a stable transactional.id
// (`sluice.<job>.<sink uid>.<subtask>`): starting it (InitProducerId) bumps the epoch, which
// aborts any transaction a crashed attempt left open and fences that attempt for good.
// Records are sealed at the barrier: preCommit(N) stores the encoded records of the interval
// IN checkpoint N; commit(N) (checkpoint N durable) writes them in ONE transaction together
// with a marker — the offset N committed, inside the same transaction, for the sink's marker
// group (`sluice-sink.<job>.<uid>.<subtask>`, TxnOffsetCommit) — and commits it. Before
// writing, the marker is read: a checkpoint already marked was committed by an earlier attempt
// and is skipped. So a crash anywhere (before N is durable: replay; after, before or during
// EndTxn: the restored job re-commits N from the checkpoint or finds it marked) leaves every
// record exactly once for read_committed consumers.
// Why not keep the transaction open from the records' arrival and commit it after a restart,
// as Flink does: that needs EndTxn with the old producer id and epoch, which kafkajs cannot
// send; the marker gives the same guarantee through kafkajs's public API.
// Without checkpoints (or exactlyOnce: false): an idempotent producer, at-least-once.
// May import: engine/sinks, engine/formats (types), connectors/kafka, errors, kafkajs.
import type { Admin, Producer, Message } from 'kafkajs';
import type { Format } from '../../engine/formats/format.js';
import type { Sink, SinkContext, SinkWriter } from '../../engine/sinks/sink.js';
import type { KafkaConnection } from './kafka-client.js';
import { createKafka, kafkaError } from './kafka-client.js';

export interface KafkaSinkOptions<T> extends KafkaConnection {
  readonly topic: string;
  readonly format: Format<T>;
  /** Record key (the default partitioner hashes it, murmur2 like the Java client). */
  readonly key?: (value: T) => string | Buffer | null;
  /** Default true; takes effect only when the job checkpoints. */
  readonly exactlyOnce?: boolean;
  /** Default 60 s. */
  readonly transactionTimeoutMs?: number;
  /** Messages per produce call (default 5000). */
  readonly chunk?: number;
}

interface Rec {
  k: Buffer | null;
  v: Buffer;
  t: number;
}

export interface KafkaCommittable {
  readonly subtask: number;
  readonly pending: { readonly checkpointId: number; readonly records: Rec[] }[];
}

export function kafkaSink<T>(options: KafkaSinkOptions<T>): Sink<T> {
  return {
    name: `kafka:${options.topic}`,
    async createWriter(ctx): Promise<SinkWriter<T>> {
      const w = new KafkaWriter<T>(options, ctx);
      await w.start();
      return w;
    },
  };
}

class KafkaWriter<T> implements SinkWriter<T> {
  private readonly kafka;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private readonly exactlyOnce: boolean;
  private buffer: Rec[] = [];
  private pending: { checkpointId: number; records: Rec[] }[] = [];
  private tail: Promise<void> = Promise.resolve();
  private readonly transactionalId: string;

  constructor(
    private readonly options: KafkaSinkOptions<T>,
    private readonly ctx: SinkContext,
  ) {
    this.kafka = createKafka(options, 'sink');
    this.exactlyOnce = (options.exactlyOnce ?? true) && ctx.attempt > 0;
    this.transactionalId = `sluice.${ctx.jobName}.${ctx.uid}.${ctx.subtaskIndex}`;
  }

  private markerGroup(subtask: number): string {
    return `sluice-sink.${this.ctx.jobName}.${this.ctx.uid}.${this.options.topic}.${subtask}`;
  }

  async start(): Promise<void> {
    try {
      this.producer = this.exactlyOnce
        ? this.kafka.producer({ transactionalId: this.transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout: this.options.transactionTimeoutMs ?? 60_000 })
        : this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await this.producer.connect();
      if (this.exactlyOnce) {
        this.admin = this.kafka.admin();
        await this.admin.connect();
        // InitProducerId now: aborts what a crashed attempt left open and fences it.
        const txn = await this.producer.transaction();
        await txn.abort();
        for (const c of (this.ctx.restored ?? []) as (KafkaCommittable | null)[]) {
          if (!c) continue;
          for (const p of c.pending) await this.commitInterval(c.subtask, p.checkpointId, p.records);
        }
      }
    } catch (err) {
      await this.close();
      throw kafkaError(`kafka sink "${this.options.topic}": cannot start`, err);
    }
  }

  write(values: readonly T[], timestamps: readonly number[]): void | Promise<void> {
    const enc = this.options.format.encode;
    const keyOf = this.options.key;
    const recs: Rec[] = this.exactlyOnce ? this.buffer : [];
    const now = Date.now();
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as T;
      const k = keyOf ? keyOf(v) : null;
      const ts = timestamps[i] as number;
      recs.push({ k: k === null ? null : typeof k === 'string' ? Buffer.from(k) : k, v: enc(v), t: Number.isFinite(ts) ? ts : now });
    }
    if (this.exactlyOnce) return undefined;
    this.tail = this.tail.then(() => this.send(recs, undefined));
    return this.tail;
  }

  private async send(records: Rec[], txn: Awaited<ReturnType<Producer['transaction']>> | undefined): Promise<void> {
    const step = Math.max(1, this.options.chunk ?? 5000);
    for (let i = 0; i < records.length; i += step) {
      const messages: Message[] = records.slice(i, i + step).map((r) => ({ key: r.k, value: r.v, timestamp: String(r.t) }));
      try {
        if (txn) await txn.send({ topic: this.options.topic, messages });
        else await (this.producer as Producer).send({ topic: this.options.topic, messages, acks: -1 });
      } catch (err) {
        throw kafkaError(`kafka sink "${this.options.topic}": produce failed`, err);
      }
    }
  }

  async preCommit(checkpointId: number): Promise<KafkaCommittable | null> {
    if (!this.exactlyOnce) {
      await this.tail;
      return null;
    }
    if (this.buffer.length > 0) this.pending.push({ checkpointId, records: this.buffer });
    this.buffer = [];
    return { subtask: this.ctx.subtaskIndex, pending: this.pending.slice() };
  }

  async commit(checkpointId: number): Promise<void> {
    while (this.pending.length > 0 && (this.pending[0] as { checkpointId: number }).checkpointId <= checkpointId) {
      const p = this.pending[0] as { checkpointId: number; records: Rec[] };
      await this.commitInterval(this.ctx.subtaskIndex, p.checkpointId, p.records);
      this.pending.shift();
    }
  }

  private async committedMarker(subtask: number): Promise<number> {
    const res = await (this.admin as Admin).fetchOffsets({ groupId: this.markerGroup(subtask), topics: [this.options.topic] });
    let max = -1;
    for (const t of res) for (const p of t.partitions) if (p.partition === 0) max = Math.max(max, Number(p.offset));
    return max;
  }

  /** One transaction: the records and the marker N; skipped when the marker already says N. */
  private async commitInterval(subtask: number, checkpointId: number, records: Rec[]): Promise<void> {
    const producer = this.producer as Producer;
    try {
      if ((await this.committedMarker(subtask)) >= checkpointId) return;
      const txn = await producer.transaction();
      try {
        await this.send(records, txn);
        await txn.sendOffsets({
          consumerGroupId: this.markerGroup(subtask),
          topics: [{ topic: this.options.topic, partitions: [{ partition: 0, offset: String(checkpointId) }] }],
        });
        await txn.commit();
      } catch (err) {
        if (txn.isActive()) await txn.abort().catch(() => undefined);
        throw err;
      }
    } catch (err) {
      throw kafkaError(`kafka sink "${this.options.topic}": commit of checkpoint ${checkpointId} failed`, err);
    }
  }

  async finish(): Promise<void> {
    await this.tail;
  }

  async close(): Promise<void> {
    await this.tail.catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }
}
