// SyncGroup (key 14), v0-4. v1 adds throttleTimeMs; v3 groupInstanceId; v4 is flexible.
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const SyncGroup: MessageSchema = {
  apiKey: 14,
  name: 'SyncGroup',
  versions: '0-4',
  flexible: '4+',
  request: [
    field('groupId', 'string', '0+'),
    field('generationId', 'int32', '0+'),
    field('memberId', 'string', '0+'),
    field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    field('protocolType', 'string', '5+', { nullable: '5+', default: null }),
    field('protocolName', 'string', '5+', { nullable: '5+', default: null }),
    array('assignments', [field('memberId', 'string', '0+'), field('assignment', 'bytes', '0+')], '0+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    field('protocolType', 'string', '5+', { nullable: '5+', default: null }),
    field('protocolName', 'string', '5+', { nullable: '5+', default: null }),
    field('assignment', 'bytes', '0+'),
  ],
};
