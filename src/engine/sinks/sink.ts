// The Sink contract. A writer per subtask receives batches; exactly-once sinks take part in
// checkpoints with two-phase commit: preCommit(id) on the barrier (flush and seal what was
// written since the last checkpoint; the returned value is stored IN the checkpoint),
// commit(id) once the checkpoint is durable, and on restore they receive the committables of
// the restored checkpoint to commit again (commit must be idempotent) and must discard
// anything written after it.
// May import: errors only.

export interface SinkContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly jobName: string;
  /** Shared resources from the pipeline options (e.g. `log`: the Log topics live in). */
  readonly resources: Readonly<Record<string, unknown>>;
  /** The uid of the sink node: stable across restarts, unique in the job. */
  readonly uid: string;
  /** preCommit results of the old subtasks assigned to this one (old i -> new i % parallelism) in the restored checkpoint; undefined on a fresh start. */
  readonly restored: readonly unknown[] | undefined;
  /** Starts of this job so far, counted durably in the checkpoint dir (0 without checkpoints): a fencing epoch. */
  readonly attempt: number;
  /** Id of the restored checkpoint, or 0. */
  readonly restoredCheckpointId: number;
  /**
   * The job's max parallelism (default 128): every parallelism an earlier attempt may have run
   * at is below it, so a sink can find what subtasks that no longer exist left behind.
   */
  readonly maxParallelism?: number;
}

export interface SinkWriter<T> {
  /** Writes one batch. May return a promise: the runtime bounds how many are in flight (backpressure). */
  write(values: readonly T[], timestamps: readonly number[]): void | Promise<void>;
  /** Checkpoint barrier: make everything written so far ready to commit; the result goes into the checkpoint. */
  preCommit?(checkpointId: number): Promise<unknown>;
  /** The checkpoint `checkpointId` is durable: make its data visible. */
  commit?(checkpointId: number): Promise<void>;
  /** End of a bounded job without checkpoints (or after the final checkpoint): flush everything. */
  finish?(): Promise<void>;
  close(): Promise<void>;
}

export interface Sink<T> {
  readonly name: string;
  createWriter(ctx: SinkContext): Promise<SinkWriter<T>>;
}
