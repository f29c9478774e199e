// InitProducerId (key 22), v0-4. v2 is flexible; v3 lets a producer pass its current
// producerId/epoch to bump the epoch; v4 only changed error semantics (PRODUCER_FENCED).
import type { MessageSchema } from '../schema.js';
import { field } from '../schema.js';

export const InitProducerId: MessageSchema = {
  apiKey: 22,
  name: 'InitProducerId',
  versions: '0-4',
  flexible: '2+',
  request: [
    field('transactionalId', 'string', '0+', { nullable: '0+' }),
    field('transactionTimeoutMs', 'int32', '0+'),
    field('producerId', 'int64', '3+', { default: -1 }),
    field('producerEpoch', 'int16', '3+', { default: -1 }),
  ],
  response: [
    field('throttleTimeMs', 'int32', '0+'),
    field('errorCode', 'int16', '0+'),
    field('producerId', 'int64', '0+', { default: -1 }),
    field('producerEpoch', 'int16', '0+'),
  ],
};
