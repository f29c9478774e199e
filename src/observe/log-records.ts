// Reads plain records back out of a log partition for the HTTP API (peek at the latest
// records) and for result views that tail topics: control batches are skipped, and under
// read_committed so are records of aborted transactions (exactly-once sinks write in
// transactions). Not a hot path: it decodes whole batches.
// May import: log/ (types), codec/record-batch.ts, errors.
import type { Partition } from '../log/partition.js';
import { decodeBatches } from '../codec/record-batch.js';

export interface PlainRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly { key: string; value: Buffer | null }[];
}

export interface ReadRecordsOptions {
  readonly isolation?: 'read_committed' | 'read_uncommitted';
  /** Stop after this many records (default 10 000). */
  readonly limit?: number;
  /** Bytes per read (default 1 MiB). */
  readonly maxBytes?: number;
}

/** Records from `from` up to the visible end (or `limit`), and the offset to continue from. */
export async function readRecords(partition: Partition, from: number, options: ReadRecordsOptions = {}): Promise<{ records: PlainRecord[]; next: number }> {
  const isolation = options.isolation ?? 'read_committed';
  const limit = options.limit ?? 10_000;
  const records: PlainRecord[] = [];
  let at = Math.max(from, partition.logStartOffset);
  for (;;) {
    const end = isolation === 'read_committed' ? partition.lastStableOffset : partition.highWatermark;
    if (at >= end || records.length >= limit) break;
    const res = await partition.read(at, { maxBytes: options.maxBytes ?? 1 << 20, isolation });
    const aborted = [...res.abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
    const active = new Set<number>();
    let ai = 0;
    const before = at;
    outer: for (const batch of decodeBatches(res.records)) {
      const h = batch.header;
      const last = h.baseOffset + h.lastOffsetDelta;
      while (ai < aborted.length && aborted[ai]!.firstOffset <= last) active.add(aborted[ai++]!.producerId);
      if (h.isControl) {
        active.delete(h.producerId);
        if (last >= at) at = last + 1;
        continue;
      }
      const skip = h.isTransactional && active.has(h.producerId);
      for (const r of batch.records) {
        if (r.offset < at) continue;
        if (r.offset >= end || records.length >= limit) break outer;
        at = r.offset + 1;
        if (!skip) records.push({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers });
      }
      if (skip && last >= at) at = last + 1;
    }
    if (at === before) break;
  }
  return { records, next: at };
}
