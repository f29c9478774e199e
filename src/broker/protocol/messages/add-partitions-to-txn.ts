// AddPartitionsToTxn (key 24), v0-3. v1-2 changed only broker behaviour; v3 is flexible.
// (v4 batches transactions for broker-to-broker use; not served.)
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

const topic = [field('name', 'string', '0+'), array('partitions', 'int32', '0+')];
const topicResult = [
  field('name', 'string', '0+'),
  array('resultsByPartition', [field('partitionIndex', 'int32', '0+'), field('partitionErrorCode', 'int16', '0+')], '0+'),
];

export const AddPartitionsToTxn: MessageSchema = {
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  versions: '0-3',
  flexible: '3+',
  request: [
    array(
      'transactions',
      [
        field('transactionalId', 'string', '4+'),
        field('producerId', 'int64', '4+'),
        field('producerEpoch', 'int16', '4+'),
        field('verifyOnly', 'bool', '4+', { default: false }),
        array('topics', topic, '4+'),
      ],
      '4+',
    ),
    field('v3AndBelowTransactionalId', 'string', '0-3'),
    field('v3AndBelowProducerId', 'int64', '0-3'),
    field('v3AndBelowProducerEpoch', 'int16', '0-3'),
    array('v3AndBelowTopics', topic, '0-3'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '0+'),
    field('errorCode', 'int16', '4+'),
    array('resultsByTransaction', [field('transactionalId', 'string', '4+'), array('topicResults', topicResult, '4+')], '4+'),
    array('resultsByTopicV3AndBelow', topicResult, '0-3'),
  ],
};
