// Every endpoint of the Confluent Schema Registry API against its documented requests and
// answers, including the error codes, over real HTTP on loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { avroUser, startRegistry, type Running } from './registry-support.js';

const V1 = avroUser();
const V2 = avroUser([{ name: 'email', type: ['null', 'string'], default: null }]);
const PROTO = 'syntax = "proto3";\npackage shop;\nmessage Order {\n  string id = 1;\n  int64 cents = 2;\n}\n';
const JSONS = JSON.stringify({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false });

describe('registry REST API', () => {
  let r: Running;
  before(async () => {
    r = await startRegistry();
  });
  after(async () => {
    await r.close();
  });

  test('GET /schemas/types lists the three types', async () => {
    const res = await r.call('GET', '/schemas/types');
    assert.equal(res.status, 200);
    assert.deepEqual([...(res.body as string[])].sort(), ['AVRO', 'JSON', 'PROTOBUF']);
    assert.match(res.headers.get('content-type') ?? '', /application\/vnd\.schemaregistry\.v1\+json/);
  });

  test('register, list, get by version and by id', async () => {
    assert.deepEqual((await r.call('GET', '/subjects')).body, []);
    const reg = await r.call('POST', '/subjects/users-value/versions', { schema: V1 });
    assert.equal(reg.status, 200);
    assert.deepEqual(reg.body, { id: 1 });
    // same schema, different whitespace: same id, no new version
    const again = await r.call('POST', '/subjects/users-value/versions', { schema: JSON.stringify(JSON.parse(V1), null, 2) });
    assert.deepEqual(again.body, { id: 1 });
    assert.deepEqual((await r.call('GET', '/subjects/users-value/versions')).body, [1]);
    const reg2 = await r.call('POST', '/subjects/users-value/versions', { schema: V2, schemaType: 'AVRO' });
    assert.deepEqual(reg2.body, { id: 2 });
    assert.deepEqual((await r.call('GET', '/subjects')).body, ['users-value']);
    assert.deepEqual((await r.call('GET', '/subjects/users-value/versions')).body, [1, 2]);
    const v1 = await r.call('GET', '/subjects/users-value/versions/1');
    assert.deepEqual(v1.body, { subject: 'users-value', version: 1, id: 1, schema: JSON.stringify(JSON.parse(V1)) });
    const latest = await r.call('GET', '/subjects/users-value/versions/latest');
    assert.equal((latest.body as { version: number }).version, 2);
    const minus1 = await r.call('GET', '/subjects/users-value/versions/-1');
    assert.equal((minus1.body as { version: number }).version, 2);
    const raw = await r.call('GET', '/subjects/users-value/versions/1/schema');
    assert.deepEqual(raw.body, JSON.parse(V1));
    assert.deepEqual((await r.call('GET', '/schemas/ids/2')).body, { schema: JSON.stringify(JSON.parse(V2)) });
    assert.deepEqual((await r.call('GET', '/schemas/ids/2/schema')).body, JSON.parse(V2));
    // the same schema under another subject keeps its global id
    assert.deepEqual((await r.call('POST', '/subjects/other/versions', { schema: V1 })).body, { id: 1 });
    assert.deepEqual((await r.call('GET', '/schemas/ids/1/subjects')).body, ['other', 'users-value']);
    assert.deepEqual((await r.call('GET', '/schemas/ids/1/versions')).body, [
      { subject: 'other', version: 1 },
      { subject: 'users-value', version: 1 },
    ]);
  });

  test('protobuf and JSON schemas carry schemaType', async () => {
    const p = await r.call('POST', '/subjects/orders-value/versions', { schema: PROTO, schemaType: 'PROTOBUF' });
    assert.equal(p.status, 200);
    const id = (p.body as { id: number }).id;
    const got = await r.call('GET', `/schemas/ids/${id}`);
    assert.deepEqual(got.body, { schemaType: 'PROTOBUF', schema: PROTO.trim() });
    assert.equal((await r.call('GET', `/schemas/ids/${id}/schema`)).body, PROTO.trim());
    // comments and whitespace do not make a new schema
    const same = await r.call('POST', '/subjects/orders-value/versions', {
      schema: PROTO.replace('message Order {', '// an order\nmessage   Order {'),
      schemaType: 'PROTOBUF',
    });
    assert.deepEqual(same.body, { id });
    const j = await r.call('POST', '/subjects/j-value/versions', { schema: JSONS, schemaType: 'JSON' });
    assert.equal(j.status, 200);
    const jv = await r.call('GET', '/subjects/j-value/versions/1');
    assert.equal((jv.body as { schemaType: string }).schemaType, 'JSON');
  });

  test('POST /subjects/{s} looks a schema up', async () => {
    const found = await r.call('POST', '/subjects/users-value', { schema: V2 });
    assert.equal(found.status, 200);
    assert.deepEqual(found.body, { subject: 'users-value', version: 2, id: 2, schema: JSON.stringify(JSON.parse(V2)) });
    const missing = await r.call('POST', '/subjects/users-value', { schema: avroUser([{ name: 'x', type: 'int', default: 0 }]) });
    assert.equal(missing.status, 404);
    assert.equal((missing.body as { error_code: number }).error_code, 40403);
    const noSubject = await r.call('POST', '/subjects/nope', { schema: V1 });
    assert.equal(noSubject.status, 404);
    assert.equal((noSubject.body as { error_code: number }).error_code, 40401);
  });

  test('not-found and invalid-version errors', async () => {
    const cases: [string, number, number][] = [
      ['/subjects/nope/versions', 404, 40401],
      ['/subjects/nope/versions/1', 404, 40401],
      ['/subjects/users-value/versions/99', 404, 40402],
      ['/subjects/users-value/versions/0', 422, 42202],
      ['/subjects/users-value/versions/abc', 422, 42202],
      ['/subjects/users-value/versions/2147483648', 422, 42202],
      ['/schemas/ids/999', 404, 40403],
      ['/schemas/ids/999/schema', 404, 40403],
      ['/schemas/ids/999/subjects', 404, 40403],
      ['/schemas/ids/x', 404, 40403],
    ];
    for (const [path, status, code] of cases) {
      const res = await r.call('GET', path);
      assert.equal(res.status, status, path);
      const body = res.body as { error_code: number; message: string };
      assert.equal(body.error_code, code, path);
      assert.equal(typeof body.message, 'string');
    }
    const unknownRoute = await r.call('GET', '/no/such/thing');
    assert.equal(unknownRoute.status, 404);
  });

  test('config: global and per subject, defaultToGlobal, invalid level', async () => {
    assert.deepEqual((await r.call('GET', '/config')).body, { compatibilityLevel: 'BACKWARD' });
    assert.deepEqual((await r.call('PUT', '/config', { compatibility: 'FULL' })).body, { compatibility: 'FULL' });
    assert.deepEqual((await r.call('GET', '/config')).body, { compatibilityLevel: 'FULL' });
    const noOwn = await r.call('GET', '/config/users-value');
    assert.equal(noOwn.status, 404);
    assert.equal((noOwn.body as { error_code: number }).error_code, 40408);
    assert.deepEqual((await r.call('GET', '/config/users-value?defaultToGlobal=true')).body, { compatibilityLevel: 'FULL' });
    assert.deepEqual((await r.call('PUT', '/config/users-value', { compatibility: 'NONE' })).body, { compatibility: 'NONE' });
    assert.deepEqual((await r.call('GET', '/config/users-value')).body, { compatibilityLevel: 'NONE' });
    const bad = await r.call('PUT', '/config/users-value', { compatibility: 'SIDEWAYS' });
    assert.equal(bad.status, 422);
    assert.equal((bad.body as { error_code: number }).error_code, 42203);
    assert.deepEqual((await r.call('DELETE', '/config/users-value')).body, { compatibilityLevel: 'NONE' });
    assert.equal((await r.call('GET', '/config/users-value')).status, 404);
    assert.deepEqual((await r.call('DELETE', '/config')).body, { compatibilityLevel: 'FULL' });
    assert.deepEqual((await r.call('GET', '/config')).body, { compatibilityLevel: 'BACKWARD' });
  });

  test('incompatible registration is 409 and names the field', async () => {
    const bad = await r.call('POST', '/subjects/users-value/versions', { schema: avroUser([{ name: 'age', type: 'int' }]) });
    assert.equal(bad.status, 409);
    const body = bad.body as { error_code: number; message: string };
    assert.equal(body.error_code, 409);
    assert.match(body.message, /age/);
    assert.deepEqual((await r.call('GET', '/subjects/users-value/versions')).body, [1, 2]);
  });

  test('compatibility endpoint, verbose messages', async () => {
    const good = await r.call('POST', '/compatibility/subjects/users-value/versions/latest', {
      schema: avroUser([{ name: 'email', type: ['null', 'string'], default: null }, { name: 'n', type: 'int', default: 1 }]),
    });
    assert.deepEqual(good.body, { is_compatible: true });
    const bad = await r.call('POST', '/compatibility/subjects/users-value/versions/1?verbose=true', {
      schema: avroUser([{ name: 'age', type: 'int' }]),
    });
    const b = bad.body as { is_compatible: boolean; messages: string[] };
    assert.equal(b.is_compatible, false);
    assert.ok(b.messages.some((m) => m.includes("'age'")), b.messages.join('\n'));
    const all = await r.call('POST', '/compatibility/subjects/users-value/versions', { schema: V2 });
    assert.deepEqual(all.body, { is_compatible: true });
    const noVersion = await r.call('POST', '/compatibility/subjects/users-value/versions/42', { schema: V2 });
    assert.equal((noVersion.body as { error_code: number }).error_code, 40402);
    const noSubject = await r.call('POST', '/compatibility/subjects/nope/versions/latest', { schema: V2 });
    assert.equal((noSubject.body as { error_code: number }).error_code, 40401);
  });

  test('references and referencedby', async () => {
    const addr = JSON.stringify({ type: 'record', name: 'Address', namespace: 'com.example', fields: [{ name: 'city', type: 'string' }] });
    const a = await r.call('POST', '/subjects/address/versions', { schema: addr });
    assert.equal(a.status, 200);
    const person = JSON.stringify({
      type: 'record',
      name: 'Person',
      namespace: 'com.example',
      fields: [{ name: 'home', type: 'com.example.Address' }],
    });
    const refs = [{ name: 'com.example.Address', subject: 'address', version: 1 }];
    const p = await r.call('POST', '/subjects/person/versions', { schema: person, references: refs });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    const pid = (p.body as { id: number }).id;
    assert.deepEqual((await r.call('GET', '/subjects/address/versions/1/referencedby')).body, [pid]);
    const got = await r.call('GET', '/subjects/person/versions/1');
    assert.deepEqual((got.body as { references: unknown }).references, refs);
    // without its reference the schema does not parse
    const noRef = await r.call('POST', '/subjects/person2/versions', { schema: person });
    assert.equal((noRef.body as { error_code: number }).error_code, 42201);
    // a referenced version cannot be deleted
    const del = await r.call('DELETE', '/subjects/address/versions/1');
    assert.equal(del.status, 422);
    assert.equal((del.body as { error_code: number }).error_code, 42206);
  });

  test('soft and hard deletes follow the 4040x rules', async () => {
    await r.call('POST', '/subjects/del/versions', { schema: V1 });
    await r.call('POST', '/subjects/del/versions', { schema: V2 });
    // hard before soft: 40407 for a version, 40405 for a subject
    let res = await r.call('DELETE', '/subjects/del/versions/1?permanent=true');
    assert.equal((res.body as { error_code: number }).error_code, 40407);
    res = await r.call('DELETE', '/subjects/del?permanent=true');
    assert.equal((res.body as { error_code: number }).error_code, 40405);
    res = await r.call('DELETE', '/subjects/del/versions/1');
    assert.equal(res.status, 200);
    assert.equal(res.body, 1);
    res = await r.call('DELETE', '/subjects/del/versions/1');
    assert.equal((res.body as { error_code: number }).error_code, 40406);
    assert.deepEqual((await r.call('GET', '/subjects/del/versions')).body, [2]);
    assert.deepEqual((await r.call('GET', '/subjects/del/versions?deleted=true')).body, [1, 2]);
    assert.equal((await r.call('GET', '/subjects/del/versions/1')).status, 404);
    assert.equal((await r.call('GET', '/subjects/del/versions/1?deleted=true')).status, 200);
    res = await r.call('DELETE', '/subjects/del/versions/1?permanent=true');
    assert.equal(res.body, 1);
    assert.deepEqual((await r.call('GET', '/subjects/del/versions?deleted=true')).body, [2]);
    res = await r.call('DELETE', '/subjects/del');
    assert.deepEqual(res.body, [2]);
    assert.ok(!((await r.call('GET', '/subjects')).body as string[]).includes('del'));
    assert.ok(((await r.call('GET', '/subjects?deleted=true')).body as string[]).includes('del'));
    res = await r.call('DELETE', '/subjects/del');
    assert.equal((res.body as { error_code: number }).error_code, 40404);
    res = await r.call('DELETE', '/subjects/del?permanent=true');
    assert.deepEqual(res.body, [2]);
    res = await r.call('DELETE', '/subjects/del');
    assert.equal((res.body as { error_code: number }).error_code, 40401);
    res = await r.call('DELETE', '/subjects/users-value/versions/77');
    assert.equal((res.body as { error_code: number }).error_code, 40402);
    res = await r.call('DELETE', '/subjects/users-value/versions/zero');
    assert.equal((res.body as { error_code: number }).error_code, 42202);
    // ids never go backwards after a hard delete of the highest one
    const gone = await r.call('POST', '/subjects/gone/versions', { schema: avroUser([{ name: 'gone', type: 'int' }]) });
    const goneId = (gone.body as { id: number }).id;
    await r.call('DELETE', '/subjects/gone');
    await r.call('DELETE', '/subjects/gone?permanent=true');
    assert.equal((await r.call('GET', `/schemas/ids/${goneId}`)).status, 404);
    const fresh = await r.call('POST', '/subjects/fresh/versions', { schema: avroUser([{ name: 'q', type: 'int' }]) });
    assert.equal((fresh.body as { id: number }).id, goneId + 1);
  });

  test('mode endpoints: READONLY refuses writes', async () => {
    assert.deepEqual((await r.call('GET', '/mode')).body, { mode: 'READWRITE' });
    assert.deepEqual((await r.call('PUT', '/mode/ro', { mode: 'READONLY' })).body, { mode: 'READONLY' });
    const refused = await r.call('POST', '/subjects/ro/versions', { schema: V1 });
    assert.equal((refused.body as { error_code: number }).error_code, 42205);
    assert.equal((await r.call('PUT', '/mode', { mode: 'SOMETIMES' })).status, 422);
    assert.deepEqual((await r.call('DELETE', '/mode/ro')).body, { mode: 'READONLY' });
    assert.equal((await r.call('POST', '/subjects/ro/versions', { schema: V1 })).status, 200);
  });

  test('application/json is accepted, other body types are not', async () => {
    const ok = await r.call('POST', '/subjects/ct/versions', { schema: V1 }, { 'Content-Type': 'application/json' });
    assert.equal(ok.status, 200);
    const bad = await r.call('POST', '/subjects/ct/versions', 'schema', { 'Content-Type': 'text/plain' });
    assert.equal(bad.status, 415);
  });
});
