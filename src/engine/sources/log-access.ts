// What the engine's topic source and sink need from the log, as an asynchronous interface so
// the same reader and writer run in the thread that owns the Log (localLogAccess) and inside a
// worker thread that reaches it through a request/response port (runtime/worker-log-client).
// Everything is per batch: a read returns the raw RecordBatch bytes of many records, an append
// takes one encoded batch. Offsets come back with every read and wait, so a reader needs no
// extra round trip to know how far it may read.
// May import: log/ (types), errors.
import type { Isolation, TransactionMarker } from '../../log/partition.js';

export type { Isolation, TransactionMarker };

export interface PartitionOffsets {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
}

export interface AbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
}

export interface LogRead {
  /** Whole RecordBatch v2 batches, as stored; owned by the caller. */
  readonly records: Buffer;
  readonly abortedTransactions: readonly AbortedTransaction[];
  /** The partition's offsets when the read was served. */
  readonly offsets: PartitionOffsets;
}

export interface LogAccess {
  /** Marks an object as a LogAccess among the pipeline's resources. */
  readonly logAccess: true;
  hasTopic(topic: string): Promise<boolean>;
  /** Partition count; UNKNOWN_TOPIC when the topic does not exist. */
  partitionCount(topic: string): Promise<number>;
  /**
   * Creates the topic when missing and returns its partition count. A concurrent creation of
   * the same topic (another subtask, a broker auto-create) is waited for, not an error.
   */
  ensureTopic(topic: string, partitions: number): Promise<number>;
  offsets(topic: string, partitions: readonly number[]): Promise<PartitionOffsets[]>;
  read(topic: string, partition: number, offset: number, maxBytes: number, isolation: Isolation): Promise<LogRead>;
  /**
   * Resolves as soon as any of the partitions has data past its offset under the isolation,
   * or after timeoutMs (or on abort), with the offsets of every partition asked about.
   */
  waitForData(topic: string, partitions: readonly number[], offsets: readonly number[], timeoutMs: number, isolation: Isolation, signal?: AbortSignal): Promise<PartitionOffsets[]>;
  /** Appends encoded RecordBatch v2 bytes; takes ownership of `batch`. */
  append(topic: string, partition: number, batch: Buffer): Promise<void>;
  /** Writes a transaction marker, durably (fsync) before resolving. */
  appendControl(topic: string, partition: number, marker: TransactionMarker): Promise<void>;
  /** Fsyncs what was written to the partitions. */
  flush(topic: string, partitions: readonly number[]): Promise<void>;
}

export function isLogAccess(v: unknown): v is LogAccess {
  return typeof v === 'object' && v !== null && (v as { logAccess?: unknown }).logAccess === true;
}
