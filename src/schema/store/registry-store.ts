// Where the registry keeps its facts: an ordered list of keyed entries, replayed on start.
// The keys are chosen so that keeping only the latest value per key (log compaction) loses
// nothing, and a null value deletes the key. Two implementations share one test suite:
// memory (unit tests) and log-backed (the compacted `_schemas` topic).

export interface StoredEntry {
  key: string;
  /** null = tombstone: the key is gone. */
  value: string | null;
}

export interface RegistryStore {
  /** Every entry written so far (or the latest per key), in write order. */
  load(): Promise<StoredEntry[]>;
  /** Durably appends entries; resolves once they would survive a crash. */
  append(entries: readonly StoredEntry[]): Promise<void>;
  close(): Promise<void>;
}

export class MemoryRegistryStore implements RegistryStore {
  private readonly entries: StoredEntry[] = [];
  private closed = false;
  async load(): Promise<StoredEntry[]> {
    return this.entries.map((e) => ({ ...e }));
  }
  async append(entries: readonly StoredEntry[]): Promise<void> {
    if (this.closed) throw new Error('store closed');
    for (const e of entries) this.entries.push({ ...e });
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
