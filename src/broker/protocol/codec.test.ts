// The generic codec against every schema: fast-check round trips over generated values of
// every described (API, version, side), and byte-exact checks against encodings written
// out by hand from the Kafka protocol guide (what kafkajs and librdkafka put on the wire).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteReader } from '../../codec/byte-reader.js';
import { ByteWriter } from '../../codec/byte-writer.js';
import { decodeFromBuffer, encodeToBuffer, FrameOut, encodeMessage, isFlexible } from './codec.js';
import { readRequestHeader, skipTaggedFields, writeRequestHeader } from './header.js';
import { ALL_SCHEMAS, ApiVersions, Fetch, Metadata, Produce } from './messages.js';
import type { FieldSpec, MessageSchema, Primitive } from './schema.js';
import { inVersions, parseVersions } from './schema.js';

function primitiveArb(type: Primitive, nullable: boolean): fc.Arbitrary<unknown> {
  let a: fc.Arbitrary<unknown>;
  switch (type) {
    case 'bool':
      a = fc.boolean();
      break;
    case 'int8':
      a = fc.integer({ min: -128, max: 127 });
      break;
    case 'int16':
      a = fc.integer({ min: -32768, max: 32767 });
      break;
    case 'uint16':
      a = fc.integer({ min: 0, max: 65535 });
      break;
    case 'int32':
      a = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
      break;
    case 'int64':
      a = fc.maxSafeInteger();
      break;
    case 'float64':
      a = fc.double({ noNaN: true });
      break;
    case 'string':
      a = fc.string({ maxLength: 20, unit: 'grapheme' });
      break;
    case 'bytes':
    case 'records':
      a = fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u));
      break;
    case 'uuid':
      a = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((u) => Buffer.from(u));
      break;
  }
  return nullable ? fc.option(a, { nil: null }) : a;
}

function structArb(specs: FieldSpec[], version: number, flexible: boolean): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const s of specs) {
    if (!inVersions(parseVersions(s.versions), version)) continue;
    const nullable = inVersions(parseVersions(s.nullable), version);
    const tagged = s.tag !== undefined && flexible;
    if (s.tag !== undefined && !flexible) continue;
    let a: fc.Arbitrary<unknown>;
    if (s.type === 'array') {
      const el = typeof s.items === 'string' ? primitiveArb(s.items, false) : structArb(s.items!, version, flexible);
      a = fc.array(el, { maxLength: 3 });
      if (nullable) a = fc.option(a, { nil: null });
    } else if (s.type === 'struct') {
      a = structArb(s.fields!, version, flexible);
    } else {
      a = primitiveArb(s.type, nullable);
    }
    model[s.name] = tagged ? fc.option(a, { nil: undefined }) : a;
  }
  return fc.record(model, { noNullPrototype: true });
}

/** Every field of `want` (recursively) is in `got`; `got` may hold defaults for absent fields. */
function assertContains(got: unknown, want: unknown, path: string): void {
  if (want === undefined) return;
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), path);
    assert.equal(got.length, want.length, path);
    want.forEach((w, i) => assertContains(got[i], w, `${path}[${i}]`));
  } else if (want !== null && typeof want === 'object' && !Buffer.isBuffer(want)) {
    for (const [k, v] of Object.entries(want)) assertContains((got as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    assert.deepEqual(got, want, path);
  }
}

function versionsOf(schema: MessageSchema): number[] {
  const r = parseVersions(schema.versions);
  const out: number[] = [];
  for (let v = r.min; v <= r.max; v++) out.push(v);
  return out;
}

test('every schema round-trips generated values at every described version', () => {
  let cases = 0;
  for (const schema of ALL_SCHEMAS) {
    for (const version of versionsOf(schema)) {
      for (const side of ['request', 'response'] as const) {
        const arb = structArb(schema[side], version, isFlexible(schema, version));
        fc.assert(
          fc.property(arb, (value) => {
            const bytes = encodeToBuffer(schema, side, version, value);
            const decoded = decodeFromBuffer(schema, side, version, bytes);
            // Every generated (present) field comes back as it went in...
            assertContains(decoded, value, `${schema.name} ${side} v${version}`);
            // ...and re-encoding the decoded message gives the same bytes.
            assert.deepEqual(encodeToBuffer(schema, side, version, decoded), bytes);
          }),
          { numRuns: 25 },
        );
        cases++;
      }
    }
  }
  assert.ok(cases > 200, `covered ${cases} (api, version, side) cases`);
});

test('the described versions cover what the brokers serve', () => {
  const want: Record<string, string> = {
    ApiVersions: '0-3', Metadata: '0-9', Produce: '3-9', Fetch: '4-12', ListOffsets: '1-5', FindCoordinator: '0-4',
    JoinGroup: '0-6', SyncGroup: '0-4', Heartbeat: '0-4', LeaveGroup: '0-4', OffsetCommit: '2-8', OffsetFetch: '1-8',
    DescribeGroups: '0-5', ListGroups: '0-4', DeleteGroups: '0-2', CreateTopics: '2-7', DeleteTopics: '1-6',
    DescribeConfigs: '0-4', InitProducerId: '0-4', AddPartitionsToTxn: '0-3', AddOffsetsToTxn: '0-3', EndTxn: '0-3', TxnOffsetCommit: '0-3',
  };
  assert.deepEqual(Object.fromEntries(ALL_SCHEMAS.map((s) => [s.name, s.versions])), want);
});

test('ApiVersions v3 request as librdkafka 2.0.2 sends it, byte for byte', () => {
  // size, key 18, version 3, correlation 1, client id "rdkafka" (int16 length: header v2
  // keeps the classic string), header tags 0, then compact strings (length+1) and body tags.
  const wire = Buffer.from(
    '00000024' + '0012' + '0003' + '00000001' + '0007' + Buffer.from('rdkafka').toString('hex') + '00' +
      '0b' + Buffer.from('librdkafka').toString('hex') + '06' + Buffer.from('2.0.2').toString('hex') + '00',
    'hex',
  );
  assert.equal(wire.readInt32BE(0), wire.length - 4);
  const r = new ByteReader(wire, 4);
  const h = readRequestHeader(r);
  assert.deepEqual(h, { apiKey: 18, apiVersion: 3, correlationId: 1, clientId: 'rdkafka' });
  assert.ok(isFlexible(ApiVersions, 3));
  skipTaggedFields(r);
  const body = decodeFromBuffer(ApiVersions, 'request', 3, wire.subarray(r.pos));
  assert.equal(body.clientSoftwareName, 'librdkafka');
  assert.equal(body.clientSoftwareVersion, '2.0.2');
  // And our encoder writes the same bytes.
  const w = new ByteWriter();
  w.int32(0);
  writeRequestHeader(w, h, true);
  w.bytes(encodeToBuffer(ApiVersions, 'request', 3, body));
  const out = Buffer.from(w.finish());
  out.writeInt32BE(out.length - 4, 0);
  assert.deepEqual(out, wire);
});

test('ApiVersions v3 response and Metadata v0 request encode to the bytes of the spec', () => {
  const resp = encodeToBuffer(ApiVersions, 'response', 3, { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0 });
  // errorCode, compact array of 1 (0x02), key/min/max, element tags, throttle, no tagged fields.
  assert.equal(resp.toString('hex'), '0000' + '02' + '0012' + '0000' + '0003' + '00' + '00000000' + '00');
  // kafkajs asks for all topics in Metadata v0 with an empty array; v1+ with null.
  assert.equal(encodeToBuffer(Metadata, 'request', 0, { topics: [] }).toString('hex'), '00000000');
  assert.equal(encodeToBuffer(Metadata, 'request', 1, { topics: null }).toString('hex'), 'ffffffff');
  assert.equal(encodeToBuffer(Metadata, 'request', 9, { topics: null, allowAutoTopicCreation: true }).toString('hex'), '00' + '01' + '00' + '00' + '00');
});

test('tagged fields are written only when set, and unknown tags are skipped', () => {
  const base = { responses: [] };
  const plain = encodeToBuffer(Fetch, 'response', 12, base);
  // throttle, errorCode, sessionId, empty compact array, no tags.
  assert.equal(plain.toString('hex'), '00000000' + '0000' + '00000000' + '01' + '00');
  // An unknown tag 7 with 3 bytes appended by a newer peer decodes and is ignored.
  const withUnknown = Buffer.concat([plain.subarray(0, plain.length - 1), Buffer.from('0107' + '03' + 'aabbcc', 'hex')]);
  assert.deepEqual(decodeFromBuffer(Fetch, 'response', 12, withUnknown).responses, []);
  // A known tagged field (clusterId, tag 0) in a v12 request.
  const req = encodeToBuffer(Fetch, 'request', 12, { clusterId: 'abc', maxWaitMs: 1, minBytes: 1, topics: [], forgottenTopicsData: [] });
  assert.equal(decodeFromBuffer(Fetch, 'request', 12, req).clusterId, 'abc');
  assert.equal(decodeFromBuffer(Fetch, 'request', 12, encodeToBuffer(Fetch, 'request', 12, { maxWaitMs: 1 })).clusterId, null);
});

test('large records are spliced by reference, not copied', () => {
  const records = Buffer.alloc(100_000, 7);
  const out = new FrameOut();
  encodeMessage(Produce, 'request', 3, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] }, out);
  const chunks = out.chunks();
  assert.ok(chunks.includes(records), 'the records buffer itself is one of the chunks');
  assert.equal(out.length, chunks.reduce((n, c) => n + c.length, 0));
  const decoded = decodeFromBuffer<{ topicData: { partitionData: { records: Buffer }[] }[] }>(Produce, 'request', 3, out.toBuffer());
  assert.deepEqual(decoded.topicData[0]!.partitionData[0]!.records, records);
});

test('decoding refuses lies about lengths with typed errors, never allocating from them', () => {
  // Produce v3: transactionalId null, acks, timeout, then an array claiming 2^31-1 topics.
  const forged = Buffer.from('ffff' + 'ffff' + '00000064' + '7fffffff', 'hex');
  assert.throws(() => decodeFromBuffer(Produce, 'request', 3, forged), { code: 'TRUNCATED_INPUT' });
  // A negative string length other than -1.
  assert.throws(() => decodeFromBuffer(Metadata, 'request', 1, Buffer.from('00000001fffe', 'hex')), { code: 'MALFORMED_FRAME' });
  // Null in a non-nullable string.
  assert.throws(() => decodeFromBuffer(Metadata, 'request', 1, Buffer.from('00000001ffff', 'hex')), { code: 'MALFORMED_FRAME' });
  // Random bytes never throw anything but SluiceErrors.
  fc.assert(
    fc.property(fc.constantFrom(...ALL_SCHEMAS), fc.uint8Array({ maxLength: 64 }), fc.nat(20), (schema, bytes, v) => {
      const r = parseVersions(schema.versions);
      const version = r.min + (v % (r.max - r.min + 1));
      try {
        decodeFromBuffer(schema, 'request', version, Buffer.from(bytes));
      } catch (err) {
        assert.equal((err as Error).name, 'SluiceError');
      }
    }),
    { numRuns: 3000 },
  );
});
