// ListGroups (key 16), v0-4. v1 adds throttleTimeMs; v3 is flexible; v4 adds a state
// filter and each group's state.
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const ListGroups: MessageSchema = {
  apiKey: 16,
  name: 'ListGroups',
  versions: '0-4',
  flexible: '3+',
  request: [array('statesFilter', 'string', '4+'), array('typesFilter', 'string', '5+')],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    array(
      'groups',
      [field('groupId', 'string', '0+'), field('protocolType', 'string', '0+'), field('groupState', 'string', '4+'), field('groupType', 'string', '5+')],
      '0+',
    ),
  ],
};
