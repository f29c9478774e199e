// AddPartitionsToTxn (key 24), versions 0-3.
//   v1-2: only broker behaviour changed.   v3: flexible.
//   (v4 batches several transactions for broker-to-broker verification; not served.)
// A transactional producer names every partition before writing to it, so EndTxn knows
// where markers go. Persisted before the answer. If any partition is unknown, nothing is
// added: those get UNKNOWN_TOPIC_OR_PARTITION, the rest OPERATION_NOT_ATTEMPTED.
import { KafkaError } from '../protocol/error-codes.js';
import { AddPartitionsToTxn } from '../protocol/messages.js';
import { transactionCoordinatorOf } from '../txn/broker-transactions.js';
import { defineHandler } from './handler.js';

interface AddPartitionsRequest {
  v3AndBelowTransactionalId: string;
  v3AndBelowProducerId: number;
  v3AndBelowProducerEpoch: number;
  v3AndBelowTopics: { name: string; partitions: number[] }[];
}

interface TopicResult {
  name: string;
  resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[];
}

export const handler = defineHandler<AddPartitionsRequest, { throttleTimeMs: number; resultsByTopicV3AndBelow: TopicResult[] }>({
  apiKey: AddPartitionsToTxn.apiKey,
  minVersion: 0,
  maxVersion: 3,
  schema: AddPartitionsToTxn,
  async handle(request, ctx) {
    const topics = request.v3AndBelowTopics;
    let results: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
    try {
      const coordinator = await transactionCoordinatorOf(ctx.broker);
      results = await coordinator.addPartitions({
        transactionalId: request.v3AndBelowTransactionalId,
        producerId: request.v3AndBelowProducerId,
        producerEpoch: request.v3AndBelowProducerEpoch,
        topics,
      });
    } catch {
      results = topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p, errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE })) }));
    }
    return {
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: results.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, partitionErrorCode: p.errorCode })),
      })),
    };
  },
});
