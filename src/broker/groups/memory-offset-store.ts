// An in-memory OffsetStore with the GroupOffsetStore contract of LOG-API.md, for coordinator
// unit tests that should not touch disk. Production uses `log.groupOffsets`.
// Imports only the OffsetStore type.
import type { OffsetStore } from './group-coordinator.js';

export class MemoryOffsetStore implements OffsetStore {
  private readonly data = new Map<string, Map<string, Map<number, { offset: number; leaderEpoch: number; metadata: string | null }>>>();
  /** When set, the next commit fails with this error (storage fault injection). */
  failNext: Error | undefined;

  commit(
    group: string,
    offsets: { topic: string; partition: number; offset: number; leaderEpoch?: number; metadata?: string | null }[],
  ): Promise<void> {
    if (this.failNext !== undefined) {
      const err = this.failNext;
      this.failNext = undefined;
      return Promise.reject(err);
    }
    let g = this.data.get(group);
    if (g === undefined) this.data.set(group, (g = new Map()));
    for (const o of offsets) {
      let t = g.get(o.topic);
      if (t === undefined) g.set(o.topic, (t = new Map()));
      t.set(o.partition, { offset: o.offset, leaderEpoch: o.leaderEpoch ?? -1, metadata: o.metadata ?? null });
    }
    return Promise.resolve();
  }

  fetch(group: string): Map<string, Map<number, { offset: number; leaderEpoch: number; metadata: string | null }>> {
    const g = this.data.get(group);
    const copy = new Map<string, Map<number, { offset: number; leaderEpoch: number; metadata: string | null }>>();
    if (g !== undefined) for (const [t, parts] of g) copy.set(t, new Map(parts));
    return copy;
  }

  groups(): string[] {
    return [...this.data.keys()];
  }

  deleteGroup(group: string): Promise<void> {
    this.data.delete(group);
    return Promise.resolve();
  }
}
