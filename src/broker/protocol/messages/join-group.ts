// JoinGroup (key 11), v0-6. v1 adds rebalanceTimeoutMs; v2 throttleTimeMs; v4 requires a
// known member id (MEMBER_ID_REQUIRED on first join); v5 static membership
// (groupInstanceId); v6 is flexible.
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const JoinGroup: MessageSchema = {
  apiKey: 11,
  name: 'JoinGroup',
  versions: '0-6',
  flexible: '6+',
  request: [
    field('groupId', 'string', '0+'),
    field('sessionTimeoutMs', 'int32', '0+'),
    field('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
    field('memberId', 'string', '0+'),
    field('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
    field('protocolType', 'string', '0+'),
    array('protocols', [field('name', 'string', '0+'), field('metadata', 'bytes', '0+')], '0+'),
    field('reason', 'string', '8+', { nullable: '8+', default: null }),
  ],
  response: [
    field('throttleTimeMs', 'int32', '2+'),
    field('errorCode', 'int16', '0+'),
    field('generationId', 'int32', '0+', { default: -1 }),
    field('protocolType', 'string', '7+', { nullable: '7+', default: null }),
    field('protocolName', 'string', '0+', { nullable: '7+' }),
    field('leader', 'string', '0+'),
    field('skipAssignment', 'bool', '9+', { default: false }),
    field('memberId', 'string', '0+'),
    array(
      'members',
      [
        field('memberId', 'string', '0+'),
        field('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
        field('metadata', 'bytes', '0+'),
      ],
      '0+',
    ),
  ],
};
