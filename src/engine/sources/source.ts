// The Source contract (kept small on purpose; connectors implement it). A source is split
// into partitions; each subtask's reader owns some of them, polls batches from them, and
// reports its position per partition so a checkpoint can rewind it. Positions are keyed by
// partition id, so a checkpoint taken at one parallelism restores at another: every new
// reader receives the merged positions and picks the partitions it owns.
// May import: errors only.

export interface SourceContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** Positions from the checkpoint being restored (all partitions of all old subtasks), or undefined on a fresh start. */
  readonly restoredPositions: Readonly<Record<string, unknown>> | undefined;
  /** Shared resources from the pipeline options (e.g. `log`: the Log topics live in). */
  readonly resources: Readonly<Record<string, unknown>>;
  /** The job's name (e.g. for dead-letter topics). */
  readonly jobName: string;
  /** Counts bad records and other source events in the job's metrics. */
  count(metric: string, n?: number): void;
}

/** A batch is handed downstream whole: the arrays belong to the engine once returned (do not reuse them). */
export interface SourceBatch<T> {
  readonly partition: string;
  readonly values: T[];
  /** The record timestamps the source knows (log timestamps), NO_TIMESTAMP otherwise. Same length as values. */
  readonly timestamps: number[];
  /** Position of the partition AFTER this batch (what a checkpoint stores). */
  readonly position: unknown;
}

export interface SourceReader<T> {
  /** Partitions this reader owns; a watermark is tracked per partition. */
  partitions(): readonly string[];
  /**
   * The next batch (at most maxRecords records) from one partition; waits up to timeoutMs
   * for data and resolves null when there is none yet; resolves 'end' once a bounded reader
   * has delivered everything. Never called concurrently with itself.
   */
  poll(maxRecords: number, timeoutMs: number): Promise<SourceBatch<T> | null | 'end'>;
  /**
   * Optional: checkpoint `checkpointId` is durable (called after the sinks' commit, by both
   * runtimes), with the positions of this reader's partitions stored in it (do not modify
   * them). The place to tell an outside system about checkpointed progress, e.g. a Kafka
   * source commits them to its consumer group so group lag reflects it. Completions come in
   * checkpoint order; a failed checkpoint is never announced. May run while a poll is pending. A thrown error fails the job, so report-only work should
   * swallow its own failures.
   */
  notifyCheckpointComplete?(checkpointId: number, positions: Readonly<Record<string, unknown>>): Promise<void> | void;
  close(): Promise<void>;
}

export interface Source<T> {
  readonly name: string;
  createReader(ctx: SourceContext): Promise<SourceReader<T>>;
}
