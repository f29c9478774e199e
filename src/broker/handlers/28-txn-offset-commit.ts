// TxnOffsetCommit (key 28), versions 0-3.
//   v1: no wire change.   v2: + committedLeaderEpoch.
//   v3: flexible; + generationId, memberId, groupInstanceId so a zombie consumer of an old
//       generation is refused like OffsetCommit refuses it (KIP-447).
// The offsets are held with the transaction and applied to the group only on commit.
import { KafkaError } from '../protocol/error-codes.js';
import { TxnOffsetCommit } from '../protocol/messages.js';
import { transactionCoordinatorOf } from '../txn/broker-transactions.js';
import type { OffsetCommitTopicResult } from '../groups/group-coordinator.js';
import type { TxnOffsetCommitRequest } from '../txn/transaction-coordinator.js';
import { defineHandler } from './handler.js';

export const handler = defineHandler<TxnOffsetCommitRequest, { throttleTimeMs: number; topics: OffsetCommitTopicResult[] }>({
  apiKey: TxnOffsetCommit.apiKey,
  minVersion: 0,
  maxVersion: 3,
  schema: TxnOffsetCommit,
  async handle(request, ctx) {
    try {
      const coordinator = await transactionCoordinatorOf(ctx.broker);
      const topics = await coordinator.txnOffsetCommit({
        ...request,
        generationId: ctx.version >= 3 ? request.generationId : -1,
        topics: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ ...p, committedLeaderEpoch: ctx.version >= 2 ? p.committedLeaderEpoch : -1 })),
        })),
      });
      return { throttleTimeMs: 0, topics };
    } catch {
      const topics = request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE })) }));
      return { throttleTimeMs: 0, topics };
    }
  },
});
