// Test support shared by the join tests (not exported from the package): state backend
// factories for both backends with their temp directories, and the generator of keyed,
// boundedly disordered streams the property tests compare against batch computations.
// May import: engine/api, engine/state, engine/testing, fast-check (tests only).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { StateBackendFactory } from '../api/state-backend.js';
import { heapStateBackend } from '../api/state-backend.js';
import { createLmdbKeyedStateBackend } from '../state/lmdb-backend.js';
import { OperatorHarness } from '../testing/operator-harness.js';
import type { Emitted, HarnessSnapshot } from '../testing/operator-harness.js';
import type { StreamOperator } from '../operators/operator.js';

export type BackendKind = 'heap' | 'lmdb';
export const BACKENDS: readonly BackendKind[] = ['heap', 'lmdb'];

/** A factory for `kind`; LMDB backends get a fresh directory under the OS temp dir. */
export function backendFactory(kind: BackendKind): { factory: StateBackendFactory; cleanup: () => void } {
  if (kind === 'heap') return { factory: heapStateBackend(), cleanup: () => undefined };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-join-'));
  let n = 0;
  return {
    factory: (o) =>
      createLmdbKeyedStateBackend({
        path: path.join(dir, `b${n++}`),
        maxParallelism: o.maxParallelism,
        keyGroupRange: o.keyGroupRange,
        clock: o.clock,
      }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** One element of a generated two-sided stream. */
export interface GenRecord {
  readonly id: number;
  readonly side: 0 | 1;
  readonly key: number;
  readonly ts: number;
  /** ts + a jitter in [0, bound]: elements arrive sorted by this, so disorder stays within the bound. */
  readonly arrival: number;
}

export interface GenStream {
  readonly bound: number;
  /** In arrival order. */
  readonly records: readonly GenRecord[];
  /** Sizes of the batches the records arrive in (sum >= records.length). */
  readonly batches: readonly number[];
  /** Index of the batch after which the operator is snapshotted and restored. */
  readonly restoreAfter: number;
}

export function genStream(options: { maxRecords?: number; keys?: number; maxTs?: number } = {}): fc.Arbitrary<GenStream> {
  const maxRecords = options.maxRecords ?? 60;
  const keys = options.keys ?? 3;
  const maxTs = options.maxTs ?? 80;
  return fc
    .record({
      bound: fc.integer({ min: 0, max: 12 }),
      raw: fc.array(
        fc.record({
          side: fc.constantFrom<0 | 1>(0, 1),
          key: fc.integer({ min: 0, max: keys - 1 }),
          ts: fc.integer({ min: 0, max: maxTs }),
          // 0 and the full bound are the edge cases (exactly at the watermark's heels), so favour them.
          jitter: fc.oneof(fc.constant(0), fc.constant(Number.MAX_SAFE_INTEGER), fc.integer({ min: 0, max: 20 })),
        }),
        { maxLength: maxRecords, size: 'max' },
      ),
      batches: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 30, size: 'max' }),
      restoreAt: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map(({ bound, raw, batches, restoreAt }) => {
      const records: GenRecord[] = raw
        .map((r, id) => ({ id, side: r.side, key: r.key, ts: r.ts, arrival: r.ts + Math.min(r.jitter, bound) }))
        .sort((a, b) => a.arrival - b.arrival || a.id - b.id);
      const sizes = [...batches];
      let total = sizes.reduce((a, b) => a + b, 0);
      while (total < records.length) {
        sizes.push(8);
        total += 8;
      }
      return { bound, records, batches: sizes, restoreAfter: Math.floor(restoreAt * sizes.length) };
    });
}

/** What drive() needs of a harness (OperatorHarness has these). */
export interface TwoInputDriver {
  processElements(values: readonly unknown[], timestamps: readonly number[], input: number): void;
  processWatermark(watermark: number, input: number): void;
}

/**
 * Feeds `s` into a two-input operator in its batches (consecutive runs of one side as one
 * processElements call), with watermark maxSeen - bound - 1 on both inputs after each batch;
 * `afterBatch` runs after each batch (snapshot/restore there).
 */
export async function drive<H extends TwoInputDriver>(
  s: GenStream,
  start: () => H,
  afterBatch: (batchIndex: number, current: H) => Promise<H>,
): Promise<H> {
  let h = start();
  let at = 0;
  let maxSeen = Number.NEGATIVE_INFINITY;
  for (let b = 0; b < s.batches.length && at < s.records.length; b++) {
    const batch = s.records.slice(at, at + (s.batches[b] as number));
    at += batch.length;
    let i = 0;
    while (i < batch.length) {
      const side = (batch[i] as GenRecord).side;
      let j = i;
      while (j < batch.length && (batch[j] as GenRecord).side === side) j++;
      const run = batch.slice(i, j);
      h.processElements(run, run.map((r) => r.ts), side);
      for (const r of run) maxSeen = Math.max(maxSeen, r.ts);
      i = j;
    }
    const w = maxSeen - s.bound - 1;
    h.processWatermark(w, 0);
    h.processWatermark(w, 1);
    h = await afterBatch(b, h);
  }
  return h;
}

/** A harness for a join of two GenRecord streams keyed by `key` (restored from `snap` when given). */
export function genRecordJoinHarness(op: StreamOperator<string>, factory: StateBackendFactory, snap?: HarnessSnapshot): OperatorHarness<string> {
  const key = (r: unknown): number => (r as GenRecord).key;
  return new OperatorHarness<string>(op, { keySelectors: [key, key], stateBackend: factory, ...(snap ? { restore: snap } : {}) });
}

/**
 * The body of the join property tests: runs `s` through a harness built by `make` on a fresh
 * `kind` backend, replaces it by one restored from its snapshot after batch `s.restoreAfter`
 * when `restore`, finishes, and checks that no element was dropped as late (and, with
 * `noTimersLeft`, that no timer is left). `harvest` sees every output of every harness once.
 */
export async function runJoinHarness<D extends TwoInputDriver>(
  s: GenStream,
  kind: BackendKind,
  restore: boolean,
  make: (factory: StateBackendFactory, snap?: HarnessSnapshot) => D,
  harnessOf: (driver: D) => OperatorHarness<string>,
  harvest: (e: Emitted<string>) => void,
  noTimersLeft: boolean,
): Promise<void> {
  const b = backendFactory(kind);
  const take = (d: D): void => harnessOf(d).output().forEach(harvest);
  try {
    const last = await drive(s, () => make(b.factory), async (i, d) => {
      if (!restore || i !== s.restoreAfter) return d;
      const h = harnessOf(d);
      const snap = h.snapshot();
      take(d);
      await h.close();
      return make(b.factory, snap);
    });
    const h = harnessOf(last);
    h.finish();
    take(last);
    assert.equal(h.metrics['numLateRecordsDropped'], undefined);
    if (noTimersLeft) assert.deepEqual(h.timerCount(), { event: 0, processing: 0 });
    await h.close();
  } finally {
    b.cleanup();
  }
}
