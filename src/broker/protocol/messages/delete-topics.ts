// DeleteTopics (key 20), v1-6. v1 adds throttleTimeMs; v4 is flexible; v5 errorMessage;
// v6 addresses topics by name or topicId (the plain name list disappears).
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const DeleteTopics: MessageSchema = {
  apiKey: 20,
  name: 'DeleteTopics',
  versions: '1-6',
  flexible: '4+',
  request: [
    array('topics', [field('name', 'string', '6+', { nullable: '6+', default: null }), field('topicId', 'uuid', '6+')], '6+'),
    array('topicNames', 'string', '0-5'),
    field('timeoutMs', 'int32', '0+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    array(
      'responses',
      [
        field('name', 'string', '0+', { nullable: '6+' }),
        field('topicId', 'uuid', '6+'),
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '5+', { nullable: '5+', default: null }),
      ],
      '0+',
    ),
  ],
};
