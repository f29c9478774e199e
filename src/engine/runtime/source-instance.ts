// One subtask of a source: pulls batches from its reader, stamps event times, tracks the
// watermark per source partition (minimum over active partitions) and remembers the position
// of every partition after the last batch it pushed downstream — that, not the reader's own
// read-ahead, is what a checkpoint stores.
// May import: runtime/, sources/, time/, graph/.
import type { SourceNode } from '../graph/stream-graph.js';
import type { SourceBatch, SourceReader } from '../sources/source.js';
import type { Clock } from '../time/clock.js';
import type { RouterOutput } from './router-output.js';
import type { Barrier } from './channels.js';
import { PartitionWatermarks } from '../time/partition-watermarks.js';
import { MAX_WATERMARK } from '../time/watermark.js';
import { toSluiceError } from '../../errors.js';
import { timeBusy } from './job-status.js';

export class SourceInstance {
  readonly positions: Record<string, unknown>;
  private readonly wm: PartitionWatermarks | undefined;
  ended = false;
  recordsOut = 0;
  /** Status: ms stamping timestamps and watermarks (downstream subtasks excluded). */
  busyMs = 0;
  private idle = false;
  /** Positions stored in checkpoints not completed yet, by id (only for readers that want completions). */
  private readonly inCheckpoints = new Map<number, Record<string, unknown>>();

  constructor(
    readonly node: SourceNode,
    readonly subtaskIndex: number,
    readonly reader: SourceReader<unknown>,
    readonly output: RouterOutput<unknown>,
    clock: Clock,
    restored: Readonly<Record<string, unknown>> | undefined,
  ) {
    this.positions = {};
    const mine = reader.partitions();
    if (restored) for (const p of mine) if (p in restored) this.positions[p] = restored[p];
    if (node.watermarks) {
      this.wm = new PartitionWatermarks(node.watermarks, () => clock.now());
      for (const p of mine) this.wm.addPartition(p);
    }
  }

  /** Announces idleness at once when this subtask owns no partition. */
  start(): void {
    if (this.reader.partitions().length === 0) this.setIdle(true);
  }

  push(batch: SourceBatch<unknown>): void {
    timeBusy(this, () => this.pushBatch(batch));
  }

  /** Max event-time lead over the slowest aligned source subtask (watermark alignment); undefined: not aligned. */
  get alignmentMs(): number | undefined {
    return this.node.watermarks?.alignmentMs;
  }

  /** Marked idle: owns no partition, or every partition was silent past the idle timeout. */
  get isIdle(): boolean {
    return this.idle;
  }

  /** The watermark emitted so far (-Infinity before the first; the end of input emits the maximum). */
  get watermark(): number {
    if (this.ended) return MAX_WATERMARK;
    return this.wm ? this.wm.current() : Number.NEGATIVE_INFINITY;
  }

  private pushBatch(batch: SourceBatch<unknown>): void {
    const n = batch.values.length;
    this.positions[batch.partition] = batch.position;
    if (n === 0) return;
    if (this.idle) this.setIdle(false);
    const out = this.output;
    const values = batch.values;
    const ts = batch.timestamps;
    const tsOf = this.node.timestampOf;
    if (tsOf) {
      // In place: the batch's arrays belong to the engine once polled (see SourceBatch).
      try {
        for (let i = 0; i < n; i++) ts[i] = tsOf(values[i], ts[i] as number);
      } catch (err) {
        throw toSluiceError(err, 'JOB_FAILED');
      }
    }
    // Read before the batch goes on: its receiver owns the arrays and may rewrite them.
    this.wm?.onBatch(batch.partition, ts);
    // The batch goes downstream whole (a source hands its arrays over, see SourceBatch).
    out.collectBatch(values, ts);
    out.flush();
    this.recordsOut += n;
    if (this.wm) {
      const w = this.wm.advance();
      if (w !== undefined) out.emitWatermark(w);
    }
  }

  /** Periodic: partitions silent past the idle timeout stop holding the watermark back. */
  checkIdleness(): void {
    if (!this.wm || this.ended) return;
    this.wm.checkIdleness();
    const w = this.wm.advance();
    if (w !== undefined) this.output.emitWatermark(w);
    if (this.wm.isIdle() && !this.idle) this.setIdle(true);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.output.flush();
    this.output.emitWatermark(MAX_WATERMARK);
    this.output.emitEnd();
  }

  /** Worker runtime: the position now is this subtask's part of checkpoint `barrier`; then the barrier flows downstream. */
  emitBarrier(barrier: Barrier): Record<string, unknown> {
    const positions = this.snapshotPositions(barrier.id);
    this.output.emitBarrier(barrier);
    return positions;
  }

  /**
   * A copy of the positions now, as this subtask's part of checkpoint `id`; kept until the
   * checkpoint completes when the reader wants to hear of it (notifyCheckpointComplete).
   */
  snapshotPositions(id: number): Record<string, unknown> {
    const positions = { ...this.positions };
    if (this.reader.notifyCheckpointComplete) this.inCheckpoints.set(id, positions);
    return positions;
  }

  /** Checkpoint `id` is durable: the reader hears of it with the positions stored in it. */
  async notifyCheckpointComplete(id: number): Promise<void> {
    const positions = this.inCheckpoints.get(id);
    // Older entries belong to checkpoints that failed (or are subsumed by this one).
    for (const k of this.inCheckpoints.keys()) if (k <= id) this.inCheckpoints.delete(k);
    if (positions) await this.reader.notifyCheckpointComplete?.(id, positions);
  }

  private setIdle(idle: boolean): void {
    this.idle = idle;
    this.output.setIdle(idle);
  }
}
