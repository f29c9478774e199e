// AddOffsetsToTxn (key 25), v0-3. v1-2 changed only broker behaviour; v3 is flexible.
import type { MessageSchema } from '../schema.js';
import { field } from '../schema.js';

export const AddOffsetsToTxn: MessageSchema = {
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  versions: '0-3',
  flexible: '3+',
  request: [
    field('transactionalId', 'string', '0+'),
    field('producerId', 'int64', '0+'),
    field('producerEpoch', 'int16', '0+'),
    field('groupId', 'string', '0+'),
  ],
  response: [field('throttleTimeMs', 'int32', '0+'), field('errorCode', 'int16', '0+')],
};
