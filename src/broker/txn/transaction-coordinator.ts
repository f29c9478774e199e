// Kafka's transaction coordinator for one node: producer ids (InitProducerId), epochs that
// fence older producers of a transactional id, the partitions and group offsets of each
// transaction (AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit) and its end (EndTxn):
// commit/abort markers go to every partition of the transaction, then pending offsets are
// applied to the group offset store (commit) or dropped (abort). Produce asks it
// (beginProduce) whether a transactional append may happen, and EndTxn waits for admitted
// appends, so records never land outside their transaction.
// State changes are persisted through a TxnStateStore before they are acted on, so after a
// restart a transaction in PrepareCommit/PrepareAbort is completed and an Ongoing one is
// aborted once its timeout passes. Requests for one transactional id run one at a time.
// Imports: ./txn-state-store.ts, ./producer-id-allocator.ts, ../groups/ (timers, offset
// store and member checks), ../protocol/error-codes.ts (numbers only). No wire protocol.
import { KafkaError as E } from '../protocol/error-codes.js';
import type { GroupCoordinator, OffsetCommitTopic, OffsetCommitTopicResult, OffsetStore } from '../groups/group-coordinator.js';
import type { TimerHandle, Timers } from '../groups/timers.js';
import { ProducerIdAllocator } from './producer-id-allocator.js';
import type { PendingOffset, TxnRecord, TxnState, TxnStateStore } from './txn-state-store.js';

/** Where markers go (the log's partitions). */
export interface MarkerTarget {
  partitionExists(topic: string, partition: number): boolean;
  /** Appends a control batch ending producerId's transaction in that partition; durable when it resolves. */
  writeMarker(topic: string, partition: number, marker: { producerId: number; producerEpoch: number; commit: boolean; coordinatorEpoch: number }): Promise<void>;
}

export interface TransactionCoordinatorOptions {
  store: TxnStateStore;
  markers: MarkerTarget;
  offsets: OffsetStore;
  timers: Timers;
  /** Member/generation checks of TxnOffsetCommit v3+ and per-partition checks. */
  groups?: GroupCoordinator;
  maxTransactionTimeoutMs?: number;
  /** How often timed-out transactions are looked for and unfinished completions retried. */
  checkIntervalMs?: number;
}

const MAX_EPOCH = 32767;
/** How long ending a transaction waits for its in-flight produce appends before writing markers. */
const APPEND_DRAIN_TIMEOUT_MS = 30_000;

/** Transactional appends admitted by `beginProduce` and not yet finished, per transactional id. */
interface InFlight {
  count: number;
  drained: (() => void)[];
}

interface Txn extends TxnRecord {
  /** Set while the periodic check has already found it unfinished (PrepareX whose markers failed). */
  retrying?: boolean;
}

/** TxnOffsetCommit as decoded from the wire (and handed to txnOffsetCommit). */
export interface TxnOffsetCommitRequest {
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: OffsetCommitTopic[];
}

export class TransactionCoordinator {
  private readonly store: TxnStateStore;
  private readonly markers: MarkerTarget;
  private readonly offsets: OffsetStore;
  private readonly timers: Timers;
  private readonly groups: GroupCoordinator | undefined;
  private readonly maxTimeout: number;
  private readonly checkInterval: number;
  private readonly txns = new Map<string, Txn>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly appending = new Map<string, InFlight>();
  private allocator: ProducerIdAllocator | undefined;
  private checkTimer: TimerHandle | undefined;
  private closed = false;

  constructor(options: TransactionCoordinatorOptions) {
    this.store = options.store;
    this.markers = options.markers;
    this.offsets = options.offsets;
    this.timers = options.timers;
    this.groups = options.groups;
    this.maxTimeout = options.maxTransactionTimeoutMs ?? 900_000;
    this.checkInterval = options.checkIntervalMs ?? 1000;
  }

  /** Loads persisted state, completes transactions that were being completed, starts the timeout check. */
  async start(): Promise<void> {
    const loaded = await this.store.load();
    this.allocator = new ProducerIdAllocator(this.store, loaded.producerIdBlockEnd);
    for (const rec of loaded.transactions) this.txns.set(rec.transactionalId, { ...rec });
    for (const txn of this.txns.values()) {
      if (txn.state === 'PrepareCommit' || txn.state === 'PrepareAbort') {
        await this.serial(txn.transactionalId, () => this.complete(txn));
      }
    }
    this.scheduleCheck();
  }

  close(): void {
    this.closed = true;
    this.timers.clear(this.checkTimer);
    this.checkTimer = undefined;
  }

  // ---------------------------------------------------------------- InitProducerId

  async initProducerId(req: {
    transactionalId: string | null;
    transactionTimeoutMs: number;
    producerId: number;
    producerEpoch: number;
  }): Promise<{ errorCode: number; producerId: number; producerEpoch: number }> {
    const fail = (errorCode: number) => ({ errorCode, producerId: -1, producerEpoch: -1 });
    const allocator = this.allocator;
    if (this.closed || allocator === undefined) return fail(E.COORDINATOR_NOT_AVAILABLE);
    if (req.transactionalId === null || req.transactionalId === '') {
      try {
        return { errorCode: E.NONE, producerId: await allocator.allocate(), producerEpoch: 0 };
      } catch {
        return fail(E.KAFKA_STORAGE_ERROR);
      }
    }
    if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > this.maxTimeout) return fail(E.INVALID_TRANSACTION_TIMEOUT);
    const id = req.transactionalId;
    return this.serial(id, async () => {
      try {
        let txn = this.txns.get(id);
        if (txn === undefined) {
          const now = this.timers.now();
          txn = {
            transactionalId: id, producerId: await allocator.allocate(), producerEpoch: 0, timeoutMs: req.transactionTimeoutMs,
            state: 'Empty', partitions: [], groups: [], txnStartTimestamp: -1, lastUpdateTimestamp: now,
          };
          await this.store.saveTransaction(txn);
          this.txns.set(id, txn);
          return { errorCode: E.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
        }
        // KIP-360: a producer that names its current id and epoch may bump it; a stale pair is fenced.
        if (req.producerId >= 0 && (req.producerId !== txn.producerId || req.producerEpoch !== txn.producerEpoch)) {
          return fail(E.INVALID_PRODUCER_EPOCH);
        }
        if (txn.state === 'PrepareCommit' || txn.state === 'PrepareAbort') {
          await this.complete(txn);
          if (txn.state === 'PrepareCommit' || txn.state === 'PrepareAbort') return fail(E.CONCURRENT_TRANSACTIONS);
        }
        if (txn.state === 'Ongoing') {
          // The previous producer's transaction can never finish: abort it under a fencing epoch.
          await this.fenceAndAbort(txn);
          if ((txn.state as TxnState) !== 'CompleteAbort') return fail(E.CONCURRENT_TRANSACTIONS);
        }
        const next = { ...txn };
        if (txn.producerEpoch + 1 >= MAX_EPOCH) {
          next.producerId = await allocator.allocate();
          next.producerEpoch = 0;
        } else next.producerEpoch = txn.producerEpoch + 1;
        next.timeoutMs = req.transactionTimeoutMs;
        next.state = 'Empty';
        next.partitions = [];
        next.groups = [];
        next.txnStartTimestamp = -1;
        next.lastUpdateTimestamp = this.timers.now();
        await this.store.saveTransaction(next);
        Object.assign(txn, next);
        return { errorCode: E.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
      } catch {
        return fail(E.KAFKA_STORAGE_ERROR);
      }
    });
  }

  // ---------------------------------------------------------------- AddPartitionsToTxn / AddOffsetsToTxn

  async addPartitions(req: {
    transactionalId: string;
    producerId: number;
    producerEpoch: number;
    topics: { name: string; partitions: number[] }[];
  }): Promise<{ name: string; partitions: { partitionIndex: number; errorCode: number }[] }[]> {
    const all = (code: number) => req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p, errorCode: code })) }));
    if (this.closed) return all(E.COORDINATOR_NOT_AVAILABLE);
    return this.serial(req.transactionalId, async () => {
      const txn = this.txns.get(req.transactionalId);
      const check = this.checkProducer(txn, req.producerId, req.producerEpoch);
      if (check !== E.NONE || txn === undefined) return all(check);
      const unknown = req.topics.some((t) => t.partitions.some((p) => !this.markers.partitionExists(t.name, p)));
      if (unknown) {
        return req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p,
            errorCode: this.markers.partitionExists(t.name, p) ? E.OPERATION_NOT_ATTEMPTED : E.UNKNOWN_TOPIC_OR_PARTITION,
          })),
        }));
      }
      const next = this.beginOrContinue(txn);
      let added = next.state !== txn.state;
      for (const t of req.topics) {
        for (const p of t.partitions) {
          if (!next.partitions.some((x) => x.topic === t.name && x.partition === p)) {
            next.partitions.push({ topic: t.name, partition: p });
            added = true;
          }
        }
      }
      // Persisted before the producer writes: after a crash, every partition that may hold
      // this transaction's records gets its abort marker.
      if (added) {
        try {
          await this.store.saveTransaction(next);
        } catch {
          return all(E.KAFKA_STORAGE_ERROR);
        }
      }
      Object.assign(txn, next);
      return all(E.NONE);
    });
  }

  async addOffsets(req: { transactionalId: string; producerId: number; producerEpoch: number; groupId: string }): Promise<number> {
    if (this.closed) return E.COORDINATOR_NOT_AVAILABLE;
    if (req.groupId.length === 0) return E.INVALID_GROUP_ID;
    return this.serial(req.transactionalId, async () => {
      const txn = this.txns.get(req.transactionalId);
      const check = this.checkProducer(txn, req.producerId, req.producerEpoch);
      if (check !== E.NONE || txn === undefined) return check;
      const next = this.beginOrContinue(txn);
      const changed = next.state !== txn.state || !next.groups.some((g) => g.group === req.groupId);
      if (!next.groups.some((g) => g.group === req.groupId)) next.groups.push({ group: req.groupId, offsets: [] });
      if (changed) {
        try {
          await this.store.saveTransaction(next);
        } catch {
          return E.KAFKA_STORAGE_ERROR;
        }
      }
      Object.assign(txn, next);
      return E.NONE;
    });
  }

  /** Offsets held with the transaction; they reach the group only if it commits. */
  async txnOffsetCommit(req: TxnOffsetCommitRequest): Promise<OffsetCommitTopicResult[]> {
    const all = (code: number) => req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) }));
    if (this.closed) return all(E.COORDINATOR_NOT_AVAILABLE);
    if (req.groupId.length === 0) return all(E.INVALID_GROUP_ID);
    return this.serial(req.transactionalId, () => {
      const txn = this.txns.get(req.transactionalId);
      const check = this.checkProducer(txn, req.producerId, req.producerEpoch);
      if (check !== E.NONE || txn === undefined) return all(check);
      const entry = txn.groups.find((g) => g.group === req.groupId);
      if (txn.state !== 'Ongoing' || entry === undefined) return all(E.INVALID_TXN_STATE);
      if (req.generationId >= 0 && this.groups !== undefined) {
        const member = this.groups.validateCommit(req.groupId, req.generationId, req.memberId, req.groupInstanceId);
        if (member !== E.NONE) return all(member);
      }
      const { results, accepted } = this.groups !== undefined
        ? this.groups.filterCommittable(req.topics)
        : { results: all(E.NONE), accepted: req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.committedMetadata }))) };
      for (const o of accepted) {
        const i = entry.offsets.findIndex((x) => x.topic === o.topic && x.partition === o.partition);
        if (i >= 0) entry.offsets[i] = o;
        else entry.offsets.push(o);
      }
      return results;
    });
  }

  // ---------------------------------------------------------------- EndTxn

  async endTxn(req: { transactionalId: string; producerId: number; producerEpoch: number; commit: boolean }): Promise<number> {
    if (this.closed) return E.COORDINATOR_NOT_AVAILABLE;
    return this.serial(req.transactionalId, async () => {
      const txn = this.txns.get(req.transactionalId);
      const check = this.checkProducer(txn, req.producerId, req.producerEpoch);
      if (check !== E.NONE || txn === undefined) return check;
      switch (txn.state) {
        case 'Ongoing': {
          const next: Txn = { ...txn, state: req.commit ? 'PrepareCommit' : 'PrepareAbort', lastUpdateTimestamp: this.timers.now() };
          try {
            await this.store.saveTransaction(next);
          } catch {
            return E.KAFKA_STORAGE_ERROR;
          }
          Object.assign(txn, next);
          // From here the outcome is decided; if markers cannot be written now, the periodic check retries.
          await this.complete(txn);
          return E.NONE;
        }
        case 'CompleteCommit':
          return req.commit ? E.NONE : E.INVALID_TXN_STATE;
        case 'CompleteAbort':
          return req.commit ? E.INVALID_TXN_STATE : E.NONE;
        case 'PrepareCommit':
          return req.commit ? E.CONCURRENT_TRANSACTIONS : E.INVALID_TXN_STATE;
        case 'PrepareAbort':
          return req.commit ? E.INVALID_TXN_STATE : E.CONCURRENT_TRANSACTIONS;
        default:
          return E.INVALID_TXN_STATE;
      }
    });
  }

  // ---------------------------------------------------------------- Produce verification

  /**
   * Admits a transactional append (Produce with a transactional id) to `topic`/`partition`:
   * the producer id and epoch must be the transactional id's current ones, the transaction
   * Ongoing and the partition added to it. On NONE the caller must call `endProduce` once the
   * append has finished (either way): ending the transaction waits for admitted appends, so
   * no record can land after its marker (a hanging transaction that would hold the LSO).
   * Synchronous: it reads the state AddPartitionsToTxn made durable before answering.
   */
  beginProduce(transactionalId: string, producerId: number, producerEpoch: number, topic: string, partition: number): number {
    if (this.closed) return E.NOT_ENOUGH_REPLICAS;
    const txn = this.txns.get(transactionalId);
    if (txn === undefined || txn.producerId !== producerId) return E.INVALID_PRODUCER_ID_MAPPING;
    if (txn.producerEpoch !== producerEpoch) return E.INVALID_PRODUCER_EPOCH;
    if (txn.state !== 'Ongoing') return E.INVALID_TXN_STATE;
    let added = false;
    for (const p of txn.partitions) {
      if (p.partition === partition && p.topic === topic) {
        added = true;
        break;
      }
    }
    if (!added) return E.INVALID_TXN_STATE;
    const f = this.appending.get(transactionalId);
    if (f === undefined) this.appending.set(transactionalId, { count: 1, drained: [] });
    else f.count++;
    return E.NONE;
  }

  /** Ends an append admitted by `beginProduce`. */
  endProduce(transactionalId: string): void {
    const f = this.appending.get(transactionalId);
    if (f === undefined) return;
    if (--f.count > 0) return;
    this.appending.delete(transactionalId);
    for (const wake of f.drained) wake();
  }

  /** Resolves once no admitted append of this transactional id is in flight (bounded wait). */
  private appendsDrained(transactionalId: string): Promise<void> {
    const f = this.appending.get(transactionalId);
    if (f === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = this.timers.set(() => resolve(), APPEND_DRAIN_TIMEOUT_MS);
      f.drained.push(() => {
        this.timers.clear(timer);
        resolve();
      });
    });
  }

  // ---------------------------------------------------------------- queries

  /** Whether an unfinished transaction holds offsets for this group partition (OffsetFetch requireStable). */
  hasPendingOffsets(group: string, topic: string, partition: number): boolean {
    for (const txn of this.txns.values()) {
      if (txn.state !== 'Ongoing' && txn.state !== 'PrepareCommit') continue;
      const g = txn.groups.find((x) => x.group === group);
      if (g?.offsets.some((o) => o.topic === topic && o.partition === partition)) return true;
    }
    return false;
  }

  /** A copy of one transactional id's state (tests, DescribeTransactions, the UI). */
  describe(transactionalId: string): TxnRecord | undefined {
    const t = this.txns.get(transactionalId);
    return t === undefined ? undefined : (JSON.parse(JSON.stringify(t)) as TxnRecord);
  }

  // ---------------------------------------------------------------- internals

  private checkProducer(txn: Txn | undefined, producerId: number, producerEpoch: number): number {
    if (txn === undefined || txn.producerId !== producerId) return E.INVALID_PRODUCER_ID_MAPPING;
    if (txn.producerEpoch !== producerEpoch) return E.INVALID_PRODUCER_EPOCH;
    if (txn.state === 'PrepareCommit' || txn.state === 'PrepareAbort') return E.CONCURRENT_TRANSACTIONS;
    return E.NONE;
  }

  /** The state the transaction moves to when something is added to it (a copy; persist, then apply). */
  private beginOrContinue(txn: Txn): Txn {
    const now = this.timers.now();
    if (txn.state === 'Ongoing') {
      return { ...txn, partitions: [...txn.partitions], groups: txn.groups.map((g) => ({ ...g, offsets: [...g.offsets] })), lastUpdateTimestamp: now };
    }
    return { ...txn, state: 'Ongoing', partitions: [], groups: [], txnStartTimestamp: now, lastUpdateTimestamp: now };
  }

  /** Aborts an Ongoing transaction under epoch+1, so the producer that began it is fenced. */
  private async fenceAndAbort(txn: Txn): Promise<void> {
    const next: Txn = { ...txn, state: 'PrepareAbort', producerEpoch: Math.min(txn.producerEpoch + 1, MAX_EPOCH - 1), lastUpdateTimestamp: this.timers.now() };
    await this.store.saveTransaction(next);
    Object.assign(txn, next);
    await this.complete(txn);
  }

  /** Writes the markers of a PrepareCommit/PrepareAbort transaction, applies or drops its offsets, persists Complete*. */
  private async complete(txn: Txn): Promise<void> {
    if (txn.state !== 'PrepareCommit' && txn.state !== 'PrepareAbort') return;
    const commit = txn.state === 'PrepareCommit';
    try {
      await this.appendsDrained(txn.transactionalId);
      await Promise.all(
        txn.partitions.map(async ({ topic, partition }) => {
          // A partition deleted since it was added has nothing left to mark.
          if (!this.markers.partitionExists(topic, partition)) return;
          await this.markers.writeMarker(topic, partition, { producerId: txn.producerId, producerEpoch: txn.producerEpoch, commit, coordinatorEpoch: 0 });
        }),
      );
      if (commit) {
        for (const g of txn.groups) {
          if (g.offsets.length > 0) await this.offsets.commit(g.group, g.offsets.map((o: PendingOffset) => ({ ...o })));
        }
      }
      const next: Txn = {
        ...txn, state: commit ? 'CompleteCommit' : 'CompleteAbort', partitions: [], groups: [], txnStartTimestamp: -1, lastUpdateTimestamp: this.timers.now(),
      };
      delete next.retrying;
      await this.store.saveTransaction(next);
      Object.assign(txn, next);
      txn.retrying = false;
    } catch {
      // Stays Prepare*: markers are idempotent to rewrite, the periodic check tries again.
      txn.retrying = true;
    }
  }

  private scheduleCheck(): void {
    if (this.closed) return;
    this.checkTimer = this.timers.set(() => {
      this.checkTimer = undefined;
      void this.checkTimeouts().finally(() => this.scheduleCheck());
    }, this.checkInterval);
  }

  /** Aborts transactions open longer than their timeout; retries completions that failed. */
  async checkTimeouts(): Promise<void> {
    const now = this.timers.now();
    const work: Promise<unknown>[] = [];
    for (const txn of this.txns.values()) {
      const state: TxnState = txn.state;
      if (state === 'Ongoing' && txn.txnStartTimestamp >= 0 && now - txn.txnStartTimestamp > txn.timeoutMs) {
        work.push(
          this.serial(txn.transactionalId, async () => {
            if (txn.state === 'Ongoing' && now - txn.txnStartTimestamp > txn.timeoutMs) await this.fenceAndAbort(txn).catch(() => undefined);
          }),
        );
      } else if (state === 'PrepareCommit' || state === 'PrepareAbort') {
        work.push(this.serial(txn.transactionalId, () => this.complete(txn)));
      }
    }
    await Promise.all(work);
  }

  /** Runs `fn` after every earlier operation on the same transactional id. */
  private serial<T>(id: string, fn: () => Promise<T> | T): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return run;
  }
}
