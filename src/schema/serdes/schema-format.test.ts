// The serdes' hot-path techniques (shared Avro scratch buffer, reused Protobuf writer, cached
// reading types, the single-`0`-index fast path) must give the same bytes and values as the
// plain library calls, for values of any size, and must not leak one record into the next.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import avro from 'avsc';
import protobuf from 'protobufjs';
import { isSluiceError } from '../../errors.js';
import { Registry } from '../registry.js';
import { RegistryServer } from '../http/registry-server.js';
import { MemoryRegistryStore } from '../store/registry-store.js';
import { RegistryClient } from './registry-client.js';
import { avroFormat, jsonSchemaFormat, protobufFormat } from './schema-format.js';
import { encodeEnvelope } from './wire-format.js';

const AVRO = JSON.stringify({
  type: 'record',
  name: 'Ev',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'text', type: 'string' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
});
const PROTO = `syntax = "proto3";
package t;
message Ev {
  enum Kind { NONE = 0; CLICK = 1; VIEW = 2; }
  int64 id = 1;
  string text = 2;
  Kind kind = 3;
  repeated Kind kinds = 4;
  map<string, Kind> byName = 5;
  Inner inner = 6;
  message Inner { Kind k = 1; bytes raw = 2; }
}
`;

interface Ev {
  id: number;
  text: string;
  tags: string[];
}

describe('serdes hot path', () => {
  let registry: Registry;
  let server: RegistryServer;
  let client: RegistryClient;
  before(async () => {
    registry = await Registry.open(new MemoryRegistryStore());
    server = new RegistryServer(registry, { port: 0 });
    client = new RegistryClient({ url: (await server.listen()).url });
  });
  after(async () => {
    await server.close();
    await registry.close();
  });

  test('avro: same bytes as header + toBuffer for any value, including ones larger than the scratch buffer', async () => {
    const f = avroFormat<Ev>({ registry: client, subject: 'ev-avro', schema: AVRO });
    await f.open();
    const id = f.schemaId as number;
    const type = avro.Type.forSchema(JSON.parse(AVRO) as avro.Schema);
    // avsc's long decodes exactly below 2^52 in magnitude (beyond it, its own limitation, not the serdes')
    const ev = fc.record({ id: fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }), text: fc.string({ unit: 'grapheme', maxLength: 50 }), tags: fc.array(fc.string(), { maxLength: 5 }) });
    fc.assert(
      fc.property(ev, ev, (a, b) => {
        const ea = f.encode(a);
        const eb = f.encode(b);
        // the first result is a copy: encoding b (through the same scratch) left it intact
        assert.deepEqual(ea, encodeEnvelope(id, type.toBuffer(a)));
        assert.deepEqual(eb, encodeEnvelope(id, type.toBuffer(b)));
        assert.deepEqual({ ...f.decode(ea) }, { ...a });
      }),
      { numRuns: 200 },
    );
    // 200 KiB grows the scratch; 3 MiB is encoded in a one-off buffer; small values still right after
    for (const n of [200 * 1024, 3 * 1024 * 1024, 3]) {
      const v = { id: n, text: 'x'.repeat(n), tags: ['a'] };
      const bytes = f.encode(v);
      assert.deepEqual(bytes, encodeEnvelope(id, type.toBuffer(v)));
      assert.equal(f.decode(bytes).text.length, n);
    }
  });

  test('avro: truncated payloads and trailing bytes are UNDECODABLE_PAYLOAD', async () => {
    const f = avroFormat<Ev>({ registry: client, subject: 'ev-avro', schema: AVRO });
    await f.open();
    const good = f.encode({ id: 1, text: 'hello', tags: ['a', 'b'] });
    for (const bad of [good.subarray(0, good.length - 2), Buffer.concat([good, Buffer.from([0])])])
      assert.throws(() => f.decode(bad), (e) => isSluiceError(e, 'DESERIALIZATION_FAILED') && e.details?.reason === 'UNDECODABLE_PAYLOAD');
    assert.throws(() => f.encode({ id: 1, text: 5, tags: [] } as unknown as Ev), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
    assert.equal(f.decode(good).text, 'hello', 'a failed encode leaves the format usable');
  });

  test('protobuf: same bytes as protobufjs, enum names accepted, the writer reused safely', async () => {
    const f = protobufFormat<Record<string, unknown>>({ registry: client, subject: 'ev-proto', schema: PROTO });
    await f.open();
    const id = f.schemaId as number;
    const type = protobuf.parse(PROTO).root.lookupType('t.Ev');
    const kind = fc.constantFrom(0, 1, 2);
    const ev = fc.record({
      id: fc.integer({ min: 0, max: 2 ** 40 }),
      text: fc.string({ maxLength: 300 }),
      kind,
      kinds: fc.array(kind, { maxLength: 4 }),
      byName: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), kind, { maxKeys: 3 }),
      inner: fc.record({ k: kind, raw: fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)) }),
    });
    fc.assert(
      fc.property(ev, ev, (a, b) => {
        const ea = f.encode(a);
        const eb = f.encode(b);
        assert.deepEqual(ea, encodeEnvelope(id, type.encode(type.fromObject(a)).finish(), [0]));
        assert.deepEqual(eb, encodeEnvelope(id, type.encode(type.fromObject(b)).finish(), [0]));
        // decode names the enums; encoding that value again gives the same bytes
        const back = f.decode(ea);
        assert.deepEqual(f.encode(back), ea);
      }),
      { numRuns: 200 },
    );
    const named = f.decode(f.encode({ id: 7, kind: 2, kinds: [1, 2], byName: { a: 1 }, inner: { k: 2 } }));
    assert.equal(named.kind, 'VIEW');
    assert.deepEqual(named.kinds, ['CLICK', 'VIEW']);
    assert.equal((named.inner as { k: string }).k, 'VIEW');
    // bad values are refused, not coerced: an unknown enum name, a string in an int64 field
    for (const bad of [{ kind: 'NOPE' }, { id: 'abc' }, { kinds: ['CLICK', 'NOPE'] }])
      assert.throws(() => f.encode(bad), (e) => isSluiceError(e, 'INVALID_ARGUMENT'), JSON.stringify(bad));
    // a value far beyond the writer's kept buffer, then a small one: both exact
    for (const n of [2 * 1024 * 1024, 1]) {
      const v = { id: n, text: 'y'.repeat(n) };
      assert.deepEqual(f.encode(v), encodeEnvelope(id, type.encode(type.fromObject(v)).finish(), [0]));
    }
  });

  test('protobuf: nested message paths and bad index paths', async () => {
    const inner = protobufFormat<{ k: string; raw: Buffer }>({ registry: client, subject: 'ev-proto', schema: PROTO, messageName: 't.Ev.Inner' });
    await inner.open();
    const bytes = inner.encode({ k: 'CLICK', raw: Buffer.from([1, 2]) } as unknown as { k: string; raw: Buffer });
    assert.deepEqual([...bytes.subarray(5, 8)], [4, 0, 0]); // count 2, [0, 0] as zigzag varints
    for (let i = 0; i < 3; i++) assert.deepEqual(inner.decode(bytes), { k: 'CLICK', raw: Buffer.from([1, 2]) }); // cached path
    const id = inner.schemaId as number;
    assert.throws(
      () => inner.decode(encodeEnvelope(id, Buffer.from([8, 1]), [5])),
      (e) => isSluiceError(e, 'DESERIALIZATION_FAILED') && e.details?.reason === 'UNDECODABLE_PAYLOAD',
    );
    assert.throws(() => inner.decode(Buffer.from([0, 0, 0, 0, id, 0xff])), (e) => isSluiceError(e, 'DESERIALIZATION_FAILED') && e.details?.reason === 'BAD_MESSAGE_INDEXES');
    // an empty payload after the [0] byte is the all-defaults first message
    const first = protobufFormat<Record<string, unknown>>({ registry: client, subject: 'ev-proto', schema: PROTO });
    await first.open();
    assert.equal(first.decode(encodeEnvelope(id, Buffer.alloc(0), [0])).kind, 'NONE');
  });

  test('json schema: multi-byte text sized right, unserialisable values refused', async () => {
    const f = jsonSchemaFormat<unknown>({ registry: client, subject: 'ev-json', schema: '{}' });
    await f.open();
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const bytes = f.encode(v);
        assert.deepEqual(bytes, encodeEnvelope(f.schemaId as number, Buffer.from(JSON.stringify(v), 'utf8')));
        assert.deepEqual(f.decode(bytes), JSON.parse(JSON.stringify(v)));
      }),
    );
    assert.equal((f.decode(f.encode({ s: 'żółw 🐢' })) as { s: string }).s, 'żółw 🐢');
    assert.throws(() => f.encode({ n: 1n }), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
    assert.throws(() => f.encode(undefined), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
  });
});
