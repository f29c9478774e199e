// CreateTopics (key 19), v2-7. v1 adds validateOnly and errorMessage; v2 throttleTimeMs;
// v5 is flexible and returns the created topic's partitions, replication factor and
// configs (topicConfigErrorCode tagged); v7 returns the topicId.
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const CreateTopics: MessageSchema = {
  apiKey: 19,
  name: 'CreateTopics',
  versions: '2-7',
  flexible: '5+',
  request: [
    array(
      'topics',
      [
        field('name', 'string', '0+'),
        field('numPartitions', 'int32', '0+'),
        field('replicationFactor', 'int16', '0+'),
        array('assignments', [field('partitionIndex', 'int32', '0+'), array('brokerIds', 'int32', '0+')], '0+'),
        array('configs', [field('name', 'string', '0+'), field('value', 'string', '0+', { nullable: '0+' })], '0+'),
      ],
      '0+',
    ),
    field('timeoutMs', 'int32', '0+', { default: 60000 }),
    field('validateOnly', 'bool', '1+', { default: false }),
  ],
  response: [
    field('throttleTimeMs', 'int32', '2+'),
    array(
      'topics',
      [
        field('name', 'string', '0+'),
        field('topicId', 'uuid', '7+'),
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '1+', { nullable: '0+', default: null }),
        field('topicConfigErrorCode', 'int16', '5+', { tag: 0, tagged: '5+' }),
        field('numPartitions', 'int32', '5+', { default: -1 }),
        field('replicationFactor', 'int16', '5+', { default: -1 }),
        array(
          'configs',
          [
            field('name', 'string', '5+'),
            field('value', 'string', '5+', { nullable: '5+' }),
            field('readOnly', 'bool', '5+'),
            field('configSource', 'int8', '5+', { default: -1 }),
            field('isSensitive', 'bool', '5+'),
          ],
          '5+',
          { nullable: '5+' },
        ),
      ],
      '0+',
    ),
  ],
};
