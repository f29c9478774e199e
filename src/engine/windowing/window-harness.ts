// Test support: drives one WindowOperator (or any keyed StreamOperator) directly, without a
// job runtime, over a real keyed state backend and the engine's real timer services, so window
// tests can set watermarks and processing time by hand and read every emitted record. Used by
// the unit tests here and the golden tests in test/golden/. Not part of the public API.
// Imports operators/, runtime/keyed-services.ts, state/, time/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OutputTag } from '../api/output-tag.js';
import type { OperatorContext, Output, StreamOperator } from '../operators/operator.js';
import { KeyedServicesImpl } from '../runtime/keyed-services.js';
import { createHeapKeyedStateBackend } from '../state/heap-backend.js';
import { createLmdbKeyedStateBackend } from '../state/lmdb-backend.js';
import { createOperatorStateStore } from '../state/operator-state.js';
import type { KeyedStateBackend } from '../state/types.js';
import { ManualClock } from '../time/clock.js';

export type BackendKind = 'heap' | 'lmdb';

export const BACKEND_KINDS: readonly BackendKind[] = ['heap', 'lmdb'];

export interface Emitted<T> {
  value: T;
  timestamp: number;
}

export class WindowHarness<OUT> {
  readonly clock = new ManualClock(0);
  readonly output: Array<Emitted<OUT>> = [];
  readonly side = new Map<string, Array<Emitted<unknown>>>();
  readonly watermarks: number[] = [];
  readonly metrics = new Map<string, number>();
  readonly keyed: KeyedServicesImpl;
  private readonly cleanupDir: string | undefined;
  private watermark = Number.NEGATIVE_INFINITY;

  private constructor(
    readonly operator: StreamOperator<OUT>,
    keySelector: (v: unknown) => unknown,
    readonly backend: KeyedStateBackend,
    dir: string | undefined,
    beforeOpen: ((h: WindowHarness<OUT>) => void) | undefined,
  ) {
    this.cleanupDir = dir;
    this.keyed = new KeyedServicesImpl(backend, [keySelector], 128, { start: 0, end: 127 }, () => this.clock.now());
    const out: Output<OUT> = {
      collect: (value, timestamp) => void this.output.push({ value, timestamp }),
      collectBatch: (values, timestamps) => values.forEach((value, i) => this.output.push({ value, timestamp: timestamps[i] as number })),
      collectSide: <S>(tag: OutputTag<S>, value: S, timestamp: number) => {
        let list = this.side.get(tag.id);
        if (list === undefined) this.side.set(tag.id, (list = []));
        list.push({ value, timestamp });
      },
      emitWatermark: (w) => void this.watermarks.push(w),
    };
    const ctx: OperatorContext<OUT> = {
      output: out,
      operatorName: 'window-under-test',
      subtaskIndex: 0,
      parallelism: 1,
      maxParallelism: 128,
      clock: this.clock,
      keyed: this.keyed,
      operatorState: createOperatorStateStore(),
      count: (metric, n = 1) => void this.metrics.set(metric, (this.metrics.get(metric) ?? 0) + n),
      currentWatermark: () => this.watermark,
    };
    beforeOpen?.(this);
    operator.open(ctx);
  }

  static create<T, OUT>(
    operator: StreamOperator<OUT>,
    keySelector: (v: T) => unknown,
    backend: BackendKind = 'heap',
    beforeOpen?: (h: WindowHarness<OUT>) => void,
  ): WindowHarness<OUT> {
    const ks = keySelector as (v: unknown) => unknown;
    if (backend === 'heap') return new WindowHarness(operator, ks, createHeapKeyedStateBackend(), undefined, beforeOpen);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-window-'));
    return new WindowHarness(operator, ks, createLmdbKeyedStateBackend({ path: path.join(dir, 'state') }), dir, beforeOpen);
  }

  /** One batch of [value, timestamp] records. */
  process(records: ReadonlyArray<readonly [unknown, number]>): void {
    this.operator.processBatch(
      records.map((r) => r[0]),
      records.map((r) => r[1]),
      0,
    );
  }

  /** Fires event timers up to `w` (as the runtime does) and hands the watermark to the operator. */
  advanceWatermark(w: number): void {
    this.watermark = w;
    this.keyed.advanceWatermark(w);
    this.operator.processWatermark(w);
  }

  /** Moves the clock and fires due processing-time timers. */
  setProcessingTime(now: number): void {
    this.clock.set(now);
    this.keyed.advanceProcessingTime(now);
  }

  /** What a checkpoint of this operator holds: keyed state and timers. */
  snapshot(): { state: ReturnType<KeyedStateBackend['snapshot']>; timers: ReturnType<KeyedServicesImpl['snapshotTimers']> } {
    return { state: this.backend.snapshot(), timers: this.keyed.snapshotTimers() };
  }

  /**
   * A fresh harness for `operator` restored from `snap`, as the runtime restores a job: state
   * and timers first, then open() (which re-registers the timer service and finds its timers).
   */
  static restore<T, OUT>(
    operator: StreamOperator<OUT>,
    keySelector: (v: T) => unknown,
    snap: ReturnType<WindowHarness<unknown>['snapshot']>,
    backend: BackendKind = 'heap',
  ): WindowHarness<OUT> {
    return WindowHarness.create(operator, keySelector, backend, (h) => {
      h.backend.restore(snap.state);
      h.keyed.restoreTimers(snap.timers);
      // Like a restored job, the timer service starts from no watermark until the next one arrives.
    });
  }

  values(): OUT[] {
    return this.output.map((e) => e.value);
  }

  sideValues<S>(tag: OutputTag<S>): S[] {
    return (this.side.get(tag.id) ?? []).map((e) => e.value as S);
  }

  /** Drains and returns the output so far. */
  take(): OUT[] {
    const v = this.values();
    this.output.length = 0;
    return v;
  }

  async close(): Promise<void> {
    this.operator.close?.();
    await this.backend.close();
    if (this.cleanupDir !== undefined) fs.rmSync(this.cleanupDir, { recursive: true, force: true });
  }
}
