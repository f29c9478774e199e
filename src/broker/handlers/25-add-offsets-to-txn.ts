// AddOffsetsToTxn (key 25), versions 0-3.
//   v1-2: only broker behaviour changed.   v3: flexible.
// Declares that the transaction will carry offsets of a consumer group (sent next with
// TxnOffsetCommit); they reach the group only if the transaction commits.
import { KafkaError } from '../protocol/error-codes.js';
import { AddOffsetsToTxn } from '../protocol/messages.js';
import { transactionCoordinatorOf } from '../txn/broker-transactions.js';
import { defineHandler } from './handler.js';

interface AddOffsetsRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  groupId: string;
}

export const handler = defineHandler<AddOffsetsRequest, { throttleTimeMs: number; errorCode: number }>({
  apiKey: AddOffsetsToTxn.apiKey,
  minVersion: 0,
  maxVersion: 3,
  schema: AddOffsetsToTxn,
  async handle(request, ctx) {
    try {
      const coordinator = await transactionCoordinatorOf(ctx.broker);
      return { throttleTimeMs: 0, errorCode: await coordinator.addOffsets(request) };
    } catch {
      return { throttleTimeMs: 0, errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE };
    }
  },
});
