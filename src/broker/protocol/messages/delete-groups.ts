// DeleteGroups (key 42), v0-2. v1 changed only throttling behaviour; v2 is flexible.
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const DeleteGroups: MessageSchema = {
  apiKey: 42,
  name: 'DeleteGroups',
  versions: '0-2',
  flexible: '2+',
  request: [array('groupsNames', 'string', '0+')],
  response: [field('throttleTimeMs', 'int32', '0+'), array('results', [field('groupId', 'string', '0+'), field('errorCode', 'int16', '0+')], '0+')],
};
