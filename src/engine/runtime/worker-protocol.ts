// Messages of the worker-thread runtime. Between workers (one MessagePort per pair): data
// batches, watermarks, idleness, barriers and end-of-channel per (node, channel), plus
// credits that bound the batches in flight. Between the coordinator (main thread) and each
// worker: checkpoint trigger/ack, commit, finished, stop, close, the final result, and the
// worker's status (its subtasks' counters, every STATS_INTERVAL_MS and once at the end).
// Between each worker and the main thread, per Log resource: the log proxy's requests and
// responses (LogRequest / LogResponse), one per batch read or written; record bytes cross as
// transferred ArrayBuffers, not copies.
// May import: checkpoint/, state/types.ts, time/, sources/log-access.ts (types), runtime/job-status.ts, runtime/batch-codec.ts (types).
import type { KeyGroupSnapshot, OperatorStateSnapshot } from '../state/types.js';
import type { TimerEntry } from '../time/timer-service.js';
import type { CheckpointData } from '../checkpoint/checkpoint-data.js';
import type { AbortedTransaction, Isolation, PartitionOffsets, TransactionMarker } from '../sources/log-access.js';
import type { SubtaskStatus } from './job-status.js';
import type { EncodedBatch } from './batch-codec.js';

/** How often a worker reports its subtasks' status to the coordinator (one message, never per record). */
export const STATS_INTERVAL_MS = 500;

export type PeerMessage =
  | { t: 'b'; n: number; i: number; c: number; v: EncodedBatch; ts: Float64Array }
  | { t: 'w'; n: number; c: number; w: number }
  | { t: 'i'; n: number; c: number; x: boolean }
  | { t: 'B'; n: number; c: number; id: number; sp: boolean }
  | { t: 'E'; n: number; c: number }
  | { t: 'C' }
  /** The sender's slowest aligned source watermark (watermark alignment; +Infinity once none reads). */
  | { t: 'A'; w: number };

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
  /** The worker rebuilt the job and its subtasks run. */
  | { t: 'running' }
  | { t: 'ack'; id: number; snapshot: WorkerSnapshot }
  | { t: 'finished' }
  /** The worker's subtasks as status() reports them, and the ms its loop waited for input. */
  | { t: 'stats'; subtasks: readonly SubtaskStatus[]; waitingForInputMs: number }
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
  /** Names of the Log resources the main thread serves to this worker (one port each, in workerData.logPorts). */
  readonly logs: readonly string[];
}

/** Bytes on the wire: a view into an ArrayBuffer that is transferred with the message. */
export interface WireBytes {
  readonly buf: ArrayBuffer;
  readonly off: number;
  readonly len: number;
}

export type LogRequest =
  | { t: 'has'; id: number; topic: string }
  | { t: 'count'; id: number; topic: string }
  | { t: 'ensure'; id: number; topic: string; partitions: number }
  | { t: 'offsets'; id: number; topic: string; ps: readonly number[] }
  | { t: 'read'; id: number; topic: string; p: number; offset: number; maxBytes: number; iso: Isolation }
  | { t: 'wait'; id: number; topic: string; ps: readonly number[]; offsets: readonly number[]; timeoutMs: number; iso: Isolation }
  | { t: 'append'; id: number; topic: string; p: number; bytes: WireBytes }
  | { t: 'control'; id: number; topic: string; p: number; marker: TransactionMarker }
  | { t: 'flush'; id: number; topic: string; ps: readonly number[] };

export type LogResponse =
  | { id: number; ok: true; v: unknown }
  | { id: number; ok: true; read: { bytes: WireBytes; aborted: readonly AbortedTransaction[]; offsets: PartitionOffsets } }
  | { id: number; ok: false; code: string; message: string; retriable: boolean; details?: Record<string, unknown> };

/**
 * Prepares a Buffer for a transfer. A Buffer that is a view into Node's shared allocation
 * pool (small Buffer.allocUnsafe / Buffer.from) must not be transferred (that would take the
 * pool away from every other Buffer in it) and is copied once; any other Buffer's memory is
 * handed over as it is, so the sender must not use it afterwards.
 */
export function toWire(b: Buffer): { bytes: WireBytes; transfer: ArrayBuffer[] } {
  const ab = b.buffer;
  if (ab instanceof ArrayBuffer && ab.byteLength !== Buffer.poolSize && b.byteLength > 0) {
    return { bytes: { buf: ab, off: b.byteOffset, len: b.byteLength }, transfer: [ab] };
  }
  const copy = new ArrayBuffer(b.byteLength);
  new Uint8Array(copy).set(b);
  return { bytes: { buf: copy, off: 0, len: b.byteLength }, transfer: [copy] };
}

export function fromWire(w: WireBytes): Buffer {
  return Buffer.from(w.buf, w.off, w.len);
}
