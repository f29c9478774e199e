// Heartbeat (key 12), v0-4. v1 adds throttleTimeMs; v3 groupInstanceId; v4 is flexible.
import type { MessageSchema } from '../schema.js';
import { field } from '../schema.js';

export const Heartbeat: MessageSchema = {
  apiKey: 12,
  name: 'Heartbeat',
  versions: '0-4',
  flexible: '4+',
  request: [
    field('groupId', 'string', '0+'),
    field('generationId', 'int32', '0+'),
    field('memberId', 'string', '0+'),
    field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  ],
  response: [field('throttleTimeMs', 'int32', '1+'), field('errorCode', 'int16', '0+')],
};
