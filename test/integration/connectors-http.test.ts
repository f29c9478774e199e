// HTTP ingest into the embedded log: accepted bodies (object, array, NDJSON) land at the
// offsets the answer names; malformed JSON (400 with an error body), oversized bodies (413)
// and a record failing validation (422, reported by index) write nothing at all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from '../../src/log/log.js';
import { decodeBatches } from '../../src/codec/record-batch.js';
import type { HttpIngestServer } from '../../src/connectors/http/http-ingest.js';
import { startHttpIngest } from '../../src/connectors/http/http-ingest.js';

let dir: string;
let log: Log;
let server: HttpIngestServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-http-'));
  log = await Log.open({ dataDir: dir });
  await log.createTopic('events', 1);
  server = await startHttpIngest({
    log,
    maxBodyBytes: 4096,
    keyField: 'user',
    validate: (r) => (typeof r === 'object' && r !== null && typeof (r as { user?: unknown }).user === 'string' ? undefined : 'needs a string "user"'),
    jsonSchema: { type: 'object', properties: { n: { type: 'integer', minimum: 0 } } },
  });
});

after(async () => {
  await server.close();
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(body: string | Buffer, contentType = 'application/json', path = '/topics/events'): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': contentType } });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

async function stored(): Promise<{ key: string | null; value: unknown; offset: number }[]> {
  const p = log.partition('events', 0);
  if (p.highWatermark === 0) return [];
  const res = await p.read(0, { maxBytes: 1 << 20 });
  return decodeBatches(res.records).flatMap((b) => b.records.map((r) => ({ key: r.key?.toString() ?? null, value: JSON.parse(r.value!.toString()) as unknown, offset: r.offset })));
}

test('object, array and NDJSON bodies are appended; the answer gives count and offsets', async () => {
  const a = await post(JSON.stringify({ user: 'ann', n: 1 }));
  assert.equal(a.status, 200);
  assert.deepEqual(a.json, { accepted: 1, topic: 'events', partition: 0, baseOffset: 0, lastOffset: 0 });
  const b = await post(JSON.stringify([{ user: 'bob', n: 2 }, { user: 'cy', n: 3 }]));
  assert.deepEqual(b.json, { accepted: 2, topic: 'events', partition: 0, baseOffset: 1, lastOffset: 2 });
  const c = await post('{"user":"dee","n":4}\n\n{"user":"eve","n":5}\n', 'application/x-ndjson');
  assert.deepEqual(c.json, { accepted: 2, topic: 'events', partition: 0, baseOffset: 3, lastOffset: 4 });
  const recs = await stored();
  assert.deepEqual(
    recs.map((r) => [r.offset, r.key, (r.value as { n: number }).n]),
    [[0, 'ann', 1], [1, 'bob', 2], [2, 'cy', 3], [3, 'dee', 4], [4, 'eve', 5]],
  );
});

test('refused requests write nothing: malformed JSON 400, oversized 413, invalid record 422 by index', async () => {
  const before = (await stored()).length;
  const bad = await post('[{"user":"x","n":1}, {"user": ');
  assert.equal(bad.status, 400);
  assert.equal((bad.json.error as { code: string }).code, 'MALFORMED_JSON');
  assert.match((bad.json.error as { message: string }).message, /malformed JSON/);

  const badLine = await post('{"user":"x","n":1}\n{nope}\n', 'application/x-ndjson');
  assert.equal(badLine.status, 400);
  assert.equal((badLine.json.error as { line: number }).line, 2);

  const big = await post(JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ user: 'u', n: i }))));
  assert.equal(big.status, 413);
  assert.equal((big.json.error as { code: string }).code, 'PAYLOAD_TOO_LARGE');

  const invalid = await post(JSON.stringify([{ user: 'ok', n: 1 }, { user: 'ok2', n: 2 }, { n: 3 }, { user: 'neg', n: -1 }]));
  assert.equal(invalid.status, 422);
  const err = invalid.json.error as { code: string; failures: { index: number; message: string }[] };
  assert.equal(err.code, 'VALIDATION_FAILED');
  assert.deepEqual(
    err.failures.map((f) => f.index),
    [2, 3],
  );
  assert.match(err.failures[0]!.message, /user/);
  assert.match(err.failures[1]!.message, /n/);

  const utf = await post(Buffer.from([0x7b, 0xff, 0x7d]));
  assert.equal(utf.status, 400);
  const unknown = await post('{"user":"x"}', 'application/json', '/topics/nope');
  assert.equal(unknown.status, 404);
  const method = await fetch(`${server.url}/topics/events`);
  assert.equal(method.status, 405);

  assert.equal((await stored()).length, before, 'nothing of a refused request was written');
  assert.equal(log.partition('events', 0).logEndOffset, before);
  // The server is still healthy after all of that.
  assert.equal((await post('{"user":"zed","n":9}')).status, 200);
});
