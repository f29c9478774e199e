// Where the transaction coordinator keeps what must survive a restart: the end of the
// producer-id block handed out last (so ids stay unique across restarts) and the latest
// state of every transactional id (so a transaction caught in PrepareCommit/PrepareAbort is
// completed on startup and an Ongoing one is aborted). The durable implementation writes to
// the log's internal compacted topic `__transaction_state` (log-txn-state-store.ts); the
// in-memory one here serves unit tests, which "restart" by reusing the same store.
// Imports nothing.

export type TxnState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort';

export interface PendingOffset {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

/** The persisted form of one transactional id. */
export interface TxnRecord {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** Partitions written in the current transaction: markers go to each. */
  partitions: { topic: string; partition: number }[];
  /** Groups added with AddOffsetsToTxn and the offsets sent with TxnOffsetCommit. */
  groups: { group: string; offsets: PendingOffset[] }[];
  txnStartTimestamp: number;
  lastUpdateTimestamp: number;
}

export interface TxnStateStore {
  load(): Promise<{ producerIdBlockEnd: number; transactions: TxnRecord[] }>;
  /** Durable before it resolves: ids below `end` may be handed out afterwards. */
  saveProducerIdBlock(end: number): Promise<void>;
  /** Durable before it resolves. */
  saveTransaction(record: TxnRecord): Promise<void>;
}

export class MemoryTxnStateStore implements TxnStateStore {
  private blockEnd = 0;
  private readonly records = new Map<string, string>();
  /** When set, the next save fails with this error (storage fault injection). */
  failNext: Error | undefined;
  saves = 0;

  load(): Promise<{ producerIdBlockEnd: number; transactions: TxnRecord[] }> {
    return Promise.resolve({
      producerIdBlockEnd: this.blockEnd,
      transactions: [...this.records.values()].map((s) => JSON.parse(s) as TxnRecord),
    });
  }

  saveProducerIdBlock(end: number): Promise<void> {
    const err = this.takeFailure();
    if (err !== undefined) return Promise.reject(err);
    this.blockEnd = end;
    return Promise.resolve();
  }

  saveTransaction(record: TxnRecord): Promise<void> {
    const err = this.takeFailure();
    if (err !== undefined) return Promise.reject(err);
    this.saves++;
    // A copy, as a disk would keep it: later mutation of the caller's object must not leak in.
    this.records.set(record.transactionalId, JSON.stringify(record));
    return Promise.resolve();
  }

  private takeFailure(): Error | undefined {
    const err = this.failNext;
    this.failNext = undefined;
    return err;
  }
}
