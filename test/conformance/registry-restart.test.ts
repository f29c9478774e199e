// Restart: ids, versions, deletes and configuration survive a restart of a log-backed
// registry (the compacted `_schemas` topic), and ids keep growing after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogRegistryStore } from '../../src/schema/store/log-registry-store.js';
import { avroUser, startRegistry } from './registry-support.js';

test('a log-backed registry keeps everything across restarts', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-registry-'));
  try {
    let r = await startRegistry({}, await LogRegistryStore.open({ dataDir: dir }));
    const ids: number[] = [];
    for (const fields of [[], [{ name: 'a', type: 'int', default: 0 }], [{ name: 'a', type: 'int', default: 0 }, { name: 'b', type: 'string', default: '' }]]) {
      const res = await r.call('POST', '/subjects/users-value/versions', { schema: avroUser(fields) });
      assert.equal(res.status, 200);
      ids.push((res.body as { id: number }).id);
    }
    const proto = await r.call('POST', '/subjects/orders-value/versions', { schema: 'syntax = "proto3"; message O { string id = 1; }', schemaType: 'PROTOBUF' });
    const json = await r.call('POST', '/subjects/j/versions', { schema: '{"type":"object"}', schemaType: 'JSON' });
    const gone = await r.call('POST', '/subjects/gone/versions', { schema: avroUser([{ name: 'zz', type: 'int' }]) });
    const goneId = (gone.body as { id: number }).id;
    assert.equal((await r.call('DELETE', '/subjects/gone')).status, 200);
    assert.equal((await r.call('DELETE', '/subjects/gone?permanent=true')).status, 200);
    assert.equal((await r.call('PUT', '/config', { compatibility: 'FULL_TRANSITIVE' })).status, 200);
    assert.equal((await r.call('PUT', '/config/orders-value', { compatibility: 'NONE' })).status, 200);
    assert.equal((await r.call('DELETE', '/subjects/users-value/versions/2')).status, 200);
    const before = {
      subjects: (await r.call('GET', '/subjects')).body,
      deleted: (await r.call('GET', '/subjects?deleted=true')).body,
      versions: (await r.call('GET', '/subjects/users-value/versions?deleted=true')).body,
      live: (await r.call('GET', '/subjects/users-value/versions')).body,
      v3: (await r.call('GET', '/subjects/users-value/versions/3')).body,
      proto: (await r.call('GET', `/schemas/ids/${(proto.body as { id: number }).id}`)).body,
      json: (await r.call('GET', `/schemas/ids/${(json.body as { id: number }).id}`)).body,
    };
    await r.close();

    r = await startRegistry({}, await LogRegistryStore.open({ dataDir: dir }));
    assert.deepEqual((await r.call('GET', '/subjects')).body, before.subjects);
    assert.deepEqual((await r.call('GET', '/subjects?deleted=true')).body, before.deleted);
    assert.deepEqual((await r.call('GET', '/subjects/users-value/versions?deleted=true')).body, before.versions);
    assert.deepEqual((await r.call('GET', '/subjects/users-value/versions')).body, before.live);
    assert.deepEqual((await r.call('GET', '/subjects/users-value/versions/3')).body, before.v3);
    assert.deepEqual((await r.call('GET', `/schemas/ids/${(proto.body as { id: number }).id}`)).body, before.proto);
    assert.deepEqual((await r.call('GET', `/schemas/ids/${(json.body as { id: number }).id}`)).body, before.json);
    assert.deepEqual((await r.call('GET', '/config')).body, { compatibilityLevel: 'FULL_TRANSITIVE' });
    assert.deepEqual((await r.call('GET', '/config/orders-value')).body, { compatibilityLevel: 'NONE' });
    assert.equal((await r.call('GET', `/schemas/ids/${goneId}`)).status, 404);
    // re-registering a known schema returns its old id; a new one gets an id above every id ever issued
    assert.deepEqual((await r.call('POST', '/subjects/users-value/versions', { schema: avroUser([{ name: 'a', type: 'int', default: 0 }, { name: 'b', type: 'string', default: '' }]) })).body, { id: ids[2] });
    const next = await r.call('POST', '/subjects/new/versions', { schema: avroUser([{ name: 'n', type: 'int' }]) });
    assert.equal((next.body as { id: number }).id, goneId + 1);
    // the configuration still governs: FULL_TRANSITIVE refuses a field without default
    const refused = await r.call('POST', '/subjects/users-value/versions', { schema: avroUser([{ name: 'c', type: 'int' }]) });
    assert.equal(refused.status, 409);
    await r.close();

    // a third start sees the writes of the second
    r = await startRegistry({}, await LogRegistryStore.open({ dataDir: dir }));
    assert.ok(((await r.call('GET', '/subjects')).body as string[]).includes('new'));
    await r.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
