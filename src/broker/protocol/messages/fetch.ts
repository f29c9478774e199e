// Fetch (key 1), v4-12. v4 adds isolationLevel, lastStableOffset and abortedTransactions
// (read_committed); v5 logStartOffset; v7 fetch sessions (sessionId/epoch, forgotten
// topics) and a top-level errorCode; v9 currentLeaderEpoch; v11 rackId and
// preferredReadReplica; v12 is flexible (tagged clusterId, divergingEpoch, currentLeader,
// snapshotId) and adds lastFetchedEpoch.
import type { MessageSchema } from '../schema.js';
import { array, field, struct } from '../schema.js';

export const Fetch: MessageSchema = {
  apiKey: 1,
  name: 'Fetch',
  versions: '4-12',
  flexible: '12+',
  request: [
    field('clusterId', 'string', '12+', { nullable: '12+', tag: 0, tagged: '12+', default: null }),
    field('replicaId', 'int32', '0-14', { default: -1 }),
    field('maxWaitMs', 'int32', '0+'),
    field('minBytes', 'int32', '0+'),
    field('maxBytes', 'int32', '3+', { default: 0x7fffffff }),
    field('isolationLevel', 'int8', '4+', { default: 0 }),
    field('sessionId', 'int32', '7+', { default: 0 }),
    field('sessionEpoch', 'int32', '7+', { default: -1 }),
    array(
      'topics',
      [
        field('topic', 'string', '0-12'),
        field('topicId', 'uuid', '13+'),
        array(
          'partitions',
          [
            field('partition', 'int32', '0+'),
            field('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
            field('fetchOffset', 'int64', '0+'),
            field('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
            field('logStartOffset', 'int64', '5+', { default: -1 }),
            field('partitionMaxBytes', 'int32', '0+'),
          ],
          '0+',
        ),
      ],
      '0+',
    ),
    array('forgottenTopicsData', [field('topic', 'string', '7-12'), field('topicId', 'uuid', '13+'), array('partitions', 'int32', '7+')], '7+'),
    field('rackId', 'string', '11+', { default: '' }),
  ],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '7+'),
    field('sessionId', 'int32', '7+', { default: 0 }),
    array(
      'responses',
      [
        field('topic', 'string', '0-12'),
        field('topicId', 'uuid', '13+'),
        array(
          'partitions',
          [
            field('partitionIndex', 'int32', '0+'),
            field('errorCode', 'int16', '0+'),
            field('highWatermark', 'int64', '0+'),
            field('lastStableOffset', 'int64', '4+', { default: -1 }),
            field('logStartOffset', 'int64', '5+', { default: -1 }),
            struct('divergingEpoch', [field('epoch', 'int32', '12+', { default: -1 }), field('endOffset', 'int64', '12+', { default: -1 })], '12+', {
              tag: 0,
              tagged: '12+',
            }),
            struct('currentLeader', [field('leaderId', 'int32', '12+', { default: -1 }), field('leaderEpoch', 'int32', '12+', { default: -1 })], '12+', {
              tag: 1,
              tagged: '12+',
            }),
            struct('snapshotId', [field('endOffset', 'int64', '0+', { default: -1 }), field('epoch', 'int32', '0+', { default: -1 })], '12+', {
              tag: 2,
              tagged: '12+',
            }),
            array('abortedTransactions', [field('producerId', 'int64', '4+'), field('firstOffset', 'int64', '4+')], '4+', { nullable: '4+' }),
            field('preferredReadReplica', 'int32', '11+', { default: -1 }),
            field('records', 'records', '0+', { nullable: '0+' }),
          ],
          '0+',
        ),
      ],
      '0+',
    ),
  ],
};
