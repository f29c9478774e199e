// The durable TxnStateStore: records in the log's internal compacted topic
// `__transaction_state` (one partition), keyed so compaction keeps only the latest state of
// each transactional id and the latest producer-id block. Every save is one synced append
// (the coordinator acts on a state only after it is durable). Values are small JSON
// documents with a version field: this is control-plane traffic, a few records per
// transaction, never on the data path.
// Imports: ./txn-state-store.ts, log/partition.ts (type), ../../codec/record-batch.ts, ../../errors.ts.
import { decodeBatches } from '../../codec/record-batch.js';
import { SluiceError } from '../../errors.js';
import type { Partition } from '../../log/partition.js';
import type { TxnRecord, TxnStateStore } from './txn-state-store.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';
const PID_BLOCK_KEY = 'producer-id-block';
const TXN_KEY_PREFIX = 'txn:';

export class LogTxnStateStore implements TxnStateStore {
  constructor(
    private readonly partition: Partition,
    private readonly clock: () => number = Date.now,
  ) {}

  async load(): Promise<{ producerIdBlockEnd: number; transactions: TxnRecord[] }> {
    let blockEnd = 0;
    const txns = new Map<string, TxnRecord>();
    let offset = this.partition.logStartOffset;
    while (offset < this.partition.highWatermark) {
      const { records } = await this.partition.read(offset, { maxBytes: 1 << 20 });
      if (records.length === 0) break;
      for (const { header, records: recs } of decodeBatches(records)) {
        offset = header.baseOffset + header.lastOffsetDelta + 1;
        if (header.isControl) continue;
        for (const r of recs) {
          const key = r.key?.toString('utf8');
          if (key === undefined) continue;
          try {
            if (key === PID_BLOCK_KEY && r.value !== null) {
              const v = JSON.parse(r.value.toString('utf8')) as { v: number; end: number };
              if (Number.isSafeInteger(v.end)) blockEnd = Math.max(blockEnd, v.end);
            } else if (key.startsWith(TXN_KEY_PREFIX)) {
              const id = key.slice(TXN_KEY_PREFIX.length);
              if (r.value === null) txns.delete(id);
              else {
                const v = JSON.parse(r.value.toString('utf8')) as { v: number; txn: TxnRecord };
                txns.set(id, v.txn);
              }
            }
          } catch (err) {
            throw new SluiceError('LOG_CORRUPTED', `unreadable record '${key}' in ${TRANSACTION_STATE_TOPIC} at offset ${r.offset}`, { cause: err, details: { offset: r.offset } });
          }
        }
      }
    }
    return { producerIdBlockEnd: blockEnd, transactions: [...txns.values()] };
  }

  async saveProducerIdBlock(end: number): Promise<void> {
    await this.put(PID_BLOCK_KEY, { v: 1, end });
  }

  async saveTransaction(record: TxnRecord): Promise<void> {
    const { transactionalId, producerId, producerEpoch, timeoutMs, state, partitions, groups, txnStartTimestamp, lastUpdateTimestamp } = record;
    await this.put(TXN_KEY_PREFIX + transactionalId, {
      v: 1,
      txn: { transactionalId, producerId, producerEpoch, timeoutMs, state, partitions, groups, txnStartTimestamp, lastUpdateTimestamp },
    });
  }

  private async put(key: string, value: unknown): Promise<void> {
    await this.partition.appendRecords([{ key: Buffer.from(key, 'utf8'), value: Buffer.from(JSON.stringify(value), 'utf8'), timestamp: this.clock() }], { sync: true });
  }
}
