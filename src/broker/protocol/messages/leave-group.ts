// LeaveGroup (key 13), v0-4. v1 adds throttleTimeMs; v3 batches members (memberId moves
// into a members list with groupInstanceId, per-member errors in the response); v4 is
// flexible.
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const LeaveGroup: MessageSchema = {
  apiKey: 13,
  name: 'LeaveGroup',
  versions: '0-4',
  flexible: '4+',
  request: [
    field('groupId', 'string', '0+'),
    field('memberId', 'string', '0-2'),
    array(
      'members',
      [
        field('memberId', 'string', '3+'),
        field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
        field('reason', 'string', '5+', { nullable: '5+', default: null }),
      ],
      '3+',
    ),
  ],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    array(
      'members',
      [field('memberId', 'string', '3+'), field('groupInstanceId', 'string', '3+', { nullable: '3+' }), field('errorCode', 'int16', '3+')],
      '3+',
    ),
  ],
};
