// OffsetFetch (key 9), v1-8. v2 adds a top-level errorCode and a nullable topic list (null =
// all committed offsets of the group); v3 throttleTimeMs; v5 committedLeaderEpoch; v6 is
// flexible; v7 requireStable; v8 batches several groups per request (the single-group
// fields disappear).
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const OffsetFetch: MessageSchema = {
  apiKey: 9,
  name: 'OffsetFetch',
  versions: '1-8',
  flexible: '6+',
  request: [
    field('groupId', 'string', '0-7'),
    array('topics', [field('name', 'string', '0-7'), array('partitionIndexes', 'int32', '0-7')], '0-7', { nullable: '2-7' }),
    array(
      'groups',
      [
        field('groupId', 'string', '8+'),
        field('memberId', 'string', '9+', { nullable: '9+', default: null }),
        field('memberEpoch', 'int32', '9+', { default: -1 }),
        array('topics', [field('name', 'string', '8+'), array('partitionIndexes', 'int32', '8+')], '8+', { nullable: '8+' }),
      ],
      '8+',
    ),
    field('requireStable', 'bool', '7+', { default: false }),
  ],
  response: [
    field('throttleTimeMs', 'int32', '3+'),
    array(
      'topics',
      [
        field('name', 'string', '0-7'),
        array(
          'partitions',
          [
            field('partitionIndex', 'int32', '0-7'),
            field('committedOffset', 'int64', '0-7'),
            field('committedLeaderEpoch', 'int32', '5-7', { default: -1 }),
            field('metadata', 'string', '0-7', { nullable: '0-7' }),
            field('errorCode', 'int16', '0-7'),
          ],
          '0-7',
        ),
      ],
      '0-7',
    ),
    field('errorCode', 'int16', '2-7', { default: 0 }),
    array(
      'groups',
      [
        field('groupId', 'string', '8+'),
        array(
          'topics',
          [
            field('name', 'string', '8+'),
            array(
              'partitions',
              [
                field('partitionIndex', 'int32', '8+'),
                field('committedOffset', 'int64', '8+'),
                field('committedLeaderEpoch', 'int32', '8+', { default: -1 }),
                field('metadata', 'string', '8+', { nullable: '8+' }),
                field('errorCode', 'int16', '8+'),
              ],
              '8+',
            ),
          ],
          '8+',
        ),
        field('errorCode', 'int16', '8+', { default: 0 }),
      ],
      '8+',
    ),
  ],
};
