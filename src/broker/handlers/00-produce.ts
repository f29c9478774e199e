// Produce (key 0), versions 3-9.
//   v3: transactionalId; RecordBatch v2 only (the one format Sluice stores).
//   v4: no wire change (KAFKA_STORAGE_ERROR may be returned).
//   v5: + logStartOffset in the response.   v6, v7: no wire change.
//   v8: + recordErrors and errorMessage per partition.
//   v9: flexible (compact encodings, tagged fields).
// The records field goes to the log as the bytes that arrived (a view into the request
// frame): validated there (CRC-32C, lengths), offsets patched in place, never re-encoded.
// acks=0 sends no response; acks=1 answers once appended; acks=-1 (all) only after fsync.
// Idempotent retries are answered with the original offsets; sequence gaps with
// OUT_OF_ORDER_SEQUENCE_NUMBER; an older producer epoch with INVALID_PRODUCER_EPOCH.
// Appended bytes are counted per topic (broker-metrics.ts TopicBytes), once per partition batch.
//
// Transactional batches are verified before they are appended (Kafka 3.6+ does the same with
// KIP-890's verification; here coordinator and partition share one process): the batch's
// producer id and epoch must be the transactional id's current ones, its transaction Ongoing
// and this partition added with AddPartitionsToTxn. Otherwise nothing is appended and:
//   INVALID_PRODUCER_EPOCH (47)       the epoch is not the current one: a fenced zombie.
//                                     kafkajs: non-retriable, send() rejects; librdkafka:
//                                     fatal "fenced by newer instance".
//   INVALID_PRODUCER_ID_MAPPING (49)  the transactional id has another producer id, or none.
//   INVALID_TXN_STATE (48)            no Ongoing transaction, the partition was not added, or
//                                     a transactional batch came without a transactional id.
//                                     What Kafka answers before Produce v11 (v11+ may send
//                                     TRANSACTION_ABORTABLE, 120, which versions 3-9 never
//                                     carry and neither kafkajs 2.2.4 nor librdkafka 2.0.2
//                                     knows). kafkajs: non-retriable, send() rejects and the
//                                     application aborts; librdkafka fails the messages'
//                                     delivery, a permanent error that makes the transaction
//                                     abortable. Neither retries into a hanging transaction.
//   NOT_ENOUGH_REPLICAS (19)          the coordinator is not running: retriable in both.
// Ending a transaction waits for verified appends still in flight, so a record can never
// land after its transaction's marker and hold the last stable offset back.
import { isSluiceError } from '../../errors.js';
import { readInt64 } from '../../codec/byte-writer.js';
import { BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX } from '../../codec/record-batch.js';
import { transactionCoordinatorOf } from '../txn/broker-transactions.js';
import type { TransactionCoordinator } from '../txn/transaction-coordinator.js';
import { KafkaError, kafkaErrorCode } from '../protocol/error-codes.js';
import { Produce } from '../protocol/messages.js';
import type { Partition } from '../../log/partition.js';
import type { RequestContext } from './handler.js';
import { topicBytes } from '../broker-metrics.js';
import { defineHandler, NO_RESPONSE } from './handler.js';

interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: { name: string; partitionData: { index: number; records: Buffer | null }[] }[];
}

interface PartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  errorMessage: string | null;
}

interface ProduceResponse {
  responses: { name: string; partitionResponses: PartitionResponse[] }[];
  throttleTimeMs: number;
}

function failed(index: number, errorCode: number, errorMessage: string | null): PartitionResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage };
}

const ATTR_TRANSACTIONAL = 0x10;

/** Whether any batch in `records` is flagged transactional (header reads only; bad framing is the log's to refuse). */
function hasTransactionalBatch(records: Buffer): boolean {
  for (let pos = 0; records.length - pos >= BATCH_HEADER_SIZE; ) {
    if ((records.readInt16BE(pos + 21) & ATTR_TRANSACTIONAL) !== 0) return true;
    const length = records.readInt32BE(pos + 8);
    if (length < BATCH_HEADER_SIZE - BATCH_LENGTH_PREFIX) return false;
    pos += BATCH_LENGTH_PREFIX + length;
  }
  return false;
}

const TXN_MESSAGES: Record<number, string> = {
  [KafkaError.INVALID_PRODUCER_EPOCH]: 'the producer epoch is not the current one of its transactional id (fenced)',
  [KafkaError.INVALID_PRODUCER_ID_MAPPING]: 'the producer id is not the one assigned to its transactional id',
  [KafkaError.INVALID_TXN_STATE]: 'the partition was not added to an ongoing transaction of this producer (AddPartitionsToTxn)',
  [KafkaError.NOT_ENOUGH_REPLICAS]: 'the transaction coordinator is not available',
};

/**
 * Admits every transactional batch of `records` with the coordinator. Returns the admitted
 * transactional id (to release after the append), or a refusal.
 */
function verifyTransactional(
  coordinator: TransactionCoordinator | undefined,
  transactionalId: string | null,
  topic: string,
  index: number,
  records: Buffer,
): { admitted: string | undefined } | { errorCode: number; message: string } {
  let admitted: string | undefined;
  let admittedPid = -1;
  let admittedEpoch = -1;
  for (let pos = 0; records.length - pos >= BATCH_HEADER_SIZE; ) {
    const length = records.readInt32BE(pos + 8);
    if (length < BATCH_HEADER_SIZE - BATCH_LENGTH_PREFIX) break;
    if ((records.readInt16BE(pos + 21) & ATTR_TRANSACTIONAL) !== 0) {
      if (transactionalId === null || transactionalId === '') {
        return { errorCode: KafkaError.INVALID_TXN_STATE, message: `${topic}-${index}: a transactional batch needs the transactional id in the request` };
      }
      const producerId = readInt64(records, pos + 43);
      const producerEpoch = records.readInt16BE(pos + 51);
      let code: number;
      if (admitted !== undefined) code = producerId === admittedPid && producerEpoch === admittedEpoch ? KafkaError.NONE : KafkaError.INVALID_PRODUCER_EPOCH;
      else if (coordinator === undefined) code = KafkaError.NOT_ENOUGH_REPLICAS;
      else code = coordinator.beginProduce(transactionalId, producerId, producerEpoch, topic, index);
      if (code !== KafkaError.NONE) {
        if (admitted !== undefined) coordinator?.endProduce(admitted);
        return { errorCode: code, message: `${topic}-${index}: ${TXN_MESSAGES[code] ?? 'refused'}` };
      }
      if (admitted === undefined) {
        admitted = transactionalId;
        admittedPid = producerId;
        admittedEpoch = producerEpoch;
      }
    }
    pos += BATCH_LENGTH_PREFIX + length;
  }
  return { admitted };
}

async function appendOne(
  ctx: RequestContext,
  topic: string,
  index: number,
  records: Buffer | null,
  sync: boolean,
  txn: { transactionalId: string | null; coordinator: TransactionCoordinator | undefined } | undefined,
): Promise<PartitionResponse> {
  if (records === null || records.length === 0) return failed(index, KafkaError.CORRUPT_MESSAGE, 'no record batch in the request');
  let partition: Partition;
  try {
    partition = ctx.broker.log.partition(topic, index);
  } catch (err) {
    return failed(index, kafkaErrorCode(err), (err as Error).message);
  }
  let admitted: string | undefined;
  if (txn !== undefined) {
    const verdict = verifyTransactional(txn.coordinator, txn.transactionalId, topic, index, records);
    if ('errorCode' in verdict) return failed(index, verdict.errorCode, verdict.message);
    admitted = verdict.admitted;
  }
  try {
    const r = await partition.append(records, { sync });
    topicBytes(ctx.broker.metrics).produced(topic, records.length);
    return {
      index,
      errorCode: KafkaError.NONE,
      baseOffset: r.baseOffset,
      logAppendTimeMs: partition.topicConfig.messageTimestampType === 'LogAppendTime' ? r.logAppendTime : -1,
      logStartOffset: r.logStartOffset,
      errorMessage: null,
    };
  } catch (err) {
    if (!isSluiceError(err) || err.code === 'INTERNAL') console.error(`sluice broker: produce to ${topic}-${index} failed:`, err);
    return failed(index, kafkaErrorCode(err), err instanceof Error ? err.message : String(err));
  } finally {
    if (admitted !== undefined) txn?.coordinator?.endProduce(admitted);
  }
}

/**
 * Promise.all over `items`, without its arrays and combinator for the common request of one
 * topic and one partition (a low-latency producer sends one such request per record).
 */
async function eachConcurrently<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  if (items.length === 1) return [await fn(items[0] as T)];
  return Promise.all(items.map(fn));
}

function carriesTransactionalBatch(request: ProduceRequest): boolean {
  for (const t of request.topicData) {
    for (const p of t.partitionData) {
      if (p.records !== null && hasTransactionalBatch(p.records)) return true;
    }
  }
  return false;
}

async function transactionContext(ctx: RequestContext, request: ProduceRequest): Promise<{ transactionalId: string | null; coordinator: TransactionCoordinator | undefined }> {
  const coordinator = await transactionCoordinatorOf(ctx.broker).catch(() => undefined);
  return { transactionalId: request.transactionalId, coordinator };
}

export const handler = defineHandler<ProduceRequest, ProduceResponse>({
  apiKey: Produce.apiKey,
  minVersion: 3,
  maxVersion: 9,
  schema: Produce,
  async handle(request, ctx) {
    const { acks } = request;
    const log = ctx.broker.log;
    let responses: ProduceResponse['responses'];
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      responses = request.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => failed(p.index, KafkaError.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, got ${acks}`)),
      }));
    } else {
      // Only requests carrying transactional batches pay for verification.
      const txn = carriesTransactionalBatch(request) ? await transactionContext(ctx, request) : undefined;
      // Every partition appends concurrently, so acks=-1 appends share fsyncs (group commit).
      responses = await eachConcurrently(request.topicData, async (t) => {
        if (!log.hasTopic(t.name)) {
          return { name: t.name, partitionResponses: t.partitionData.map((p) => failed(p.index, KafkaError.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${t.name}`)) };
        }
        const partitionResponses = await eachConcurrently(t.partitionData, (p) => appendOne(ctx, t.name, p.index, p.records, acks === -1, txn));
        return { name: t.name, partitionResponses };
      });
    }
    if (acks === 0) return NO_RESPONSE;
    return { responses, throttleTimeMs: 0 };
  },
});
