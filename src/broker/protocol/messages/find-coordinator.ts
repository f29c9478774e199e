// FindCoordinator (key 10), v0-4. v1 adds keyType (0 group, 1 transaction),
// throttleTimeMs and errorMessage; v3 is flexible; v4 batches: many coordinatorKeys in,
// one coordinators entry per key out (the single-key fields disappear).
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const FindCoordinator: MessageSchema = {
  apiKey: 10,
  name: 'FindCoordinator',
  versions: '0-4',
  flexible: '3+',
  request: [field('key', 'string', '0-3'), field('keyType', 'int8', '1+', { default: 0 }), array('coordinatorKeys', 'string', '4+')],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0-3'),
    field('errorMessage', 'string', '1-3', { nullable: '1-3', default: null }),
    field('nodeId', 'int32', '0-3'),
    field('host', 'string', '0-3'),
    field('port', 'int32', '0-3'),
    array(
      'coordinators',
      [
        field('key', 'string', '4+'),
        field('nodeId', 'int32', '4+'),
        field('host', 'string', '4+'),
        field('port', 'int32', '4+'),
        field('errorCode', 'int16', '4+'),
        field('errorMessage', 'string', '4+', { nullable: '4+', default: null }),
      ],
      '4+',
    ),
  ],
};
