// Hands out producer ids that stay unique across broker restarts. Ids come from blocks; the
// end of a block is made durable before its first id is used, so after a crash allocation
// resumes past every id that may have been handed out (the unused rest of a block is skipped).
// Imports: ./txn-state-store.ts (type).
import type { TxnStateStore } from './txn-state-store.js';

export class ProducerIdAllocator {
  private next: number;
  private blockEnd: number;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: TxnStateStore,
    loadedBlockEnd: number,
    private readonly blockSize = 1000,
  ) {
    this.next = loadedBlockEnd;
    this.blockEnd = loadedBlockEnd;
  }

  /** The next unused producer id (allocations are serialized, so concurrent callers get distinct ids). */
  allocate(): Promise<number> {
    const p = this.chain.then(async () => {
      if (this.next >= this.blockEnd) {
        const end = this.blockEnd + this.blockSize;
        await this.store.saveProducerIdBlock(end);
        this.blockEnd = end;
      }
      return this.next++;
    });
    this.chain = p.catch(() => undefined);
    return p;
  }
}
