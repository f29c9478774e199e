// InitProducerId (key 22), versions 0-4.
//   v0: transactionalId (null = idempotent producer) and transactionTimeoutMs.
//   v1: no wire change.   v2: flexible.
//   v3: + producerId/producerEpoch: a producer naming its current pair bumps its epoch
//       (KIP-360); a stale pair is fenced.
//   v4: a fenced producer gets PRODUCER_FENCED (90) instead of INVALID_PRODUCER_EPOCH (47).
// Idempotent producers get a fresh id (unique across restarts); a transactional id keeps its
// id with epoch + 1, which fences the older producer and aborts its open transaction first.
import { KafkaError } from '../protocol/error-codes.js';
import { InitProducerId } from '../protocol/messages.js';
import { transactionCoordinatorOf } from '../txn/broker-transactions.js';
import { defineHandler } from './handler.js';

interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId: number;
  producerEpoch: number;
}

interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export const handler = defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: InitProducerId.apiKey,
  minVersion: 0,
  maxVersion: 4,
  schema: InitProducerId,
  async handle(request, ctx) {
    let coordinator;
    try {
      coordinator = await transactionCoordinatorOf(ctx.broker);
    } catch {
      return { throttleTimeMs: 0, errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 };
    }
    const r = await coordinator.initProducerId({
      transactionalId: request.transactionalId,
      transactionTimeoutMs: request.transactionTimeoutMs,
      producerId: ctx.version >= 3 ? request.producerId : -1,
      producerEpoch: ctx.version >= 3 ? request.producerEpoch : -1,
    });
    const errorCode = ctx.version >= 4 && r.errorCode === KafkaError.INVALID_PRODUCER_EPOCH ? KafkaError.PRODUCER_FENCED : r.errorCode;
    return { throttleTimeMs: 0, errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch };
  },
});
