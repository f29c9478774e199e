// One subtask of one operator node: receives batches and per-channel watermarks, fires the
// keyed timers when the combined watermark advances, and flushes its output after each batch
// so records travel downstream as whole batches, synchronously. In the worker-thread runtime
// it also aligns checkpoint barriers across its channels and finishes when all have ended.
// May import: runtime/, operators/, state/, time/.
import type { OperatorContext, Output, StreamOperator } from '../operators/operator.js';
import type { OperatorStateStore } from '../state/types.js';
import type { Clock } from '../time/clock.js';
import type { Barrier, InputReceiver } from './channels.js';
import type { KeyedServicesImpl } from './keyed-services.js';
import { ChannelWatermarks } from './channels.js';
import { BarrierAligner } from './barrier-aligner.js';
import { isAsyncBoundary, type AsyncBoundary } from '../operators/async-io-boundary.js';
import { SluiceError } from '../../errors.js';
import { timeBusy } from './job-status.js';

/** What the runtime needs of an instance's output beyond the operator's view. */
export interface InstanceOutput extends Output<unknown> {
  flush(): void;
  setIdle(idle: boolean): void;
  emitBarrier?(barrier: Barrier): void;
  emitEnd?(): void;
  /** Records handed downstream so far (RouterOutput counts them per flushed batch). */
  readonly recordsOut?: number;
}

export interface InstanceInfo {
  readonly uid: string;
  readonly name: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly clock: Clock;
  readonly count: (metric: string, n?: number) => void;
}

/** Called when an instance aligned a barrier: snapshot it now (before the barrier is forwarded). */
export type AlignedHook = (instance: OperatorInstance, barrier: Barrier) => void;

export class OperatorInstance implements InputReceiver {
  readonly watermarks: ChannelWatermarks;
  private finished = false;
  private readonly aligner: BarrierAligner;
  onAligned: AlignedHook = () => undefined;
  onError: (err: unknown) => void = (err) => {
    throw err;
  };
  /** Async boundary operators (async I/O): set when the operator emits from its own mailbox. */
  readonly async: AsyncBoundary | undefined;
  /** The runtime's wake-up for an async boundary's mailbox (set by the runner; read late). */
  wake: () => void = () => undefined;
  /** All inputs ended while the async operator still had work: finish when it drains. */
  private endDeferred = false;
  /** Status (job-status.ts): records received, ms in the operator's code, ms the runtime held the input back because this instance was full. */
  recordsIn = 0;
  busyMs = 0;
  blockingMs = 0;

  constructor(
    readonly info: InstanceInfo,
    readonly operator: StreamOperator,
    readonly output: InstanceOutput,
    readonly keyed: KeyedServicesImpl | undefined,
    readonly operatorState: OperatorStateStore,
    channels: number,
  ) {
    this.watermarks = new ChannelWatermarks(channels);
    this.async = isAsyncBoundary(operator) ? operator : undefined;
    this.aligner = new BarrierAligner(
      channels,
      (b) => {
        this.onAligned(this, b);
        this.output.emitBarrier?.(b);
      },
      (err) => this.onError(err),
    );
  }

  open(): void {
    const info = this.info;
    const ctx: OperatorContext<unknown> = {
      output: this.output,
      operatorName: info.name,
      subtaskIndex: info.subtaskIndex,
      parallelism: info.parallelism,
      maxParallelism: info.maxParallelism,
      clock: info.clock,
      keyed: this.keyed,
      operatorState: this.operatorState,
      count: info.count,
      currentWatermark: () => this.watermarks.current,
    };
    this.async?.attachWake(() => this.wake());
    this.wrap(() => this.operator.open(ctx));
  }

  /** Async boundary: emits what its callbacks completed (the mailbox), then finishes if the input ended meanwhile. */
  drainAsync(now: number): void {
    const a = this.async;
    if (!a || this.finished) return;
    this.wrap(() => a.drain(now));
    this.output.flush();
    if (this.endDeferred && !a.hasPendingWork()) {
      this.endDeferred = false;
      this.finish();
      this.output.emitEnd?.();
    }
  }

  /** Async boundary at capacity (or with input waiting for a slot): do not feed it. */
  isBackpressured(): boolean {
    return this.async !== undefined && !this.finished && this.async.isBackpressured();
  }

  /** Async boundary with elements or watermarks not yet emitted. */
  hasAsyncWork(): boolean {
    return this.async !== undefined && !this.finished && (this.endDeferred || this.async.hasPendingWork());
  }

  /** Right before the operator state is snapshotted: async boundaries write their in-flight elements into it. */
  prepareSnapshot(): void {
    const a = this.async;
    if (a) this.wrap(() => a.snapshotInFlight());
  }

  receive(values: unknown[], timestamps: number[], input: number, channel = input, lent = false): void {
    if (this.aligner.isBlocked(channel)) {
      // Queued until the barrier aligns: by then a lent batch's arrays belong to someone else.
      const v = lent ? values.slice() : values;
      const t = lent ? timestamps.slice() : timestamps;
      this.aligner.enqueue(channel, () => this.receive(v, t, input, channel));
      return;
    }
    this.recordsIn += values.length;
    const op = this.operator;
    if (!lent) this.wrap(() => op.processBatch(values, timestamps, input));
    else if (op.processLentBatch !== undefined) this.wrap(() => op.processLentBatch?.(values, timestamps, input));
    else this.wrap(() => op.processBatch(values.slice(), timestamps.slice(), input));
    this.output.flush();
  }

  receiveWatermark(channel: number, watermark: number): void {
    if (this.aligner.isBlocked(channel)) {
      this.aligner.enqueue(channel, () => this.receiveWatermark(channel, watermark));
      return;
    }
    const w = this.watermarks.update(channel, watermark);
    if (w !== undefined) this.advance(w);
  }

  receiveIdle(channel: number, idle: boolean): void {
    if (this.aligner.isBlocked(channel)) {
      this.aligner.enqueue(channel, () => this.receiveIdle(channel, idle));
      return;
    }
    const w = this.watermarks.setIdle(channel, idle);
    if (w !== undefined) this.advance(w);
    if (this.watermarks.allIdle()) this.output.setIdle(true);
  }

  receiveBarrier(channel: number, barrier: Barrier): void {
    this.aligner.barrier(channel, barrier);
  }

  receiveEnd(channel: number): void {
    if (this.aligner.isBlocked(channel)) {
      this.aligner.enqueue(channel, () => this.receiveEnd(channel));
      return;
    }
    if (this.aligner.end(channel) && !this.finished) {
      if (this.async?.hasPendingWork()) {
        this.endDeferred = true;
        return;
      }
      this.finish();
      this.output.emitEnd?.();
    }
  }

  get hasFinished(): boolean {
    return this.finished;
  }

  private advance(w: number): void {
    this.wrap(() => {
      this.keyed?.advanceWatermark(w);
      this.operator.processWatermark(w);
    });
    this.output.flush();
  }

  advanceProcessingTime(now: number): void {
    if (!this.keyed || this.keyed.nextProcessingTime() > now) return;
    this.wrap(() => this.keyed?.advanceProcessingTime(now));
    this.output.flush();
  }

  nextProcessingTime(): number {
    return this.keyed ? this.keyed.nextProcessingTime() : Number.POSITIVE_INFINITY;
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.wrap(() => this.operator.finish?.());
    this.output.flush();
  }

  async close(): Promise<void> {
    this.wrap(() => this.operator.close?.());
    await this.keyed?.backend.close();
  }

  /** User code errors fail the job with the operator named. */
  private wrap(fn: () => void): void {
    this.keyed?.enter();
    try {
      timeBusy(this, fn);
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      throw new SluiceError('JOB_FAILED', `${this.info.name}[${this.info.subtaskIndex}]: ${msg}`, {
        cause: err,
        details: { operator: this.info.name, uid: this.info.uid, subtask: this.info.subtaskIndex },
      });
    }
  }
}
