// Serde round trips for Avro, Protobuf and JSON Schema through a real registry on loopback,
// including a compatible schema change: records written with the old and the new schema are
// both read with the new reader schema. Plus the typed failures the engine dead-letters.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isSluiceError } from '../../src/errors.js';
import { RegistryClient } from '../../src/schema/serdes/registry-client.js';
import { avroFormat, jsonSchemaFormat, protobufFormat } from '../../src/schema/serdes/schema-format.js';
import { encodeEnvelope } from '../../src/schema/serdes/wire-format.js';
import { startRegistry, type Running } from './registry-support.js';

describe('schema-aware formats', () => {
  let r: Running;
  let client: RegistryClient;
  before(async () => {
    r = await startRegistry();
    client = new RegistryClient({ url: r.url });
  });
  after(async () => {
    await r.close();
  });

  test('avro: old and new records read with the new reader schema', async () => {
    const v1 = JSON.stringify({ type: 'record', name: 'Click', fields: [{ name: 'user', type: 'string' }, { name: 'n', type: 'int' }] });
    const v2 = JSON.stringify({
      type: 'record',
      name: 'Click',
      fields: [
        { name: 'user', type: 'string' },
        { name: 'n', type: 'long' },
        { name: 'page', type: ['null', 'string'], default: null },
      ],
    });
    const oldFmt = avroFormat<{ user: string; n: number }>({ registry: client, subject: 'clicks-value', schema: v1 });
    await oldFmt.open();
    const oldBytes = oldFmt.encode({ user: 'ann', n: 3 });
    assert.equal(oldBytes[0], 0);
    assert.equal(oldBytes.readInt32BE(1), oldFmt.schemaId);
    const newFmt = avroFormat<{ user: string; n: number; page: string | null }>({ registry: new RegistryClient({ url: r.url }), subject: 'clicks-value', schema: v2 });
    await newFmt.open();
    assert.notEqual(newFmt.schemaId, oldFmt.schemaId);
    const newBytes = newFmt.encode({ user: 'bob', n: 2 ** 40, page: '/home' });
    const a = await newFmt.decodeAsync(oldBytes);
    assert.deepEqual({ ...a }, { user: 'ann', n: 3, page: null });
    const b = newFmt.decode(newBytes);
    assert.deepEqual({ ...b }, { user: 'bob', n: 2 ** 40, page: '/home' });
    // once fetched, the writer schema is cached: the synchronous decode works too
    assert.deepEqual({ ...newFmt.decode(oldBytes) }, { user: 'ann', n: 3, page: null });
    // encoding a value that does not fit is a typed error, not a crash
    assert.throws(() => oldFmt.encode({ user: 'x', n: 'nope' as unknown as number }), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
  });

  test('avro: unknown ids, wrong magic and garbage payloads are typed errors', async () => {
    const fmt = avroFormat({ registry: client, subject: 'clicks-value' });
    await fmt.open(); // latest version of the subject
    await assert.rejects(fmt.decodeAsync(encodeEnvelope(9999, Buffer.from([2, 4]))), (e) => isSluiceError(e, 'SCHEMA_NOT_FOUND') && e.details?.schemaId === 9999);
    assert.throws(() => fmt.decode(Buffer.from([7, 0, 0, 0, 1, 0])), (e) => isSluiceError(e, 'DESERIALIZATION_FAILED') && e.details?.reason === 'WRONG_MAGIC_BYTE');
    assert.throws(
      () => fmt.decode(encodeEnvelope(fmt.schemaId as number, Buffer.from([0xff, 0xff, 0xff]))),
      (e) => isSluiceError(e, 'DESERIALIZATION_FAILED') && e.details?.reason === 'UNDECODABLE_PAYLOAD',
    );
    // a not-yet-cached id fails synchronously as retriable SCHEMA_NOT_FOUND, then succeeds
    const fresh = avroFormat<{ user: string }>({ registry: new RegistryClient({ url: r.url }), subject: 'clicks-value' });
    await fresh.open();
    const v1Id = (await client.getVersion('clicks-value', 1)).id;
    const bytes = encodeEnvelope(v1Id, Buffer.from([6, 0x61, 0x6e, 0x6e, 6]));
    assert.throws(() => fresh.decode(bytes), (e) => isSluiceError(e, 'SCHEMA_NOT_FOUND') && e.retriable);
    assert.equal((await fresh.decodeAsync(bytes)).user, 'ann');
  });

  test('protobuf: message indexes and a compatible change', async () => {
    const v1 = 'syntax = "proto3";\npackage shop;\nmessage Order { string id = 1; int64 cents = 2; message Line { string sku = 1; } }\n';
    const v2 =
      'syntax = "proto3";\npackage shop;\nmessage Order { string id = 1; int64 cents = 2; repeated Line lines = 3; message Line { string sku = 1; int32 qty = 2; } }\n';
    const oldFmt = protobufFormat<{ id: string; cents: number }>({ registry: client, subject: 'orders-value', schema: v1 });
    await oldFmt.open();
    const oldBytes = oldFmt.encode({ id: 'o1', cents: 1250 });
    assert.equal(oldBytes[5], 0, 'first message: the [0] shortcut');
    const newFmt = protobufFormat<{ id: string; cents: number; lines: { sku: string; qty: number }[] }>({ registry: client, subject: 'orders-value', schema: v2 });
    await newFmt.open();
    const newBytes = newFmt.encode({ id: 'o2', cents: 99, lines: [{ sku: 'a', qty: 2 }] });
    assert.deepEqual(await newFmt.decodeAsync(oldBytes), { id: 'o1', cents: 1250, lines: [] });
    assert.deepEqual(newFmt.decode(newBytes), { id: 'o2', cents: 99, lines: [{ sku: 'a', qty: 2 }] });
    // the old reader reads new data, ignoring the unknown field
    assert.deepEqual(await oldFmt.decodeAsync(newBytes), { id: 'o2', cents: 99 });
    // a nested message gets the index path [0, 0]
    const lineFmt = protobufFormat<{ sku: string; qty: number }>({ registry: client, subject: 'orders-value', schema: v2, messageName: 'shop.Order.Line' });
    await lineFmt.open();
    const lineBytes = lineFmt.encode({ sku: 'z', qty: 5 });
    assert.deepEqual([...lineBytes.subarray(5, 8)], [4, 0, 0]);
    assert.deepEqual(lineFmt.decode(lineBytes), { sku: 'z', qty: 5 });
    assert.throws(() => newFmt.decode(encodeEnvelope(newFmt.schemaId as number, Buffer.from([0x0a, 0xff]), [0])), (e) => isSluiceError(e, 'DESERIALIZATION_FAILED'));
  });

  test('json schema: validation on both sides and a compatible change', async () => {
    const v1 = JSON.stringify({ type: 'object', properties: { id: { type: 'integer' } }, required: ['id'], additionalProperties: false });
    const v2 = JSON.stringify({
      type: 'object',
      properties: { id: { type: 'integer' }, note: { type: 'string' } },
      required: ['id'],
      additionalProperties: false,
    });
    const oldFmt = jsonSchemaFormat<{ id: number }>({ registry: client, subject: 'events-value', schema: v1 });
    await oldFmt.open();
    const newFmt = jsonSchemaFormat<{ id: number; note?: string }>({ registry: client, subject: 'events-value', schema: v2 });
    await newFmt.open();
    const oldBytes = oldFmt.encode({ id: 1 });
    const newBytes = newFmt.encode({ id: 2, note: 'hi' });
    assert.deepEqual(await newFmt.decodeAsync(oldBytes), { id: 1 });
    assert.deepEqual(newFmt.decode(newBytes), { id: 2, note: 'hi' });
    assert.throws(() => oldFmt.encode({ id: 'x' } as unknown as { id: number }), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
    assert.throws(() => newFmt.decode(encodeEnvelope(newFmt.schemaId as number, Buffer.from('{"id":"no"}'))), (e) => isSluiceError(e, 'DESERIALIZATION_FAILED'));
    assert.throws(() => newFmt.decode(encodeEnvelope(newFmt.schemaId as number, Buffer.from('{oops'))), (e) => isSluiceError(e, 'DESERIALIZATION_FAILED'));
  });

  test('an incompatible schema is refused on open with SCHEMA_INCOMPATIBLE', async () => {
    const bad = avroFormat({
      registry: client,
      subject: 'clicks-value',
      schema: JSON.stringify({ type: 'record', name: 'Click', fields: [{ name: 'user', type: 'int' }] }),
    });
    await assert.rejects(bad.open(), (e) => isSluiceError(e, 'SCHEMA_INCOMPATIBLE'));
    const unreachable = avroFormat({ registry: { url: 'http://127.0.0.1:1', timeoutMs: 2000 }, subject: 's', schema: '"string"' });
    await assert.rejects(unreachable.open(), (e) => isSluiceError(e, 'CONNECTION_FAILED'));
  });
});
