// Produce (key 0), v3-9. v3 adds transactionalId (and requires RecordBatch v2, the only
// format Sluice stores); v5 adds logStartOffset; v8 per-batch recordErrors and errorMessage;
// v9 is flexible. (v4, v6, v7 changed only error semantics on the broker side.)
import type { MessageSchema } from '../schema.js';
import { array, field, struct } from '../schema.js';

export const Produce: MessageSchema = {
  apiKey: 0,
  name: 'Produce',
  versions: '3-9',
  flexible: '9+',
  request: [
    field('transactionalId', 'string', '3+', { nullable: '3+', default: null }),
    field('acks', 'int16', '0+'),
    field('timeoutMs', 'int32', '0+'),
    array(
      'topicData',
      [
        field('name', 'string', '0+'),
        array('partitionData', [field('index', 'int32', '0+'), field('records', 'records', '0+', { nullable: '0+' })], '0+'),
      ],
      '0+',
    ),
  ],
  response: [
    array(
      'responses',
      [
        field('name', 'string', '0+'),
        array(
          'partitionResponses',
          [
            field('index', 'int32', '0+'),
            field('errorCode', 'int16', '0+'),
            field('baseOffset', 'int64', '0+'),
            field('logAppendTimeMs', 'int64', '2+', { default: -1 }),
            field('logStartOffset', 'int64', '5+', { default: -1 }),
            array(
              'recordErrors',
              [field('batchIndex', 'int32', '8+'), field('batchIndexErrorMessage', 'string', '8+', { nullable: '8+', default: null })],
              '8+',
            ),
            field('errorMessage', 'string', '8+', { nullable: '8+', default: null }),
            struct(
              'currentLeader',
              [field('leaderId', 'int32', '10+', { default: -1 }), field('leaderEpoch', 'int32', '10+', { default: -1 })],
              '10+',
              { tag: 0, tagged: '10+' },
            ),
          ],
          '0+',
        ),
      ],
      '0+',
    ),
    field('throttleTimeMs', 'int32', '1+', { default: 0 }),
  ],
};
