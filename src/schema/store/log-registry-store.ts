// The registry's durable store: entries as records of the compacted topic `_schemas` in the
// Sluice log (key = the entry's key, value = its JSON or null for a tombstone), appended with
// fsync before the registry applies them, and read back from the start on open. Compaction
// keeps the latest record per key, which is all the registry needs to rebuild its state.
import { SluiceError } from '../../errors.js';
import { decodeBatches } from '../../codec/record-batch.js';
import { Log } from '../../log/log.js';
import type { RegistryStore, StoredEntry } from './registry-store.js';

export const SCHEMAS_TOPIC = '_schemas';
const READ_CHUNK = 4 * 1024 * 1024;

export interface LogRegistryStoreOptions {
  /** An open log to share (e.g. the broker's); the store does not close it. */
  log?: Log;
  /** Or a data directory: the store opens its own log there and closes it on close(). */
  dataDir?: string;
  topic?: string;
}

export class LogRegistryStore implements RegistryStore {
  private constructor(
    private readonly log: Log,
    private readonly topic: string,
    private readonly ownsLog: boolean,
  ) {}

  static async open(options: LogRegistryStoreOptions): Promise<LogRegistryStore> {
    const topic = options.topic ?? SCHEMAS_TOPIC;
    let log = options.log;
    const owns = log === undefined;
    if (!log) {
      if (options.dataDir === undefined) throw new SluiceError('INVALID_ARGUMENT', 'LogRegistryStore needs a log or a dataDir');
      log = await Log.open({ dataDir: options.dataDir });
    }
    await log.createTopic(topic, 1, { cleanupPolicy: 'compact', maxMessageBytes: 16 * 1024 * 1024 }, { ifAbsent: true });
    return new LogRegistryStore(log, topic, owns);
  }

  async load(): Promise<StoredEntry[]> {
    const p = this.log.partition(this.topic, 0);
    const out: StoredEntry[] = [];
    let offset = p.logStartOffset;
    const end = p.logEndOffset;
    while (offset < end) {
      const res = await p.read(offset, { maxBytes: READ_CHUNK });
      const batches = decodeBatches(res.records);
      if (batches.length === 0) break;
      for (const b of batches) {
        const next = b.header.baseOffset + b.header.lastOffsetDelta + 1;
        if (!b.header.isControl)
          for (const rec of b.records) {
            if (rec.offset < offset || rec.key === null) continue;
            out.push({ key: rec.key.toString('utf8'), value: rec.value === null ? null : rec.value.toString('utf8') });
          }
        offset = Math.max(offset, next);
      }
    }
    return out;
  }

  async append(entries: readonly StoredEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.log.partition(this.topic, 0).appendRecords(
      entries.map((e) => ({ key: Buffer.from(e.key, 'utf8'), value: e.value === null ? null : Buffer.from(e.value, 'utf8') })),
      { sync: true },
    );
  }

  async close(): Promise<void> {
    if (this.ownsLog) await this.log.close();
  }
}
