// Messages of the worker-thread runtime. Between workers (one MessagePort per pair): data
// batches, watermarks, idleness, barriers and end-of-channel per (node, channel), plus
// credits that bound the batches in flight. Between the coordinator (main thread) and each
// worker: checkpoint trigger/ack, commit, finished, stop, close and the final result.
// May import: checkpoint/, state/types.ts, time/.
import type { KeyGroupSnapshot, OperatorStateSnapshot } from '../state/types.js';
import type { TimerEntry } from '../time/timer-service.js';
import type { CheckpointData } from '../checkpoint/checkpoint-data.js';

export type PeerMessage =
  | { t: 'b'; n: number; i: number; c: number; v: readonly unknown[]; ts: readonly number[] }
  | { t: 'w'; n: number; c: number; w: number }
  | { t: 'i'; n: number; c: number; x: boolean }
  | { t: 'B'; n: number; c: number; id: number; sp: boolean }
  | { t: 'E'; n: number; c: number }
  | { t: 'C' };

/** One worker's part of a checkpoint. */
export interface WorkerSnapshot {
  sources: Record<string, Record<string, unknown>>;
  keyed: Record<string, KeyGroupSnapshot[]>;
  timers: Record<string, Record<string, TimerEntry[]>>;
  operatorState: Record<string, Record<number, OperatorStateSnapshot>>;
  sinks: Record<string, Record<number, unknown>>;
}

export type ToWorker =
  | { t: 'trigger'; id: number; savepoint: boolean; /** stop-with-savepoint: sources emit nothing after the barrier */ halt: boolean }
  | { t: 'commit'; id: number }
  | { t: 'stop' }
  | { t: 'close' };

export type FromWorker =
  | { t: 'ack'; id: number; snapshot: WorkerSnapshot }
  | { t: 'finished' }
  | { t: 'done'; metrics: Record<string, number>; collected: Record<string, { values: unknown[]; timestamps: number[] }> }
  | { t: 'failed'; code: string; message: string };

export interface WorkerInit {
  readonly module: string;
  readonly exportName: string;
  readonly args: readonly unknown[];
  readonly jobName: string;
  readonly subtask: number;
  readonly parallelism: number;
  readonly attempt: number;
  readonly restored: CheckpointData | undefined;
  /** node uids in order: the rebuilt graph must match. */
  readonly fingerprint: string;
  /** peer subtask -> index into the transferred ports */
  readonly peers: readonly number[];
}
