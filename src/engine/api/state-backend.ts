// How a job chooses where keyed state lives (design decision 6). The runtime calls the
// factory once per keyed operator subtask with the key groups that subtask owns.
// May import: state/.
import type { KeyGroupRange, KeyedStateBackend } from '../state/types.js';
import { createHeapKeyedStateBackend } from '../state/heap-backend.js';
import { createLmdbKeyedStateBackend } from '../state/lmdb-backend.js';
import { join } from 'node:path';

export interface StateBackendOptions {
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  /** Processing-time clock for TTL. */
  readonly clock: () => number;
  /** Stable id of the operator (a directory name for durable backends). */
  readonly operatorUid: string;
  readonly subtaskIndex: number;
}

export type StateBackendFactory = (options: StateBackendOptions) => KeyedStateBackend;

/** Keyed state in JS maps (the default). */
export function heapStateBackend(): StateBackendFactory {
  return (o) => createHeapKeyedStateBackend({ maxParallelism: o.maxParallelism, keyGroupRange: o.keyGroupRange, clock: o.clock });
}

/**
 * Keyed state in LMDB files under `dir` (one directory per operator subtask), for state larger
 * than memory. Durability still comes from checkpoints; the directory starts empty each run.
 */
export function lmdbStateBackend(options: { dir: string }): StateBackendFactory {
  return (o) =>
    createLmdbKeyedStateBackend({
      path: join(options.dir, `${o.operatorUid}-${o.subtaskIndex}-${process.pid}-${Date.now()}`),
      maxParallelism: o.maxParallelism,
      keyGroupRange: o.keyGroupRange,
      clock: o.clock,
    });
}
