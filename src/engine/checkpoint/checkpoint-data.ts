// What one checkpoint (or savepoint) holds. Everything is keyed by node uid and, inside
// keyed state and timers, by key group, so a checkpoint taken at one parallelism restores at
// another: keyed state and timers follow their key groups, source positions are merged per
// partition, operator list state is redistributed, sink committables are dealt round-robin.
// May import: state/types.ts, time/timer-service.ts.
import type { KeyGroupSnapshot, OperatorStateSnapshot } from '../state/types.js';
import type { TimerEntry } from '../time/timer-service.js';

export const CHECKPOINT_FORMAT_VERSION = 1;

export interface CheckpointData {
  readonly version: number;
  readonly id: number;
  readonly jobName: string;
  readonly timestamp: number;
  readonly savepoint: boolean;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** source uid -> partition -> position after the last record included. */
  readonly sources: Record<string, Record<string, unknown>>;
  /** operator uid -> key group snapshots of every subtask. */
  readonly keyed: Record<string, KeyGroupSnapshot[]>;
  /** operator uid -> timer service name -> timers of every subtask. */
  readonly timers: Record<string, Record<string, TimerEntry[]>>;
  /** operator uid -> operator state per old subtask (index = old subtask). */
  readonly operatorState: Record<string, OperatorStateSnapshot[]>;
  /** sink uid -> preCommit result per old subtask. */
  readonly sinks: Record<string, unknown[]>;
}
