// Options of a pipeline run. Durations accept "10s" / "1m" / ms numbers.
// May import: api/, time/, checkpoint/.
import type { Duration } from '../api/duration.js';
import type { StateBackendFactory } from '../api/state-backend.js';
import type { Clock } from '../time/clock.js';
import type { FileSystem } from '../../log/fs/file-system.js';

export interface CheckpointOptions {
  /** Interval between periodic checkpoints. */
  readonly every: Duration;
  /** Directory for checkpoint files (default `.sluice-data/checkpoints/<job>`). */
  readonly dir?: string;
  /** Completed checkpoints kept (default 3). */
  readonly keep?: number;
  readonly fs?: FileSystem;
}

/** Fixed-delay restarts (Flink's fixedDelayRestart): up to `attempts` new attempts, `delay` apart. */
export interface RestartStrategy {
  readonly attempts: number;
  readonly delay: Duration;
}

export interface PipelineOptions {
  readonly checkpoints?: CheckpointOptions;
  /** Subtasks per node (default 1). Keyed state is split into maxParallelism key groups. */
  readonly parallelism?: number;
  /** Key groups (default 128); fixed for the life of a job's state. */
  readonly maxParallelism?: number;
  readonly stateBackend?: StateBackendFactory;
  readonly clock?: Clock;
  /** Records per batch read from a source and max size of an operator's output batch (default 1024). */
  readonly batchSize?: number;
  /** Sink writes in flight per sink subtask before the sources are paused (default 2). */
  readonly maxInFlightWrites?: number;
  /** How long a source poll waits for data before the runner checks timers and checkpoints (default 50 ms). */
  readonly pollTimeoutMs?: number;
  /**
   * Restart a failed job in this process, from its latest completed checkpoint (without
   * checkpoints: from the start). Default: none, a failure ends the job (`done` rejects).
   */
  readonly restart?: RestartStrategy;
  /** Resources sources and sinks look up by name (e.g. `log` for log topics). */
  readonly resources?: Readonly<Record<string, unknown>>;
}

/**
 * Runs the subtasks on worker threads. Closures cannot be sent to a worker, so each worker
 * imports `module` and calls its export `export` (default 'default') with `args` to rebuild
 * the same pipeline. Sources and sinks must work inside a worker (not an in-process Log).
 */
export interface WorkerRunOptions {
  /** URL (import.meta.url style) or path of the module that builds the pipeline. */
  readonly module: string;
  readonly export?: string;
  readonly args?: readonly unknown[];
}

export interface RunOptions {
  /** Run the subtasks on worker threads (see WorkerRunOptions). */
  readonly workers?: WorkerRunOptions;
  /** Restore from this checkpoint/savepoint file instead of the latest checkpoint. */
  readonly fromSavepoint?: string;
  /** Do not restore from the checkpoint dir even if it holds checkpoints. */
  readonly fresh?: boolean;
  /** Overrides the pipeline's parallelism for this run (rescaling from a savepoint). */
  readonly parallelism?: number;
}
