// The part of the log's API (helpers/LOG-API.md, src/log/log.ts) the broker uses, as types
// only. The broker codes against this so it stays decoupled from the log's internals;
// the real Log satisfies it structurally.
// May import: log/ types.
import type { TopicConfig } from '../log/topic-config.js';

export type Isolation = 'read_uncommitted' | 'read_committed';

export interface AppendResultLike {
  baseOffset: number;
  lastOffset: number;
  logAppendTime: number;
  duplicate: boolean;
  logStartOffset: number;
}

export interface ReadResultLike {
  records: Buffer;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: { producerId: number; firstOffset: number }[];
}

export interface PartitionLike {
  readonly topic: string;
  readonly index: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  append(batches: Buffer, options?: { sync?: boolean }): Promise<AppendResultLike>;
  read(offset: number, options: { maxBytes: number; isolation?: Isolation }): Promise<ReadResultLike>;
  waitForData(offset: number, timeoutMs: number, options?: { isolation?: Isolation; signal?: AbortSignal }): Promise<boolean>;
  offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | undefined>;
  flush(): Promise<void>;
}

export interface TopicDescriptionLike {
  name: string;
  partitions: number;
  config: TopicConfig;
  internal: boolean;
}

export interface LogLike {
  createTopic(name: string, partitions: number, config?: Partial<TopicConfig>): Promise<TopicDescriptionLike>;
  deleteTopic(name: string): Promise<void>;
  hasTopic(name: string): boolean;
  describeTopic(name: string): TopicDescriptionLike;
  listTopics(): TopicDescriptionLike[];
  partition(topic: string, index: number): PartitionLike;
  flush(): Promise<void>;
  close(): Promise<void>;
}
