// TxnOffsetCommit (key 28), v0-3. v2 adds committedLeaderEpoch; v3 is flexible and adds
// the consumer's generationId, memberId and groupInstanceId (KIP-447 fencing).
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const TxnOffsetCommit: MessageSchema = {
  apiKey: 28,
  name: 'TxnOffsetCommit',
  versions: '0-3',
  flexible: '3+',
  request: [
    field('transactionalId', 'string', '0+'),
    field('groupId', 'string', '0+'),
    field('producerId', 'int64', '0+'),
    field('producerEpoch', 'int16', '0+'),
    field('generationId', 'int32', '3+', { default: -1 }),
    field('memberId', 'string', '3+', { default: '' }),
    field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    array(
      'topics',
      [
        field('name', 'string', '0+'),
        array(
          'partitions',
          [
            field('partitionIndex', 'int32', '0+'),
            field('committedOffset', 'int64', '0+'),
            field('committedLeaderEpoch', 'int32', '2+', { default: -1 }),
            field('committedMetadata', 'string', '0+', { nullable: '0+' }),
          ],
          '0+',
        ),
      ],
      '0+',
    ),
  ],
  response: [
    field('throttleTimeMs', 'int32', '0+'),
    array('topics', [field('name', 'string', '0+'), array('partitions', [field('partitionIndex', 'int32', '0+'), field('errorCode', 'int16', '0+')], '0+')], '0+'),
  ],
};
