// The Output every node instance writes to: buffers records (main and per side tag) and, on
// flush, hands them as whole batches to the downstream instances of each outgoing edge,
// split by key group for hash edges. Watermarks and idleness go to every downstream channel.
// Buffers are handed over (not reused) at each flush: a receiver owns the arrays it gets and
// may keep or rewrite them, so a batch bound for several receivers is lent to all but the
// last (each copies what it keeps or rewrites), and handed over to the last.
// May import: runtime/, graph/, operators/operator.ts, api/output-tag.ts, state/key-group.ts.
import type { OutputTag } from '../api/output-tag.js';
import type { KeySelector, Partitioning } from '../graph/stream-graph.js';
import type { Output } from '../operators/operator.js';
import { keyGroupFor, subtaskForKeyGroup } from '../state/key-group.js';
import type { Barrier, InputReceiver } from './channels.js';

/** One outgoing edge as seen from one upstream subtask. */
export interface EdgeTarget {
  readonly partitioning: Partitioning;
  readonly input: number;
  readonly keySelector: KeySelector | undefined;
  /** Downstream instances by subtask index (forward edges: only our own index is used). */
  readonly targets: readonly InputReceiver[];
  /** The channel number this upstream subtask has at every target. */
  readonly channel: number;
  /** Subtask index of the upstream (for forward edges). */
  readonly subtask: number;
  readonly maxParallelism: number;
}

/**
 * Records collected since the last flush. The arrays are allocated at the size the previous
 * flush had (capped at the batch size) and written by index, so a batch does not grow its
 * arrays from empty by repeated doubling; `n` counts the records, the arrays are cut to `n`
 * when handed on. Each flush hands the arrays over and starts fresh ones: a receiver may keep
 * what it got (sinks writing asynchronously, barrier alignment queues).
 */
class Buffer2 {
  values: unknown[];
  timestamps: number[];
  n = 0;
  constructor(capacity: number) {
    this.values = new Array<unknown>(capacity);
    this.timestamps = new Array<number>(capacity);
  }
  /** The collected records as exactly-sized arrays; the buffer starts over sized like this batch. */
  take(maxBatch: number): [unknown[], number[]] {
    const n = this.n;
    const v = this.values;
    const t = this.timestamps;
    if (v.length !== n) v.length = n;
    if (t.length !== n) t.length = n;
    const next = n < 16 ? 16 : n > maxBatch ? maxBatch : n;
    this.values = new Array<unknown>(next);
    this.timestamps = new Array<number>(next);
    this.n = 0;
    return [v, t];
  }
}

export class RouterOutput<T> implements Output<T> {
  private readonly main: Buffer2;
  private readonly sides = new Map<string, Buffer2>();
  private rr = 0;
  /** Scratch for hash edges: the target subtask of each record of the batch being routed. */
  private route = new Int32Array(0);
  /** Records dropped because no edge consumes their side output. */
  droppedSide = 0;
  /** Records handed downstream (main and side outputs), counted per flushed batch. */
  recordsOut = 0;
  private idle = false;

  constructor(
    private readonly mainEdges: readonly EdgeTarget[],
    private readonly sideEdges: ReadonlyMap<string, readonly EdgeTarget[]>,
    private readonly maxBatch: number,
  ) {
    this.main = new Buffer2(Math.min(maxBatch, 16));
  }

  collect(value: T, timestamp: number): void {
    const b = this.main;
    const i = b.n++;
    b.values[i] = value;
    b.timestamps[i] = timestamp;
    if (i + 1 >= this.maxBatch) this.flushMain();
  }

  /**
   * Hands a whole batch on as it is (no copy) when nothing is pending; the receivers own the
   * arrays from then on, so the caller must not touch them again. Used by sources, whose
   * batches arrive whole, and by operators that rewrote their input batch in place.
   */
  collectBatch(values: unknown[], timestamps: number[]): void {
    const n = values.length;
    if (n === 0) return;
    if (this.main.n > 0 || n > this.maxBatch) {
      for (let i = 0; i < n; i++) this.collect(values[i] as T, timestamps[i] as number);
      return;
    }
    if (this.idle) this.setIdle(false);
    this.recordsOut += n;
    this.deliverAll(this.mainEdges, values, timestamps);
  }

  collectSide<S>(tag: OutputTag<S>, value: S, timestamp: number): void {
    if (!this.sideEdges.has(tag.id)) {
      this.droppedSide++;
      return;
    }
    let b = this.sides.get(tag.id);
    if (!b) this.sides.set(tag.id, (b = new Buffer2(16)));
    const i = b.n++;
    b.values[i] = value;
    b.timestamps[i] = timestamp;
    if (i + 1 >= this.maxBatch) this.flushSide(tag.id, b);
  }

  emitWatermark(watermark: number): void {
    this.flush();
    this.setIdle(false);
    for (const e of this.mainEdges) this.watermarkTo(e, watermark);
    for (const edges of this.sideEdges.values()) for (const e of edges) this.watermarkTo(e, watermark);
  }

  /** Marks this producer idle (or active again) at every downstream channel. */
  setIdle(idle: boolean): void {
    if (idle === this.idle) return;
    this.idle = idle;
    this.eachTarget((t, ch) => t.receiveIdle(ch, idle));
  }

  /** Flushes, then sends the barrier on every outgoing channel. */
  emitBarrier(barrier: Barrier): void {
    this.flush();
    this.eachTarget((t, ch) => t.receiveBarrier(ch, barrier));
  }

  /** Flushes, then tells every downstream channel that nothing more will come. */
  emitEnd(): void {
    this.flush();
    this.eachTarget((t, ch) => t.receiveEnd(ch));
  }

  private eachTarget(fn: (t: InputReceiver, channel: number) => void): void {
    const each = (e: EdgeTarget): void => {
      if (e.partitioning === 'forward') fn(e.targets[e.subtask] as InputReceiver, e.channel);
      else for (const t of e.targets) fn(t, e.channel);
    };
    for (const e of this.mainEdges) each(e);
    for (const edges of this.sideEdges.values()) for (const e of edges) each(e);
  }

  flush(): void {
    if (this.main.n > 0) this.flushMain();
    if (this.sides.size > 0) for (const [tag, b] of this.sides) if (b.n > 0) this.flushSide(tag, b);
  }

  private flushMain(): void {
    const [values, timestamps] = this.main.take(this.maxBatch);
    if (this.idle) this.setIdle(false);
    this.recordsOut += values.length;
    this.deliverAll(this.mainEdges, values, timestamps);
  }

  private flushSide(tag: string, b: Buffer2): void {
    const [values, timestamps] = b.take(this.maxBatch);
    if (this.idle) this.setIdle(false);
    this.recordsOut += values.length;
    this.deliverAll(this.sideEdges.get(tag) ?? [], values, timestamps);
  }

  private watermarkTo(e: EdgeTarget, watermark: number): void {
    if (e.partitioning === 'forward') (e.targets[e.subtask] as InputReceiver).receiveWatermark(e.channel, watermark);
    else for (const t of e.targets) t.receiveWatermark(e.channel, watermark);
  }

  /**
   * Delivers one batch on every edge. A receiver may rewrite what it owns, so only the last
   * edge gets the arrays to keep; the others borrow them first, each before they were handed
   * over (receivers run synchronously; one that queues a batch copies it).
   */
  private deliverAll(edges: readonly EdgeTarget[], values: unknown[], timestamps: number[]): void {
    const last = edges.length - 1;
    for (let k = 0; k <= last; k++) this.deliver(edges[k] as EdgeTarget, values, timestamps, k === last);
  }

  /** `handOver`: the arrays may go to one receiver to keep; otherwise each receiver borrows them. */
  private deliver(e: EdgeTarget, values: unknown[], timestamps: number[], handOver: boolean): void {
    const n = e.targets.length;
    switch (e.partitioning) {
      case 'forward':
        handTo(e.targets[e.subtask] as InputReceiver, e, values, timestamps, handOver);
        return;
      case 'broadcast':
        for (let s = 0; s < n; s++) handTo(e.targets[s] as InputReceiver, e, values, timestamps, handOver && s === n - 1);
        return;
      case 'rebalance':
        handTo(e.targets[this.rr++ % n] as InputReceiver, e, values, timestamps, handOver);
        return;
      case 'hash': {
        if (n === 1) {
          handTo(e.targets[0] as InputReceiver, e, values, timestamps, handOver);
          return;
        }
        // Two passes: each record's subtask into a reused scratch array, then exactly sized
        // arrays per subtask (no array grown record by record).
        const ks = e.keySelector as KeySelector;
        const len = values.length;
        if (this.route.length < len) this.route = new Int32Array(Math.max(len, this.maxBatch));
        const route = this.route;
        const counts = new Int32Array(n);
        for (let i = 0; i < len; i++) {
          const s = subtaskForKeyGroup(keyGroupFor(ks(values[i]), e.maxParallelism), n, e.maxParallelism);
          route[i] = s;
          counts[s] = (counts[s] as number) + 1;
        }
        const bv: unknown[][] = [];
        const bt: number[][] = [];
        for (let s = 0; s < n; s++) {
          bv.push(new Array<unknown>(counts[s] as number));
          bt.push(new Array<number>(counts[s] as number));
        }
        const at = new Int32Array(n);
        for (let i = 0; i < len; i++) {
          const s = route[i] as number;
          const j = at[s] as number;
          at[s] = j + 1;
          (bv[s] as unknown[])[j] = values[i];
          (bt[s] as number[])[j] = timestamps[i] as number;
        }
        for (let s = 0; s < n; s++) if ((bv[s] as unknown[]).length > 0) (e.targets[s] as InputReceiver).receive(bv[s] as unknown[], bt[s] as number[], e.input, e.channel);
        return;
      }
    }
  }
}

/** One receiver's batch: handed over to keep, or lent for the call. */
function handTo(target: InputReceiver, e: EdgeTarget, values: unknown[], timestamps: number[], handOver: boolean): void {
  target.receive(values, timestamps, e.input, e.channel, !handOver);
}
