// Metadata (key 3), v0-9. v1 adds rack, controllerId, isInternal and a nullable topic list
// (null = all topics; v0 uses an empty list for that); v2 clusterId; v3 throttleTimeMs;
// v4 allowAutoTopicCreation; v5 offlineReplicas; v7 leaderEpoch; v8 authorized operations;
// v9 is flexible.
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const Metadata: MessageSchema = {
  apiKey: 3,
  name: 'Metadata',
  versions: '0-9',
  flexible: '9+',
  request: [
    array('topics', [field('topicId', 'uuid', '10+'), field('name', 'string', '0+', { nullable: '10+' })], '0+', { nullable: '1+' }),
    field('allowAutoTopicCreation', 'bool', '4+', { default: true }),
    field('includeClusterAuthorizedOperations', 'bool', '8-10'),
    field('includeTopicAuthorizedOperations', 'bool', '8+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '3+'),
    array(
      'brokers',
      [
        field('nodeId', 'int32', '0+'),
        field('host', 'string', '0+'),
        field('port', 'int32', '0+'),
        field('rack', 'string', '1+', { nullable: '1+', default: null }),
      ],
      '0+',
    ),
    field('clusterId', 'string', '2+', { nullable: '2+', default: null }),
    field('controllerId', 'int32', '1+', { default: -1 }),
    array(
      'topics',
      [
        field('errorCode', 'int16', '0+'),
        field('name', 'string', '0+', { nullable: '12+' }),
        field('topicId', 'uuid', '10+'),
        field('isInternal', 'bool', '1+', { default: false }),
        array(
          'partitions',
          [
            field('errorCode', 'int16', '0+'),
            field('partitionIndex', 'int32', '0+'),
            field('leaderId', 'int32', '0+'),
            field('leaderEpoch', 'int32', '7+', { default: -1 }),
            array('replicaNodes', 'int32', '0+'),
            array('isrNodes', 'int32', '0+'),
            array('offlineReplicas', 'int32', '5+'),
          ],
          '0+',
        ),
        field('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
      ],
      '0+',
    ),
    field('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
  ],
};
