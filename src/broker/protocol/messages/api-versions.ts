// ApiVersions (key 18), v0-3. v1 adds throttleTimeMs; v3 is flexible (KIP-482) and adds
// the client's software name/version plus tagged feature lists in the response. The
// response header is always v0, whatever the version (see header.ts).
import type { MessageSchema } from '../schema.js';
import { array, field } from '../schema.js';

export const ApiVersions: MessageSchema = {
  apiKey: 18,
  name: 'ApiVersions',
  versions: '0-3',
  flexible: '3+',
  request: [field('clientSoftwareName', 'string', '3+'), field('clientSoftwareVersion', 'string', '3+')],
  response: [
    field('errorCode', 'int16', '0+'),
    array('apiKeys', [field('apiKey', 'int16', '0+'), field('minVersion', 'int16', '0+'), field('maxVersion', 'int16', '0+')], '0+'),
    field('throttleTimeMs', 'int32', '1+'),
    array(
      'supportedFeatures',
      [field('name', 'string', '3+'), field('minVersion', 'int16', '3+'), field('maxVersion', 'int16', '3+')],
      '3+',
      { tag: 0, tagged: '3+' },
    ),
    field('finalizedFeaturesEpoch', 'int64', '3+', { tag: 1, tagged: '3+', default: -1 }),
    array(
      'finalizedFeatures',
      [field('name', 'string', '3+'), field('maxVersionLevel', 'int16', '3+'), field('minVersionLevel', 'int16', '3+')],
      '3+',
      { tag: 2, tagged: '3+' },
    ),
    field('zkMigrationReady', 'bool', '3+', { tag: 3, tagged: '3+', default: false }),
  ],
};
