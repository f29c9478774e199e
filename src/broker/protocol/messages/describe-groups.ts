// DescribeGroups (key 15), v0-5. v1 adds throttleTimeMs; v3 authorized operations; v4
// groupInstanceId per member; v5 is flexible.
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const DescribeGroups: MessageSchema = {
  apiKey: 15,
  name: 'DescribeGroups',
  versions: '0-5',
  flexible: '5+',
  request: [array('groups', 'string', '0+'), field('includeAuthorizedOperations', 'bool', '3+')],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    array(
      'groups',
      [
        field('errorCode', 'int16', '0+'),
        field('groupId', 'string', '0+'),
        field('groupState', 'string', '0+'),
        field('protocolType', 'string', '0+'),
        field('protocolData', 'string', '0+'),
        array(
          'members',
          [
            field('memberId', 'string', '0+'),
            field('groupInstanceId', 'string', '4+', { nullable: '4+', default: null }),
            field('clientId', 'string', '0+'),
            field('clientHost', 'string', '0+'),
            field('memberMetadata', 'bytes', '0+'),
            field('memberAssignment', 'bytes', '0+'),
          ],
          '0+',
        ),
        field('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
      ],
      '0+',
    ),
  ],
};
