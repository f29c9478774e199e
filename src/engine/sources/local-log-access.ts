// LogAccess over a Log in this thread (the single-thread runtime, and the main thread serving
// workers). Reads hand out the buffer the log allocated for this read; appends hand the batch
// to the log. ensureTopic is the log's create-if-absent, which waits for a creation of the same
// topic still in progress elsewhere.
// May import: sources/log-access.ts, sources/topic-log.ts (types), log/ (types), errors.
import type { LogAccess, LogRead, PartitionOffsets, Isolation, TransactionMarker } from './log-access.js';
import type { TopicLog } from './topic-log.js';

type PartitionOf = ReturnType<TopicLog['partition']>;

function offsetsOf(p: PartitionOf): PartitionOffsets {
  return { logStartOffset: p.logStartOffset, logEndOffset: p.logEndOffset, highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset };
}

export class LocalLogAccess implements LogAccess {
  readonly logAccess = true as const;

  constructor(readonly log: TopicLog) {}

  async hasTopic(topic: string): Promise<boolean> {
    return this.log.hasTopic(topic);
  }

  async partitionCount(topic: string): Promise<number> {
    return this.log.describeTopic(topic).partitions;
  }

  async ensureTopic(topic: string, partitions: number): Promise<number> {
    // The log waits for a concurrent creation of the same name (another subtask, a broker
    // auto-create) and then answers with the topic as it exists.
    return (await this.log.createTopic(topic, partitions, {}, { ifAbsent: true })).partitions;
  }

  async offsets(topic: string, partitions: readonly number[]): Promise<PartitionOffsets[]> {
    return partitions.map((p) => offsetsOf(this.log.partition(topic, p)));
  }

  async read(topic: string, partition: number, offset: number, maxBytes: number, isolation: Isolation): Promise<LogRead> {
    const part = this.log.partition(topic, partition);
    const res = await part.read(offset, { maxBytes, isolation });
    return { records: res.records, abortedTransactions: res.abortedTransactions, offsets: offsetsOf(part) };
  }

  async waitForData(
    topic: string,
    partitions: readonly number[],
    offsets: readonly number[],
    timeoutMs: number,
    isolation: Isolation,
    signal?: AbortSignal,
  ): Promise<PartitionOffsets[]> {
    const parts = partitions.map((p) => this.log.partition(topic, p));
    if (parts.length > 0 && !signal?.aborted) {
      const ac = new AbortController();
      const onAbort = (): void => ac.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await Promise.race(parts.map((part, i) => part.waitForData(offsets[i] as number, timeoutMs, { isolation, signal: ac.signal })));
      } finally {
        ac.abort();
        signal?.removeEventListener('abort', onAbort);
      }
    }
    return parts.map(offsetsOf);
  }

  async append(topic: string, partition: number, batch: Buffer): Promise<void> {
    await this.log.partition(topic, partition).append(batch);
  }

  async appendControl(topic: string, partition: number, marker: TransactionMarker): Promise<void> {
    await this.log.partition(topic, partition).appendControl(marker, { sync: true });
  }

  async flush(topic: string, partitions: readonly number[]): Promise<void> {
    for (const p of partitions) await this.log.partition(topic, p).flush();
  }
}
