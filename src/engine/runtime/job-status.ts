// What a running job reports about itself (as Flink's web UI shows it): per node subtask the
// records in/out, busy / backpressured / idle time and the watermark; per checkpoint its id,
// trigger time, duration, size and outcome; per source its positions. The runtime fills these
// at batch granularity (two `performance.now()` calls per batch and node, never per record);
// observe/job-monitor.ts turns them into rates, the UI and /metrics.
// May import nothing from the engine (the runtime imports this file).

export type NodeKind = 'source' | 'operator' | 'sink';

export interface SubtaskStatus {
  readonly nodeId: number;
  readonly uid: string;
  readonly name: string;
  readonly kind: NodeKind;
  readonly subtask: number;
  /** Records received (sources: records read). */
  readonly recordsIn: number;
  /** Records handed downstream, side outputs included (sinks: 0). */
  readonly recordsOut: number;
  /**
   * ms spent in this subtask's own code (operator functions, timers, sink `write` calls,
   * sources stamping timestamps); the time of the subtasks it calls synchronously is excluded.
   */
  readonly busyMs: number;
  /**
   * ms the runtime held this subtask back because a subtask downstream of it was full: a sink
   * at its in-flight write limit, an async I/O operator at its capacity.
   */
  readonly backpressuredMs: number;
  /**
   * ms neither busy nor backpressured since the job started: waiting for input (in one thread a
   * subtask that is not running and not blocked on its output has nothing to do).
   */
  readonly idleMs: number;
  /** Operators and sinks: the combined input watermark; sources: the watermark emitted (-Infinity before the first). */
  readonly watermark: number;
  /** Sources: position of each partition after the last batch pushed downstream (what a checkpoint stores). */
  readonly positions?: Readonly<Record<string, unknown>>;
  /** Sinks: writes in flight now. */
  readonly pendingWrites?: number;
  /** Sinks: ms the runtime waited for this sink's in-flight writes (backpressure and checkpoint flushes). */
  readonly inFlightWaitMs?: number;
  /** Sinks: event time of the newest record written, and the wall time (Date.now) it was written. */
  readonly lastEventTime?: number;
  readonly lastWriteAt?: number;
  /** Operators and sinks whose input the runtime held back: ms it did so because this subtask was full. */
  readonly blockingMs?: number;
}

export interface CheckpointStats {
  readonly id: number;
  readonly savepoint: boolean;
  /** Clock time (the job's Clock, epoch ms) when the checkpoint was triggered. */
  readonly triggeredAt: number;
  /** From the trigger to the sinks' commit (or to the failure). */
  readonly durationMs: number;
  /** Size of the checkpoint file (null when it could not be read, or the checkpoint failed). */
  readonly sizeBytes: number | null;
  readonly status: 'completed' | 'failed';
  /** Failed checkpoints: the error message. */
  readonly failure?: string;
  readonly path?: string;
}

export interface JobStatus {
  readonly jobName: string;
  /** 'initializing': worker threads are starting (loading the job); 'running' once every subtask runs. */
  readonly state: 'created' | 'initializing' | 'running' | 'finished' | 'failed';
  /** Wall time (Date.now) when the job started. */
  readonly startedAt: number;
  readonly uptimeMs: number;
  /** Per node and subtask, in graph order. Empty for subtasks the runtime does not host (worker threads). */
  readonly subtasks: readonly SubtaskStatus[];
  /** ms the runtime's loop waited for input (source polls, timers) with nothing to do. */
  readonly waitingForInputMs: number;
  /** Failed attempts the restart strategy restarted (pipeline option `restart`); the rest of the status is the current attempt's. */
  readonly restarts: number;
  readonly checkpoints: {
    readonly completed: number;
    readonly failed: number;
    /** Id of the checkpoint being taken now, if any. */
    readonly inProgress: number | null;
    /** The most recent checkpoints, oldest first (at most CHECKPOINT_HISTORY). */
    readonly history: readonly CheckpointStats[];
  };
}

export type CheckpointListener = (stats: CheckpointStats) => void;

export const CHECKPOINT_HISTORY = 50;

/** The per-subtask accumulator of busy time (operators, sources and sinks carry one). */
export interface BusyTimer {
  busyMs: number;
}

// Time spent in calls nested inside the current timed call. Processing is synchronous, so
// when an operator's output flush runs the next operator inside it, that time belongs to the
// inner one: the outer one subtracts it. One variable per thread suffices because nested
// timed calls never interleave.
let nestedMs = 0;

/** Runs `fn` and adds its duration, minus that of timed calls nested in it, to `timer.busyMs`. */
export function timeBusy<R>(timer: BusyTimer, fn: () => R): R {
  const outerNested = nestedMs;
  nestedMs = 0;
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    const dt = performance.now() - t0;
    timer.busyMs += dt - nestedMs;
    nestedMs = outerNested + dt;
  }
}
