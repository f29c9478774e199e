// EndTxn (key 26), versions 0-3.
//   v1-2: only broker behaviour changed.   v3: flexible.
// Commit or abort: the decision is made durable, then a marker goes to every partition of
// the transaction and the pending offsets are applied (commit) or dropped (abort). The
// answer comes after the markers, so a read_committed consumer sees the outcome at once.
import { KafkaError } from '../protocol/error-codes.js';
import { EndTxn } from '../protocol/messages.js';
import { transactionCoordinatorOf } from '../txn/broker-transactions.js';
import { defineHandler } from './handler.js';

interface EndTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  committed: boolean;
}

export const handler = defineHandler<EndTxnRequest, { throttleTimeMs: number; errorCode: number }>({
  apiKey: EndTxn.apiKey,
  minVersion: 0,
  maxVersion: 3,
  schema: EndTxn,
  async handle(request, ctx) {
    try {
      const coordinator = await transactionCoordinatorOf(ctx.broker);
      const errorCode = await coordinator.endTxn({
        transactionalId: request.transactionalId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        commit: request.committed,
      });
      return { throttleTimeMs: 0, errorCode };
    } catch {
      return { throttleTimeMs: 0, errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE };
    }
  },
});
