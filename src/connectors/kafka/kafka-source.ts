// Reads topics of an external Kafka cluster (or `sluice broker`) with kafkajs.
// Partition-aware: the (topic, partition) pairs are enumerated in order and subtask s owns
// those with index % parallelism == s, fetched by a consumer in a private, single-member
// group whose assigner hands it exactly those partitions (kafkajs has no manual assign).
// Positions (next offset per partition) live in Sluice's checkpoints: a restored position
// is sought and wins over anything a group has committed; without one, `startFrom` applies.
// For monitoring (lag tools) positions are committed to `groupId`, nothing reads them back:
// when a checkpoint completes, the positions it stored (notifyCheckpointComplete), so group
// lag reflects checkpointed progress; a job without checkpoints commits the delivered
// positions every `commitIntervalMs` instead. Commits run in the background, one at a time,
// each a small transaction (TxnOffsetCommit, transactional.id `sluice-source.<groupId>.<subtask>`)
// that needs no group membership. read_committed by default. A record the format cannot decode
// goes to the dead-letter topic (engine/sources/dead-letters.ts) and never stops the pipeline.
// Fetching runs ahead in a bounded queue: the consumer is paused while the queue is full.
// May import: engine/sources, engine/formats (types), connectors/kafka, errors, kafkajs.
import type { Admin, Consumer, EachBatchPayload, PartitionAssigner, Producer } from 'kafkajs';
import { AssignerProtocol } from 'kafkajs';
import type { Format } from '../../engine/formats/format.js';
import type { Source, SourceBatch, SourceContext, SourceReader } from '../../engine/sources/source.js';
import type { DeadLetter } from '../../engine/sources/dead-letters.js';
import { DeadLetterWriter } from '../../engine/sources/dead-letters.js';
import type { KafkaConnection } from './kafka-client.js';
import { createKafka, kafkaError } from './kafka-client.js';
import { SluiceError } from '../../errors.js';

export interface KafkaSourceOptions<T> extends KafkaConnection {
  readonly topics: string | readonly string[];
  /** The group positions are committed to for monitoring. */
  readonly groupId: string;
  readonly format: Format<T>;
  /** Without a checkpoint (default 'earliest'). */
  readonly startFrom?: 'earliest' | 'latest';
  /** Default read_committed. */
  readonly isolation?: 'read_committed' | 'read_uncommitted';
  /** Stop at the end offsets seen at start (default false). */
  readonly bounded?: boolean;
  /** Dead-letter topic in the embedded log (default `<topic>.dlq`), false to count and drop. */
  readonly deadLetterTopic?: string | false;
  /**
   * Without checkpoints: how often delivered positions are committed to groupId (default 5 s;
   * 0 = never). Once a checkpoint completes, its positions are committed instead (and only they).
   */
  readonly commitIntervalMs?: number;
  /** Records fetched ahead before the consumer pauses (default 20 000). */
  readonly maxQueued?: number;
}

const pid = (topic: string, p: number): string => `${topic}:${p}`;

export function kafkaSource<T>(options: KafkaSourceOptions<T>): Source<T> {
  const topics = typeof options.topics === 'string' ? [options.topics] : [...options.topics];
  return {
    name: `kafka:${topics.join(',')}`,
    async createReader(ctx): Promise<SourceReader<T>> {
      const r = new KafkaReader<T>(options, topics, ctx);
      await r.start();
      return r;
    },
  };
}

class KafkaReader<T> implements SourceReader<T> {
  private readonly kafka;
  private admin: Admin | undefined;
  private consumer: Consumer | undefined;
  private mine: { topic: string; partition: number }[] = [];
  private readonly queue: (SourceBatch<T> & { offsets: number[] })[] = [];
  private queued = 0;
  private wake: (() => void) | undefined;
  private failure: unknown;
  private paused = false;
  /** Next offset expected per partition (messages below it are stale fetches from before a seek). */
  private readonly next = new Map<string, number>();
  private readonly end = new Map<string, number>();
  private readonly delivered = new Map<string, number>();
  private readonly dlq: Map<string, DeadLetterWriter> = new Map();
  private commitTimer: NodeJS.Timeout | undefined;
  /** A checkpoint completed: from now on only checkpointed positions are committed. */
  private checkpointed = false;
  /** Positions of the newest completed checkpoint not committed yet, and the commit running. */
  private toCommit: Map<string, number> | undefined;
  private committing: Promise<void> | undefined;
  /** The transactional producer that commits group offsets (connected on first use). */
  private committer: Promise<Producer> | undefined;
  private closedForCommits = false;

  constructor(
    private readonly options: KafkaSourceOptions<T>,
    private readonly topics: string[],
    private readonly ctx: SourceContext,
  ) {
    this.kafka = createKafka(options, 'source');
  }

  partitions(): readonly string[] {
    return this.mine.map((m) => pid(m.topic, m.partition));
  }

  async start(): Promise<void> {
    const admin = (this.admin = this.kafka.admin());
    try {
      await admin.connect();
      const meta = await admin.fetchTopicMetadata({ topics: this.topics });
      const all: { topic: string; partition: number }[] = [];
      for (const t of [...meta.topics].sort((a, b) => (a.name < b.name ? -1 : 1))) {
        for (const p of [...t.partitions].sort((a, b) => a.partitionId - b.partitionId)) all.push({ topic: t.name, partition: p.partitionId });
      }
      this.mine = all.filter((_x, i) => i % this.ctx.parallelism === this.ctx.subtaskIndex);
      for (const t of this.topics) {
        this.dlq.set(t, DeadLetterWriter.forSource(t, this.ctx, this.options.format.name, this.options.deadLetterTopic));
        if (this.options.bounded) {
          for (const o of await admin.fetchTopicOffsets(t)) this.end.set(pid(t, o.partition), Number(o.high));
        }
      }
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      throw kafkaError('kafka source: cannot read topic metadata', err);
    }
    for (const m of this.mine) {
      const restored = this.ctx.restoredPositions?.[pid(m.topic, m.partition)];
      if (typeof restored === 'number') this.next.set(pid(m.topic, m.partition), restored);
    }
    if (this.mine.length === 0) return;
    const mine = this.mine;
    const assigner: PartitionAssigner = () => ({
      name: 'SluiceSubtask',
      version: 0,
      async assign({ members }) {
        const byTopic = new Map<string, number[]>();
        for (const m of mine) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m.partition]);
        return members.map((member, i) => ({
          memberId: member.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: i === 0 ? Object.fromEntries(byTopic) : {}, userData: Buffer.alloc(0) }),
        }));
      },
      protocol({ topics }) {
        return { name: 'SluiceSubtask', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
      },
    });
    // A private group per reader and run: a restarted job never waits for a dead member of its previous run.
    const fetchGroup = `${this.options.groupId}.sluice-fetch.${this.ctx.subtaskIndex}.${process.pid}.${Date.now().toString(36)}`;
    const consumer = (this.consumer = this.kafka.consumer({
      groupId: fetchGroup,
      partitionAssigners: [assigner],
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      readUncommitted: this.options.isolation === 'read_uncommitted',
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
    }));
    try {
      await consumer.connect();
      for (const t of this.topics) await consumer.subscribe({ topic: t, fromBeginning: (this.options.startFrom ?? 'earliest') === 'earliest' });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: (p) => this.onBatch(p) });
    } catch (err) {
      await this.close();
      throw kafkaError('kafka source: cannot start the consumer', err);
    }
    consumer.on(consumer.events.CRASH, (e: { payload: { error: unknown } }) => {
      this.failure = e.payload.error;
      this.wake?.();
    });
    for (const [key, offset] of this.next) {
      const [topic, partition] = splitPid(key);
      consumer.seek({ topic, partition, offset: String(offset) });
    }
    const every = this.options.commitIntervalMs ?? 5000;
    if (every > 0) {
      this.commitTimer = setInterval(() => {
        if (!this.checkpointed) this.commitPositions(new Map(this.delivered));
      }, every);
      this.commitTimer.unref();
    }
  }

  private async onBatch({ batch }: EachBatchPayload): Promise<void> {
    const key = pid(batch.topic, batch.partition);
    const values: T[] = [];
    const timestamps: number[] = [];
    const offsets: number[] = [];
    const dead: DeadLetter[] = [];
    let next = this.next.get(key);
    for (const m of batch.messages) {
      const off = Number(m.offset);
      if (next !== undefined && off < next) continue; // fetched before our seek took effect
      next = off + 1;
      const ts = Number(m.timestamp);
      if (m.value === null) {
        dead.push({ key: m.key, value: null, error: new SluiceError('DESERIALIZATION_FAILED', 'null value (tombstone)', { details: { reason: 'NULL_VALUE' } }), partition: batch.partition, offset: off, timestamp: ts });
        continue;
      }
      try {
        values.push(this.options.format.decode(m.value));
        timestamps.push(ts);
        offsets.push(off);
      } catch (err) {
        dead.push({ key: m.key, value: m.value, error: err, partition: batch.partition, offset: off, timestamp: ts });
      }
    }
    if (next === undefined) return;
    this.next.set(key, next);
    if (dead.length > 0) await this.dlq.get(batch.topic)?.write(dead);
    this.queue.push({ partition: key, values, timestamps, offsets, position: next });
    this.queued += values.length;
    if (this.queued >= (this.options.maxQueued ?? 20_000) && !this.paused && this.consumer) {
      this.paused = true;
      this.consumer.pause(this.topics.map((topic) => ({ topic })));
    }
    this.wake?.();
  }

  async poll(maxRecords: number, timeoutMs: number): Promise<SourceBatch<T> | null | 'end'> {
    if (this.failure) throw kafkaError('kafka source: consumer failed', this.failure);
    if (this.queue.length === 0) {
      if (this.options.bounded && this.mine.every((m) => (this.next.get(pid(m.topic, m.partition)) ?? -1) >= (this.end.get(pid(m.topic, m.partition)) ?? 0))) return 'end';
      if (this.mine.length > 0 && this.options.bounded && this.mine.every((m) => (this.end.get(pid(m.topic, m.partition)) ?? 0) === 0)) return 'end';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.queue.length === 0) return null;
    }
    const head = this.queue[0] as SourceBatch<T> & { offsets: number[] };
    let out: SourceBatch<T>;
    if (head.values.length <= maxRecords) {
      this.queue.shift();
      out = { partition: head.partition, values: head.values, timestamps: head.timestamps, position: head.position };
    } else {
      // Split a large fetch; the first part ends just after its last record's offset.
      const values = head.values.splice(0, maxRecords);
      const timestamps = head.timestamps.splice(0, maxRecords);
      const offsets = head.offsets.splice(0, maxRecords);
      out = { partition: head.partition, values, timestamps, position: (offsets[offsets.length - 1] as number) + 1 };
    }
    this.queued -= out.values.length;
    this.delivered.set(out.partition, out.position as number);
    if (this.paused && this.queued < (this.options.maxQueued ?? 20_000) / 2 && this.consumer) {
      this.paused = false;
      this.consumer.resume(this.topics.map((topic) => ({ topic })));
    }
    return out;
  }

  /** Commits the positions checkpoint `checkpointId` stored for this reader's partitions to groupId. */
  notifyCheckpointComplete(_checkpointId: number, positions: Readonly<Record<string, unknown>>): void {
    this.checkpointed = true;
    const at = new Map<string, number>();
    for (const m of this.mine) {
      const key = pid(m.topic, m.partition);
      const o = positions[key];
      if (typeof o === 'number') at.set(key, o);
    }
    this.commitPositions(at);
  }

  /** Commits in the background, one at a time; a newer set replaces one still waiting. Never fails the job. */
  private commitPositions(at: Map<string, number>): void {
    if (at.size === 0) return;
    this.toCommit = at;
    this.committing ??= (async () => {
      while (this.toCommit) {
        const next = this.toCommit;
        this.toCommit = undefined;
        // Monitoring only: a failed commit is retried with the next positions, never fails the job.
        await this.setGroupOffsets(next).catch(() => undefined);
      }
      this.committing = undefined;
    })();
  }

  /**
   * One small transaction that commits the offsets for groupId (TxnOffsetCommit): no group
   * membership needed, so subtasks never collide and no consumer joins the group (kafkajs's
   * admin.setOffsets would join it with a whole consumer per call).
   */
  private async setGroupOffsets(at: Map<string, number>): Promise<void> {
    if (this.closedForCommits) return;
    if (!this.committer) {
      const producer = this.kafka.producer({ transactionalId: `sluice-source.${this.options.groupId}.${this.ctx.subtaskIndex}`, idempotent: true, maxInFlightRequests: 1 });
      this.committer = producer.connect().then(
        () => producer,
        (err: unknown) => {
          this.committer = undefined;
          throw err;
        },
      );
    }
    const producer = await this.committer;
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const [key, offset] of at) {
      const [topic, partition] = splitPid(key);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, offset: String(offset) }]);
    }
    const txn = await producer.transaction();
    try {
      await txn.sendOffsets({ consumerGroupId: this.options.groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
      await txn.commit();
    } catch (err) {
      if (txn.isActive()) await txn.abort().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.commitTimer) clearInterval(this.commitTimer);
    this.wake?.();
    // Without checkpoints, what was delivered is the progress; with them, the last checkpoint's commit.
    if (!this.checkpointed) this.commitPositions(new Map(this.delivered));
    await this.committing;
    this.closedForCommits = true;
    await this.committer?.then((p) => p.disconnect()).catch(() => undefined);
    await this.consumer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }
}

function splitPid(key: string): [string, number] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}
