// One subtask of a sink: an async boundary with a bounded number of writes in flight. The
// runner awaits `drainTo(limit)` after each source batch, so a slow sink slows the sources
// and memory stays bounded (design decision 4). In the worker-thread runtime it aligns
// barriers and pre-commits before letting post-barrier records through.
// May import: runtime/, sinks/.
import type { SinkWriter } from '../sinks/sink.js';
import type { Barrier, InputReceiver } from './channels.js';
import { BarrierAligner } from './barrier-aligner.js';
import { toSluiceError, type SluiceError } from '../../errors.js';
import { ChannelWatermarks } from './channels.js';
import { timeBusy } from './job-status.js';

export class SinkInstance implements InputReceiver {
  private readonly inflight: Promise<void>[] = [];
  failure: SluiceError | undefined;
  recordsIn = 0;
  ended = false;
  /** Status (job-status.ts): ms in `write` calls; ms the runtime waited for writes in flight (all, and at the in-flight limit only). */
  busyMs = 0;
  inFlightWaitMs = 0;
  blockingMs = 0;
  /** Event time of the newest record written and the wall time it was (sampled end-to-end latency). */
  lastTimestamp = Number.NEGATIVE_INFINITY;
  lastWriteAt = 0;
  /** The combined input watermark (sinks do nothing with it; the status shows it). */
  readonly watermarks: ChannelWatermarks;
  private readonly aligner: BarrierAligner;
  /** Worker runtime: receives the committable of each aligned barrier. */
  onPreCommitted: (sink: SinkInstance, barrier: Barrier, committable: unknown) => void = () => undefined;

  constructor(
    readonly uid: string,
    readonly subtaskIndex: number,
    readonly writer: SinkWriter<unknown>,
    channels: number,
  ) {
    this.watermarks = new ChannelWatermarks(channels);
    this.aligner = new BarrierAligner(
      channels,
      async (b) => {
        await this.drainTo(0);
        const c = this.writer.preCommit ? await this.writer.preCommit(b.id) : null;
        this.onPreCommitted(this, b, c);
      },
      (err) => (this.failure ??= toSluiceError(err, 'CHECKPOINT_FAILED')),
    );
  }

  receive(values: unknown[], timestamps: number[], _input: number, channel = 0, lent = false): void {
    // A sink may keep what it is given (asynchronous writes): a lent batch is copied.
    if (lent) {
      values = values.slice();
      timestamps = timestamps.slice();
    }
    if (this.aligner.isBlocked(channel)) {
      this.aligner.enqueue(channel, () => this.receive(values, timestamps, _input, channel));
      return;
    }
    const n = values.length;
    this.recordsIn += n;
    if (n > 0) {
      this.lastTimestamp = timestamps[n - 1] as number;
      this.lastWriteAt = Date.now();
    }
    let r: void | Promise<void>;
    try {
      r = timeBusy(this, () => this.writer.write(values, timestamps));
    } catch (err) {
      this.failure ??= toSluiceError(err, 'JOB_FAILED');
      return;
    }
    if (r instanceof Promise) {
      const p: Promise<void> = r.then(
        () => {
          this.forget(p);
        },
        (err: unknown) => {
          this.failure ??= toSluiceError(err, 'JOB_FAILED');
          this.forget(p);
        },
      );
      this.inflight.push(p);
    }
  }

  private forget(p: Promise<void>): void {
    const i = this.inflight.indexOf(p);
    if (i >= 0) void this.inflight.splice(i, 1);
  }

  receiveWatermark(channel: number, watermark: number): void {
    this.watermarks.update(channel, watermark);
  }

  receiveIdle(channel: number, idle: boolean): void {
    this.watermarks.setIdle(channel, idle);
  }

  receiveBarrier(channel: number, barrier: Barrier): void {
    this.aligner.barrier(channel, barrier);
  }

  receiveEnd(channel: number): void {
    if (this.aligner.isBlocked(channel)) {
      this.aligner.enqueue(channel, () => this.receiveEnd(channel));
      return;
    }
    if (this.aligner.end(channel)) this.ended = true;
  }

  get pending(): number {
    return this.inflight.length;
  }

  /** Waits until at most `limit` writes are in flight. */
  async drainTo(limit: number): Promise<void> {
    if (this.inflight.length > limit) {
      const t0 = performance.now();
      while (this.inflight.length > limit) await this.inflight[0];
      this.inFlightWaitMs += performance.now() - t0;
    }
    if (this.failure) throw this.failure;
  }
}
