// OffsetCommit (key 8), v2-8. v2-4 carry retentionTimeMs (dropped in v5); v3 adds
// throttleTimeMs; v6 committedLeaderEpoch; v7 groupInstanceId; v8 is flexible.
// (v1's per-partition commitTimestamp is described for completeness.)
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const OffsetCommit: MessageSchema = {
  apiKey: 8,
  name: 'OffsetCommit',
  versions: '2-8',
  flexible: '8+',
  request: [
    field('groupId', 'string', '0+'),
    field('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
    field('memberId', 'string', '1+'),
    field('groupInstanceId', 'string', '7+', { nullable: '7+', default: null }),
    field('retentionTimeMs', 'int64', '2-4', { default: -1 }),
    array(
      'topics',
      [
        field('name', 'string', '0+'),
        array(
          'partitions',
          [
            field('partitionIndex', 'int32', '0+'),
            field('committedOffset', 'int64', '0+'),
            field('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
            field('commitTimestamp', 'int64', '1', { default: -1 }),
            field('committedMetadata', 'string', '0+', { nullable: '0+' }),
          ],
          '0+',
        ),
      ],
      '0+',
    ),
  ],
  response: [
    field('throttleTimeMs', 'int32', '3+'),
    array('topics', [field('name', 'string', '0+'), array('partitions', [field('partitionIndex', 'int32', '0+'), field('errorCode', 'int16', '0+')], '0+')], '0+'),
  ],
};
