// ListOffsets (key 2), v1-5. v1 replaced v0's list of offsets with one timestamp/offset
// pair; v2 adds isolationLevel (read_committed answers "latest" with the LSO) and
// throttleTimeMs; v4 currentLeaderEpoch / leaderEpoch; v5 only changed broker behaviour
// (OFFSET_NOT_AVAILABLE during leader changes). Flexible from v6 (not served).
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const ListOffsets: MessageSchema = {
  apiKey: 2,
  name: 'ListOffsets',
  versions: '1-5',
  flexible: '6+',
  request: [
    field('replicaId', 'int32', '0+'),
    field('isolationLevel', 'int8', '2+'),
    array(
      'topics',
      [
        field('name', 'string', '0+'),
        array(
          'partitions',
          [
            field('partitionIndex', 'int32', '0+'),
            field('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
            field('timestamp', 'int64', '0+'),
            field('maxNumOffsets', 'int32', '0', { default: 1 }),
          ],
          '0+',
        ),
      ],
      '0+',
    ),
    field('timeoutMs', 'int32', '10+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '2+'),
    array(
      'topics',
      [
        field('name', 'string', '0+'),
        array(
          'partitions',
          [
            field('partitionIndex', 'int32', '0+'),
            field('errorCode', 'int16', '0+'),
            array('oldStyleOffsets', 'int64', '0'),
            field('timestamp', 'int64', '1+', { default: -1 }),
            field('offset', 'int64', '1+', { default: -1 }),
            field('leaderEpoch', 'int32', '4+', { default: -1 }),
          ],
          '0+',
        ),
      ],
      '0+',
    ),
  ],
};
