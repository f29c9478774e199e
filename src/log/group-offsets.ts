// Committed consumer-group offsets, durable in the internal compacted topic
// `__consumer_offsets` (one partition) and mirrored in memory. A commit is one sync append
// of one batch (one record per partition); the map changes only after it is durable.
// Rebuilt on open by reading the topic from its start (later records win; null = tombstone).
// May import: ./partition.js, ../codec/*, ../errors.js.
import { SluiceError } from '../errors.js';
import { ByteReader } from '../codec/byte-reader.js';
import { ByteWriter } from '../codec/byte-writer.js';
import { decodeBatches } from '../codec/record-batch.js';
import type { Partition } from './partition.js';

export const GROUP_OFFSETS_TOPIC = '__consumer_offsets';

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

export interface GroupOffsetStore {
  commit(group: string, offsets: { topic: string; partition: number; offset: number; leaderEpoch?: number; metadata?: string | null }[]): Promise<void>;
  fetch(group: string): Map<string, Map<number, CommittedOffset>>;
  groups(): string[];
  deleteGroup(group: string): Promise<void>;
}

function writeString(w: ByteWriter, s: string | null): void {
  if (s === null) {
    w.int16(-1);
    return;
  }
  const b = Buffer.from(s, 'utf8');
  w.int16(b.length);
  w.bytes(b);
}

function readString(r: ByteReader): string | null {
  const n = r.int16();
  return n < 0 ? null : r.utf8(n);
}

function encodeKey(group: string, topic: string, partition: number): Buffer {
  const w = new ByteWriter(64);
  w.int16(1);
  writeString(w, group);
  writeString(w, topic);
  w.int32(partition);
  return Buffer.from(w.finish());
}

function encodeValue(v: CommittedOffset, now: number): Buffer {
  const w = new ByteWriter(64);
  w.int16(0);
  w.int64(v.offset);
  w.int32(v.leaderEpoch);
  writeString(w, v.metadata);
  w.int64(now);
  return Buffer.from(w.finish());
}

export class DurableGroupOffsetStore implements GroupOffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, CommittedOffset>>>();

  private constructor(
    private readonly partition: Partition,
    private readonly clock: () => number,
  ) {}

  static async load(partition: Partition, clock: () => number): Promise<DurableGroupOffsetStore> {
    const store = new DurableGroupOffsetStore(partition, clock);
    let offset = partition.logStartOffset;
    while (offset < partition.highWatermark) {
      const { records } = await partition.read(offset, { maxBytes: 1 << 20 });
      if (records.length === 0) break;
      for (const { header, records: recs } of decodeBatches(records)) {
        if (!header.isControl) for (const r of recs) store.applyRecord(r.key, r.value);
        offset = header.baseOffset + header.lastOffsetDelta + 1;
      }
    }
    return store;
  }

  private applyRecord(key: Buffer | null, value: Buffer | null): void {
    if (!key) return;
    try {
      const kr = new ByteReader(key);
      if (kr.int16() !== 1) return;
      const group = readString(kr) ?? '';
      const topic = readString(kr) ?? '';
      const partition = kr.int32();
      if (value === null) {
        const g = this.byGroup.get(group);
        g?.get(topic)?.delete(partition);
        if (g?.get(topic)?.size === 0) g.delete(topic);
        if (g?.size === 0) this.byGroup.delete(group);
        return;
      }
      const vr = new ByteReader(value);
      vr.int16();
      const v: CommittedOffset = { offset: vr.int64(), leaderEpoch: vr.int32(), metadata: readString(vr) };
      this.set(group, topic, partition, v);
    } catch {
      // A record this version cannot read (e.g. from a newer Sluice) is skipped, not fatal.
    }
  }

  private set(group: string, topic: string, partition: number, v: CommittedOffset): void {
    let g = this.byGroup.get(group);
    if (!g) this.byGroup.set(group, (g = new Map()));
    let t = g.get(topic);
    if (!t) g.set(topic, (t = new Map()));
    t.set(partition, v);
  }

  async commit(group: string, offsets: { topic: string; partition: number; offset: number; leaderEpoch?: number; metadata?: string | null }[]): Promise<void> {
    if (typeof group !== 'string' || group.length === 0) throw new SluiceError('INVALID_ARGUMENT', 'group id must be a non-empty string');
    if (offsets.length === 0) return;
    const now = this.clock();
    const values: CommittedOffset[] = [];
    const records = offsets.map((o) => {
      if (typeof o.topic !== 'string' || !Number.isSafeInteger(o.partition) || o.partition < 0 || !Number.isSafeInteger(o.offset) || o.offset < -1) {
        throw new SluiceError('INVALID_ARGUMENT', `bad offset commit for group ${group}: ${JSON.stringify(o)}`, { details: { group } });
      }
      const v: CommittedOffset = { offset: o.offset, leaderEpoch: o.leaderEpoch ?? -1, metadata: o.metadata ?? null };
      values.push(v);
      return { key: encodeKey(group, o.topic, o.partition), value: encodeValue(v, now), timestamp: now };
    });
    await this.partition.appendRecords(records, { sync: true });
    offsets.forEach((o, i) => this.set(group, o.topic, o.partition, values[i]!));
  }

  fetch(group: string): Map<string, Map<number, CommittedOffset>> {
    const g = this.byGroup.get(group);
    const out = new Map<string, Map<number, CommittedOffset>>();
    if (g) for (const [t, parts] of g) out.set(t, new Map([...parts].map(([p, v]) => [p, { ...v }])));
    return out;
  }

  groups(): string[] {
    return [...this.byGroup.keys()].sort();
  }

  async deleteGroup(group: string): Promise<void> {
    const g = this.byGroup.get(group);
    if (!g) return;
    const records = [];
    for (const [topic, parts] of g) for (const p of parts.keys()) records.push({ key: encodeKey(group, topic, p), value: null });
    if (records.length > 0) await this.partition.appendRecords(records, { sync: true });
    this.byGroup.delete(group);
  }
}
