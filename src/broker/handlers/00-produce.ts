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
import { isSluiceError } from '../../errors.js';
import { KafkaError, kafkaErrorCode } from '../protocol/error-codes.js';
import { Produce } from '../protocol/messages.js';
import type { Partition } from '../../log/partition.js';
import type { RequestContext } from './handler.js';
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

async function appendOne(ctx: RequestContext, topic: string, index: number, records: Buffer | null, sync: boolean, logAppendTime: boolean): Promise<PartitionResponse> {
  if (records === null || records.length === 0) return failed(index, KafkaError.CORRUPT_MESSAGE, 'no record batch in the request');
  let partition: Partition;
  try {
    partition = ctx.broker.log.partition(topic, index);
  } catch (err) {
    return failed(index, kafkaErrorCode(err), (err as Error).message);
  }
  try {
    const r = await partition.append(records, { sync });
    return {
      index,
      errorCode: KafkaError.NONE,
      baseOffset: r.baseOffset,
      logAppendTimeMs: logAppendTime ? r.logAppendTime : -1,
      logStartOffset: r.logStartOffset,
      errorMessage: null,
    };
  } catch (err) {
    if (!isSluiceError(err) || err.code === 'INTERNAL') console.error(`sluice broker: produce to ${topic}-${index} failed:`, err);
    return failed(index, kafkaErrorCode(err), err instanceof Error ? err.message : String(err));
  }
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
      // Every partition appends concurrently, so acks=-1 appends share fsyncs (group commit).
      responses = await Promise.all(
        request.topicData.map(async (t) => {
          if (!log.hasTopic(t.name)) {
            return { name: t.name, partitionResponses: t.partitionData.map((p) => failed(p.index, KafkaError.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${t.name}`)) };
          }
          const logAppendTime = log.describeTopic(t.name).config.messageTimestampType === 'LogAppendTime';
          const partitionResponses = await Promise.all(t.partitionData.map((p) => appendOne(ctx, t.name, p.index, p.records, acks === -1, logAppendTime)));
          return { name: t.name, partitionResponses };
        }),
      );
    }
    if (acks === 0) return NO_RESPONSE;
    return { responses, throttleTimeMs: 0 };
  },
});
