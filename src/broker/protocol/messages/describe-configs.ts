// DescribeConfigs (key 32), v0-4. v1 adds synonyms and configSource (isDefault is v0 only);
// v3 configType and documentation; v4 is flexible. Resource type 2 = topic, 4 = broker.
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const DescribeConfigs: MessageSchema = {
  apiKey: 32,
  name: 'DescribeConfigs',
  versions: '0-4',
  flexible: '4+',
  request: [
    array(
      'resources',
      [field('resourceType', 'int8', '0+'), field('resourceName', 'string', '0+'), array('configurationKeys', 'string', '0+', { nullable: '0+' })],
      '0+',
    ),
    field('includeSynonyms', 'bool', '1+', { default: false }),
    field('includeDocumentation', 'bool', '3+', { default: false }),
  ],
  response: [
    field('throttleTimeMs', 'int32', '0+'),
    array(
      'results',
      [
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
        field('resourceType', 'int8', '0+'),
        field('resourceName', 'string', '0+'),
        array(
          'configs',
          [
            field('name', 'string', '0+'),
            field('value', 'string', '0+', { nullable: '0+' }),
            field('readOnly', 'bool', '0+'),
            field('isDefault', 'bool', '0'),
            field('configSource', 'int8', '1+', { default: -1 }),
            field('isSensitive', 'bool', '0+'),
            array('synonyms', [field('name', 'string', '1+'), field('value', 'string', '1+', { nullable: '0+' }), field('source', 'int8', '1+')], '1+'),
            field('configType', 'int8', '3+', { default: 0 }),
            field('documentation', 'string', '3+', { nullable: '0+', default: null }),
          ],
          '0+',
        ),
      ],
      '0+',
    ),
  ],
};
