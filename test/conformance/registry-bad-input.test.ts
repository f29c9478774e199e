// Bad input never takes the registry down: malformed schemas (42201), malformed JSON (400),
// wrong shapes (422), oversized bodies (413), bad credentials (401) and read-only users (403),
// and after all of it the registry still answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { avroUser, startRegistry, type Running } from './registry-support.js';

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('registry bad input', () => {
  let r: Running;
  before(async () => {
    r = await startRegistry({ maxBodyBytes: 64 * 1024 });
  });
  after(async () => {
    await r.close();
  });

  test('malformed schemas of every type answer 422 / 42201', async () => {
    const bad: { schema: string; schemaType?: string }[] = [
      { schema: '{"type":"record","name":"A","fields":[{"name":"x","type":"nope"}]}' },
      { schema: '{"type":"record","fields":[]}' },
      { schema: 'not json at all' },
      { schema: '{"type":"enum","name":"E","symbols":["A","A"]}' },
      { schema: '{"type":"record","name":"A","fields":[{"name":"x","type":"int","default":"str"}]}' },
      { schema: '' },
      { schema: 'message {', schemaType: 'PROTOBUF' },
      { schema: 'syntax = "proto3"; message A { Missing m = 1; }', schemaType: 'PROTOBUF' },
      { schema: '{"type":"nope"}', schemaType: 'JSON' },
      { schema: '[1,2]', schemaType: 'JSON' },
      { schema: '{"type":"string"}', schemaType: 'XML' },
    ];
    for (const body of bad) {
      const res = await r.call('POST', '/subjects/bad/versions', body);
      assert.equal(res.status, 422, body.schema);
      assert.equal((res.body as { error_code: number }).error_code, 42201, body.schema);
    }
    assert.equal((await r.call('GET', '/subjects/bad/versions')).status, 404);
  });

  test('malformed JSON bodies are 400, wrong shapes 422', async () => {
    const broken = await r.call('POST', '/subjects/x/versions', '{"schema": ');
    assert.equal(broken.status, 400);
    assert.equal((broken.body as { error_code: number }).error_code, 400);
    for (const body of ['[]', '42', '{"schema": 5}', '{"schema":"\\"int\\"","bogus":1}', '{"schema":"\\"int\\"","references":[{"name":1}]}']) {
      const res = await r.call('POST', '/subjects/x/versions', body);
      assert.equal(res.status, 422, body);
      assert.equal((res.body as { error_code: number }).error_code, 422, body);
    }
    const empty = await r.call('POST', '/subjects/x/versions', '');
    assert.equal(empty.status, 422);
    const badCfg = await r.call('PUT', '/config', { compatibility: 7 });
    assert.equal((badCfg.body as { error_code: number }).error_code, 42203);
    const badCfg2 = await r.call('PUT', '/config', '"FULL"');
    assert.equal(badCfg2.status, 422);
  });

  test('an oversized body is refused with 413', async () => {
    const big = JSON.stringify({ schema: JSON.stringify({ type: 'string', doc: 'x'.repeat(100 * 1024) }) });
    const res = await r.call('POST', '/subjects/big/versions', big);
    assert.equal(res.status, 413);
    // chunked, without Content-Length: counted as it arrives
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(r.url);
      const req = http.request(
        { host: url.hostname, port: url.port, path: '/subjects/big/versions', method: 'POST', headers: { 'Content-Type': 'application/json' }, timeout: 10_000 },
        (res2) => {
          res2.resume();
          resolve(res2.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(16 * 1024));
      req.end();
    });
    assert.equal(status, 413);
    assert.equal((await r.call('GET', '/subjects/big/versions')).status, 404);
  });

  test('garbage paths and methods do not crash the server', async () => {
    assert.equal((await r.call('PATCH', '/subjects')).status, 405);
    assert.equal((await r.call('GET', '/subjects/%E0%A4%A/versions')).status, 400);
    assert.equal((await r.call('GET', '/subjects/x/versions/99999999999')).status, 422);
    const res = await r.call('GET', '/schemas/types');
    assert.equal(res.status, 200);
  });

  test('still up and consistent after all of the above', async () => {
    const ok = await r.call('POST', '/subjects/after/versions', { schema: avroUser() });
    assert.equal(ok.status, 200);
    assert.deepEqual((await r.call('GET', '/subjects')).body, ['after']);
  });
});

describe('registry basic authentication', () => {
  let r: Running;
  before(async () => {
    r = await startRegistry({
      auth: {
        users: [
          { name: 'reader', password: 'r-secret', role: 'read' },
          { name: 'writer', password: 'w-secret', role: 'write' },
        ],
      },
    });
  });
  after(async () => {
    await r.close();
  });

  test('no or wrong credentials: 401 with a challenge', async () => {
    const none = await r.call('GET', '/subjects');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic/);
    const wrong = await r.call('GET', '/subjects', undefined, { Authorization: basic('writer', 'nope') });
    assert.equal(wrong.status, 401);
    const garbage = await r.call('GET', '/subjects', undefined, { Authorization: 'Basic !!!' });
    assert.equal(garbage.status, 401);
    const unknownUser = await r.call('POST', '/subjects/a/versions', { schema: avroUser() }, { Authorization: basic('eve', 'x') });
    assert.equal(unknownUser.status, 401);
  });

  test('read role reads, write role writes', async () => {
    const w = await r.call('POST', '/subjects/a/versions', { schema: avroUser() }, { Authorization: basic('writer', 'w-secret') });
    assert.equal(w.status, 200);
    const denied = await r.call('POST', '/subjects/b/versions', { schema: avroUser() }, { Authorization: basic('reader', 'r-secret') });
    assert.equal(denied.status, 403);
    const read = await r.call('GET', '/subjects', undefined, { Authorization: basic('reader', 'r-secret') });
    assert.deepEqual(read.body, ['a']);
    const lookup = await r.call('POST', '/subjects/a', { schema: avroUser() }, { Authorization: basic('reader', 'r-secret') });
    assert.equal(lookup.status, 200);
    const cfg = await r.call('PUT', '/config', { compatibility: 'NONE' }, { Authorization: basic('reader', 'r-secret') });
    assert.equal(cfg.status, 403);
  });
});
