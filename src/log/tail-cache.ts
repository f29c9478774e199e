// The in-memory tail of one partition: copies of the batches most recently appended, so a
// reader that is caught up (a Fetch long poll, an engine source polling the tail) is served
// without a file read through the thread pool. A file read of a few KiB costs ~20-50 µs of
// thread-pool round trip; a copy out of this cache costs well under one.
//
// Correctness rules (the partition upholds them, see partition.ts):
// - only bytes that were written successfully are added, in offset order, right after the
//   write; anything else (a skipped batch, an offset gap) restarts the cache;
// - every change that rewrites or removes data (truncation after a failed fsync, recovery,
//   compaction swaps, retention) clears the cache, so it never serves bytes the file no
//   longer holds;
// - the read API applies the same visibility limit (high watermark / LSO) as the file path.
// Reads return a fresh copy owned by the caller, so the slabs here are never shared and can
// be recycled; nothing outside this file ever sees a slab.
// Memory: at most `partitionBytes` per partition in fixed-size slabs (allocated as needed, so a
// partition with little traffic holds one), and a budget shared by
// every partition of a Log caps the total; a partition that needs a slab when the budget is
// spent takes the oldest slab of the partition that appended least recently.
// May import: ../errors.js.
import { SluiceError } from '../errors.js';

export interface TailCacheOptions {
  /** Bytes cached per partition (0 turns the cache off). Default 4 MiB. */
  partitionBytes?: number;
  /** Bytes cached by all partitions of a Log together. Default 64 MiB. */
  totalBytes?: number;
  /** Largest batch copied into the cache (larger ones are read from the file). Default 64 KiB. */
  maxBatchBytes?: number;
}

export const DEFAULT_TAIL_CACHE_PARTITION_BYTES = 4 * 1024 * 1024;
export const DEFAULT_TAIL_CACHE_TOTAL_BYTES = 64 * 1024 * 1024;
export const DEFAULT_TAIL_CACHE_MAX_BATCH_BYTES = 64 * 1024;
/** Slabs are partitionBytes/16 but at least 64 KiB: a partition that sees one small append holds one slab. */
const SLAB_FRACTION = 16;
const PREFERRED_MIN_SLAB_BYTES = 64 * 1024;
const MIN_SLAB_BYTES = 16 * 1024;

interface Slab {
  buf: Buffer;
  used: number;
  /** Per batch: base offset, last offset, start within buf (end = next start or used). */
  bases: Float64Array;
  lasts: Float64Array;
  starts: Float64Array;
  n: number;
}

/** The memory limit shared by the tail caches of one Log. */
export class TailCacheBudget {
  readonly partitionBytes: number;
  readonly totalBytes: number;
  readonly slabBytes: number;
  readonly slabsPerPartition: number;
  readonly maxBatchBytes: number;
  private used = 0;
  /** Caches by recency of their last append, least recent first (Map keeps insertion order). */
  private readonly lru = new Map<TailCache, true>();
  private newest: TailCache | undefined;

  constructor(options: TailCacheOptions = {}) {
    const partitionBytes = options.partitionBytes ?? DEFAULT_TAIL_CACHE_PARTITION_BYTES;
    const totalBytes = options.totalBytes ?? DEFAULT_TAIL_CACHE_TOTAL_BYTES;
    const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_TAIL_CACHE_MAX_BATCH_BYTES;
    for (const [name, v] of [['partitionBytes', partitionBytes], ['totalBytes', totalBytes], ['maxBatchBytes', maxBatchBytes]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new SluiceError('INVALID_CONFIG', `tail cache ${name} must be a non-negative whole number of bytes, got ${v}`);
    }
    this.partitionBytes = Math.min(partitionBytes, totalBytes);
    this.totalBytes = totalBytes;
    const slab = Math.min(this.partitionBytes, Math.max(Math.floor(this.partitionBytes / SLAB_FRACTION), PREFERRED_MIN_SLAB_BYTES));
    // Too small to hold anything useful: off.
    this.slabBytes = slab < MIN_SLAB_BYTES ? 0 : slab;
    this.slabsPerPartition = this.slabBytes === 0 ? 0 : Math.floor(this.partitionBytes / this.slabBytes);
    this.maxBatchBytes = Math.min(maxBatchBytes, this.slabBytes);
  }

  get enabled(): boolean {
    return this.slabBytes > 0;
  }

  /** Bytes held by all caches now (tests, metrics). */
  get usedBytes(): number {
    return this.used;
  }

  /** Reserves `bytes` for `cache`, evicting the least recently appended other caches' oldest slabs. */
  reserve(cache: TailCache, bytes: number): boolean {
    if (bytes > this.totalBytes) return false;
    while (this.used + bytes > this.totalBytes) {
      let victim: TailCache | undefined;
      for (const c of this.lru.keys()) {
        if (c !== cache && c.slabCount > 0) {
          victim = c;
          break;
        }
      }
      if (!victim) return false;
      victim.dropOldestSlab();
    }
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used -= bytes;
  }

  touch(cache: TailCache): void {
    if (this.newest === cache) return; // the common case: one partition appending in a row
    this.newest = cache;
    this.lru.delete(cache);
    this.lru.set(cache, true);
  }

  forget(cache: TailCache): void {
    if (this.newest === cache) this.newest = undefined;
    this.lru.delete(cache);
  }
}

export class TailCache {
  /** Slabs holding batches, oldest first, contiguous in offsets. */
  private slabs: Slab[] = [];
  /** Empty slabs kept (and still counted against the budget) after a reset, for reuse. */
  private spare: Slab[] = [];
  /** Offset after the last cached batch; -1 when empty. */
  private end = -1;

  constructor(private readonly budget: TailCacheBudget) {}

  /** Slabs this cache holds memory for (in use or spare). */
  get slabCount(): number {
    return this.slabs.length + this.spare.length;
  }

  /** Bytes of batch data held. */
  get bytes(): number {
    let n = 0;
    for (const s of this.slabs) n += s.used;
    return n;
  }

  /** Offset of the first cached batch, or undefined when empty. */
  get firstOffset(): number | undefined {
    const s = this.slabs[0];
    return s && s.n > 0 ? s.bases[0] : undefined;
  }

  /** Offset after the last cached batch, or undefined when empty. */
  get endOffset(): number | undefined {
    return this.end < 0 ? undefined : this.end;
  }

  /**
   * Records a copy of one batch just written (bytes `src[at, at+size)`, offsets
   * [base, last]). Batches must come in offset order without gaps. A batch larger than the
   * budget's maxBatchBytes is not copied (reading it from the file costs little next to its
   * size, and copying every large batch would tax the append path): the cache restarts
   * after it.
   */
  add(src: Buffer, at: number, size: number, base: number, last: number): void {
    const budget = this.budget;
    if (!budget.enabled) return;
    if (size > budget.maxBatchBytes) {
      this.reset();
      return;
    }
    if (this.end >= 0 && base !== this.end) this.reset();
    let slab = this.slabs[this.slabs.length - 1];
    if (!slab || slab.used + size > slab.buf.length) {
      slab = this.newSlab();
      if (!slab) return;
    }
    src.copy(slab.buf, slab.used, at, at + size);
    if (slab.n === slab.bases.length) growIndex(slab);
    slab.bases[slab.n] = base;
    slab.lasts[slab.n] = last;
    slab.starts[slab.n] = slab.used;
    slab.n++;
    slab.used += size;
    this.end = last + 1;
  }

  /** Marks this partition as recently appended to (once per write, not per batch). */
  touch(): void {
    if (this.slabCount > 0) this.budget.touch(this);
  }

  private newSlab(): Slab | undefined {
    const budget = this.budget;
    const spare = this.spare.pop();
    if (spare) {
      this.slabs.push(spare);
      return spare;
    }
    if (this.slabs.length < budget.slabsPerPartition && budget.reserve(this, budget.slabBytes)) {
      const slab: Slab = { buf: Buffer.allocUnsafe(budget.slabBytes), used: 0, bases: new Float64Array(64), lasts: new Float64Array(64), starts: new Float64Array(64), n: 0 };
      this.slabs.push(slab);
      budget.touch(this);
      return slab;
    }
    // Recycle the oldest slab; the one being filled is never the oldest unless it is alone.
    const oldest = this.slabs.shift();
    if (!oldest) return undefined;
    if (this.slabs.length === 0) this.end = -1;
    oldest.used = 0;
    oldest.n = 0;
    this.slabs.push(oldest);
    return oldest;
  }

  /** Frees a slab, a spare one first (the budget taking memory back for another partition). */
  dropOldestSlab(): void {
    const s = this.spare.pop() ?? this.slabs.shift();
    if (!s) return;
    this.budget.release(s.buf.length);
    if (this.slabs.length === 0) this.end = -1;
    if (this.slabCount === 0) this.budget.forget(this);
  }

  /** Empties the cache but keeps its slabs for reuse (a gap, a batch too large to cache). */
  reset(): void {
    for (const s of this.slabs) {
      s.used = 0;
      s.n = 0;
      this.spare.push(s);
    }
    this.slabs = [];
    this.end = -1;
  }

  /** Forgets everything (data rewritten or removed), returning memory to the budget. */
  clear(): void {
    for (const s of this.slabs) this.budget.release(s.buf.length);
    for (const s of this.spare) this.budget.release(s.buf.length);
    this.slabs = [];
    this.spare = [];
    this.end = -1;
    this.budget.forget(this);
  }

  /**
   * Whole batches from the one containing `offset` (or the first after it), none with a base
   * offset at or past `upper`, at least one and then no more than `maxBytes` in total.
   * undefined when `offset` is not covered (the caller reads the file). The bytes are a
   * fresh copy owned by the caller.
   */
  read(offset: number, maxBytes: number, upper: number): { records: Buffer; lastOffset: number } | undefined {
    const slabs = this.slabs;
    if (this.end < 0 || slabs.length === 0 || offset >= this.end) return undefined;
    const first = slabs[0]!;
    if (first.n === 0 || offset < first.bases[0]!) return undefined;
    // The slab holding `offset`: the last one whose first base is <= offset.
    let si = slabs.length - 1;
    while (si > 0 && (slabs[si]!.n === 0 || slabs[si]!.bases[0]! > offset)) si--;
    const slab0 = slabs[si]!;
    const bi = lastAtOrBefore(slab0.bases, slab0.n, offset);
    // A batch ending before `offset` means `offset` fell in a gap: start at the next batch.
    let b = bi < 0 ? 0 : slab0.lasts[bi]! < offset ? bi + 1 : bi;
    let s = si;
    if (b >= slab0.n) {
      s++;
      b = 0;
    }
    // First pass: how many bytes, and which batch is last.
    let total = 0;
    let lastOffset = -1;
    let endSlab = s;
    let endBatch = b;
    for (let k = s; k < slabs.length; k++) {
      const sl = slabs[k]!;
      let i = k === s ? b : 0;
      for (; i < sl.n; i++) {
        if (sl.bases[i]! >= upper) break;
        const size = (i + 1 < sl.n ? sl.starts[i + 1]! : sl.used) - sl.starts[i]!;
        if (total > 0 && total + size > maxBytes) break;
        total += size;
        lastOffset = sl.lasts[i]!;
      }
      endSlab = k;
      endBatch = i;
      if (i < sl.n) break;
    }
    if (total === 0) return { records: Buffer.alloc(0), lastOffset: -1 };
    // Its own ArrayBuffer (not a slice of Node's pool): the caller may even transfer it.
    const out = Buffer.allocUnsafeSlow(total);
    let pos = 0;
    for (let k = s; k <= endSlab && k < slabs.length; k++) {
      const sl = slabs[k]!;
      const from = k === s ? sl.starts[b]! : 0;
      const to = k === endSlab ? (endBatch < sl.n ? sl.starts[endBatch]! : sl.used) : sl.used;
      if (to > from) pos += sl.buf.copy(out, pos, from, to);
    }
    return { records: out, lastOffset };
  }
}

function lastAtOrBefore(a: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function growIndex(s: Slab): void {
  const grow = (a: Float64Array): Float64Array => {
    const b = new Float64Array(a.length * 2);
    b.set(a);
    return b;
  };
  s.bases = grow(s.bases);
  s.lasts = grow(s.lasts);
  s.starts = grow(s.starts);
}
