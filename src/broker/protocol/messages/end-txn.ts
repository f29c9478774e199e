// EndTxn (key 26), v0-3. v1-2 changed only broker behaviour; v3 is flexible.
import type { MessageSchema } from '../schema.js';
import { field } from '../schema.js';

export const EndTxn: MessageSchema = {
  apiKey: 26,
  name: 'EndTxn',
  versions: '0-3',
  flexible: '3+',
  request: [
    field('transactionalId', 'string', '0+'),
    field('producerId', 'int64', '0+'),
    field('producerEpoch', 'int16', '0+'),
    field('committed', 'bool', '0+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '0+'),
    field('errorCode', 'int16', '0+'),
    field('producerId', 'int64', '5+', { default: -1 }),
    field('producerEpoch', 'int16', '5+', { default: -1 }),
  ],
};
