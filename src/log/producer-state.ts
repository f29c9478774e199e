// Per-partition state of idempotent and transactional producers, rebuilt from the log:
// - per producer id: epoch and the last 5 batches' sequence/offset ranges, so a retried batch
//   is answered with its original offsets and a gap or a stale epoch is refused;
// - open transactions (producer id -> first offset) giving the last stable offset;
// - the aborted-transaction index read_committed fetches return.
// Changes made while building a write group can be rolled back if the write fails.
// A producer id not written for producer.id.expiration.ms (Kafka's broker setting, one day by
// default) is forgotten unless it has a transaction open, as Kafka does: without it, every
// producer id ever used stays in memory and in every recovery point. The engine's
// exactly-once topic sink takes a new id per checkpoint, so that is thousands a day per sink.
// May import: ../errors.js, ../codec/record-batch.js (types).
import { SluiceError } from '../errors.js';
import type { BatchHeader } from '../codec/record-batch.js';

export const PRODUCER_BATCHES_KEPT = 5;
const MAX_SEQ = 2147483647;

export interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
}

export interface ProducerEntry {
  epoch: number;
  coordinatorEpoch: number;
  batches: BatchMeta[];
  /** When this producer last wrote here (the log's clock at append; at recovery, the time of recovery). */
  lastWriteMs: number;
}

/** Kafka's producer.id.expiration.ms default: one day. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 24 * 3600 * 1000;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  /** Offset of the abort marker. */
  lastOffset: number;
}

export interface ProducerStateSnapshot {
  // pid, epoch, coordinatorEpoch, flattened batches, last write (absent in recovery points written before expiry existed)
  producers: [number, number, number, number[], number?][];
  ongoing: [number, number][];
  aborted: [number, number, number][];
}

function lastSeqOf(h: BatchHeader): number {
  const s = h.baseSequence + h.lastOffsetDelta;
  return s > MAX_SEQ ? s - MAX_SEQ - 1 : s;
}

function nextSeq(seq: number): number {
  return seq === MAX_SEQ ? 0 : seq + 1;
}

type Undo = () => void;

export class ProducerState {
  readonly producers = new Map<number, ProducerEntry>();
  /** Open transactions: producer id -> offset of its first transactional batch here. */
  readonly ongoing = new Map<number, number>();
  /** Sorted by lastOffset (markers are appended in offset order). */
  aborted: AbortedTxn[] = [];
  private undo: Undo[] | undefined;

  /** Starts recording changes so rollback() can revert them. */
  begin(): void {
    this.undo = [];
  }

  /** A point to roll back to (for one refused append inside a group). */
  mark(): number {
    return this.undo?.length ?? 0;
  }

  commit(): void {
    this.undo = undefined;
  }

  /** Reverts changes recorded after `mark` (default: all since begin). */
  rollback(mark = 0): void {
    const u = this.undo ?? [];
    for (let i = u.length - 1; i >= mark; i--) u[i]!();
    u.length = Math.min(u.length, mark);
  }

  private touch(pid: number): ProducerEntry | undefined {
    const cur = this.producers.get(pid);
    if (this.undo) {
      const saved = cur ? { ...cur, batches: cur.batches.slice() } : undefined;
      this.undo.push(() => {
        if (saved) this.producers.set(pid, saved);
        else this.producers.delete(pid);
      });
    }
    return cur;
  }

  /**
   * For an idempotent data batch: undefined = new data, append it; a BatchMeta = a retry of
   * that earlier batch (answer with its offsets). Throws PRODUCER_FENCED / OUT_OF_ORDER_SEQUENCE.
   */
  check(h: BatchHeader): BatchMeta | undefined {
    if (h.producerId < 0) return undefined;
    const e = this.producers.get(h.producerId);
    if (!e) return undefined;
    if (h.producerEpoch < e.epoch) {
      throw new SluiceError('PRODUCER_FENCED', `producer ${h.producerId} epoch ${h.producerEpoch} is older than the current epoch ${e.epoch}`, {
        details: { producerId: h.producerId, epoch: h.producerEpoch, currentEpoch: e.epoch },
      });
    }
    if (h.producerEpoch > e.epoch || e.batches.length === 0) {
      if (h.producerEpoch > e.epoch && h.baseSequence !== 0) {
        throw new SluiceError('OUT_OF_ORDER_SEQUENCE', `producer ${h.producerId} started epoch ${h.producerEpoch} at sequence ${h.baseSequence}, expected 0`, {
          details: { producerId: h.producerId, sequence: h.baseSequence, expected: 0 },
        });
      }
      return undefined;
    }
    const last = lastSeqOf(h);
    for (const b of e.batches) if (b.firstSeq === h.baseSequence && b.lastSeq === last) return b;
    const expected = nextSeq(e.batches[e.batches.length - 1]!.lastSeq);
    if (h.baseSequence !== expected) {
      throw new SluiceError('OUT_OF_ORDER_SEQUENCE', `producer ${h.producerId} sent sequence ${h.baseSequence}, expected ${expected}`, {
        details: { producerId: h.producerId, sequence: h.baseSequence, expected },
      });
    }
    return undefined;
  }

  /** Records a data batch now at [firstOffset, lastOffset], written at `nowMs`. */
  apply(h: BatchHeader, firstOffset: number, lastOffset: number, nowMs: number): void {
    if (h.producerId < 0) return;
    const pid = h.producerId;
    const cur = this.touch(pid);
    const e: ProducerEntry =
      cur && cur.epoch === h.producerEpoch
        ? { ...cur, batches: cur.batches.slice(), lastWriteMs: nowMs }
        : { epoch: h.producerEpoch, coordinatorEpoch: cur?.coordinatorEpoch ?? -1, batches: [], lastWriteMs: nowMs };
    e.batches.push({ firstSeq: h.baseSequence, lastSeq: lastSeqOf(h), firstOffset, lastOffset });
    if (e.batches.length > PRODUCER_BATCHES_KEPT) e.batches.shift();
    this.producers.set(pid, e);
    if (h.isTransactional && !this.ongoing.has(pid)) {
      this.ongoing.set(pid, firstOffset);
      this.undo?.push(() => this.ongoing.delete(pid));
    }
  }

  checkMarker(producerId: number, producerEpoch: number): void {
    const e = this.producers.get(producerId);
    if (e && producerEpoch < e.epoch) {
      throw new SluiceError('PRODUCER_FENCED', `transaction marker for producer ${producerId} has epoch ${producerEpoch}, older than ${e.epoch}`, {
        details: { producerId, epoch: producerEpoch, currentEpoch: e.epoch },
      });
    }
  }

  /** Records a commit/abort marker at `offset`, written at `nowMs`, closing the producer's open transaction. */
  applyMarker(producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number, offset: number, nowMs: number): void {
    const cur = this.touch(producerId);
    const batches = cur && cur.epoch === producerEpoch ? cur.batches.slice() : [];
    this.producers.set(producerId, { epoch: Math.max(producerEpoch, cur?.epoch ?? -1), coordinatorEpoch, batches, lastWriteMs: nowMs });
    const first = this.ongoing.get(producerId);
    if (first === undefined) return;
    this.ongoing.delete(producerId);
    this.undo?.push(() => this.ongoing.set(producerId, first));
    if (!commit) {
      this.aborted.push({ producerId, firstOffset: first, lastOffset: offset });
      this.undo?.push(() => this.aborted.pop());
    }
  }

  /**
   * Forgets producers that wrote nothing for `expirationMs` and have no transaction open;
   * returns how many. A forgotten producer's next batch is taken as new data (no duplicate
   * check, no fencing of an older epoch), as Kafka takes an expired producer id.
   */
  expire(nowMs: number, expirationMs: number): number {
    let n = 0;
    for (const [pid, e] of this.producers) {
      if (nowMs - e.lastWriteMs < expirationMs || this.ongoing.has(pid)) continue;
      this.producers.delete(pid);
      n++;
    }
    return n;
  }

  /** First offset of the earliest open transaction, or undefined. */
  firstUnstableOffset(): number | undefined {
    let min: number | undefined;
    for (const o of this.ongoing.values()) if (min === undefined || o < min) min = o;
    return min;
  }

  /** Aborted transactions overlapping [from, to). */
  abortedIn(from: number, to: number): { producerId: number; firstOffset: number }[] {
    const out: { producerId: number; firstOffset: number }[] = [];
    // Binary search the first marker at or after `from`: earlier ones cannot overlap.
    let lo = 0;
    let hi = this.aborted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.aborted[mid]!.lastOffset < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.aborted.length; i++) {
      const a = this.aborted[i]!;
      if (a.firstOffset < to) out.push({ producerId: a.producerId, firstOffset: a.firstOffset });
    }
    return out;
  }

  /**
   * Forgets aborted transactions whose marker (in [from, to)) compaction removed: with neither
   * their records nor their marker left, a read_committed reader must not be told to skip
   * the producer's later batches. Returns how many were forgotten.
   */
  forgetAborted(from: number, to: number, keptMarkers: ReadonlySet<number>): number {
    const before = this.aborted.length;
    this.aborted = this.aborted.filter((a) => a.lastOffset < from || a.lastOffset >= to || keptMarkers.has(a.lastOffset));
    return before - this.aborted.length;
  }

  /** Forgets aborted transactions wholly before the log start. */
  pruneBefore(logStartOffset: number): void {
    let i = 0;
    while (i < this.aborted.length && this.aborted[i]!.lastOffset < logStartOffset) i++;
    if (i > 0) this.aborted = this.aborted.slice(i);
  }

  snapshot(): ProducerStateSnapshot {
    return {
      producers: [...this.producers].map(([pid, e]) => [pid, e.epoch, e.coordinatorEpoch, e.batches.flatMap((b) => [b.firstSeq, b.lastSeq, b.firstOffset, b.lastOffset]), e.lastWriteMs]),
      ongoing: [...this.ongoing],
      aborted: this.aborted.map((a) => [a.producerId, a.firstOffset, a.lastOffset]),
    };
  }

  /** `nowMs` stands in for a last write the snapshot does not have (an older recovery point): expiry only starts then. */
  static restore(s: ProducerStateSnapshot, nowMs: number): ProducerState {
    const st = new ProducerState();
    for (const [pid, epoch, coordinatorEpoch, flat, lastWriteMs] of s.producers) {
      const batches: BatchMeta[] = [];
      for (let i = 0; i + 3 < flat.length; i += 4) batches.push({ firstSeq: flat[i]!, lastSeq: flat[i + 1]!, firstOffset: flat[i + 2]!, lastOffset: flat[i + 3]! });
      st.producers.set(pid, { epoch, coordinatorEpoch, batches, lastWriteMs: typeof lastWriteMs === 'number' && Number.isFinite(lastWriteMs) ? lastWriteMs : nowMs });
    }
    for (const [pid, off] of s.ongoing) st.ongoing.set(pid, off);
    st.aborted = s.aborted.map(([producerId, firstOffset, lastOffset]) => ({ producerId, firstOffset, lastOffset }));
    return st;
  }
}
