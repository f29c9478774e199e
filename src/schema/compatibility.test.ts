// The compatibility matrix: schema evolutions of each type with the verdict each level must
// give. `backward` = the new schema reads data written with the old one; `forward` = the
// old schema reads data written with the new one; FULL needs both; NONE accepts anything.
// `mentions` is a word the refusal must contain (the offending field), so messages stay useful.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compatibilityMessages, parseSchema } from './providers.js';
import { COMPATIBILITY_LEVELS, type SchemaType } from './types.js';

interface Case {
  name: string;
  type: SchemaType;
  old: unknown;
  new: unknown;
  backward: boolean;
  forward: boolean;
  mentions?: string;
}

const rec = (fields: unknown[], extra: Record<string, unknown> = {}): unknown => ({ type: 'record', name: 'R', namespace: 'ns', fields, ...extra });
const f = (name: string, type: unknown, more: Record<string, unknown> = {}): unknown => ({ name, type, ...more });
const en = (symbols: string[], def?: string): unknown => ({ type: 'enum', name: 'Color', symbols, ...(def ? { default: def } : {}) });
const proto = (body: string, pkg = 'p'): string => `syntax = "proto3";\npackage ${pkg};\n${body}\n`;
const obj = (props: Record<string, unknown>, more: Record<string, unknown> = {}): unknown => ({ type: 'object', properties: props, ...more });

const CASES: Case[] = [
  // ---- Avro ----
  { name: 'add field with default', type: 'AVRO', old: rec([f('a', 'int')]), new: rec([f('a', 'int'), f('b', 'string', { default: '' })]), backward: true, forward: true },
  { name: 'add field without default', type: 'AVRO', old: rec([f('a', 'int')]), new: rec([f('a', 'int'), f('b', 'string')]), backward: false, forward: true, mentions: "'b'" },
  { name: 'remove field with default', type: 'AVRO', old: rec([f('a', 'int'), f('b', 'string', { default: 'x' })]), new: rec([f('a', 'int')]), backward: true, forward: true },
  { name: 'remove field without default', type: 'AVRO', old: rec([f('a', 'int'), f('b', 'string')]), new: rec([f('a', 'int')]), backward: true, forward: false, mentions: "'b'" },
  { name: 'promote int to long', type: 'AVRO', old: rec([f('a', 'int')]), new: rec([f('a', 'long')]), backward: true, forward: false, mentions: '/fields/a' },
  { name: 'promote long to double', type: 'AVRO', old: rec([f('a', 'long')]), new: rec([f('a', 'double')]), backward: true, forward: false },
  { name: 'promote float to double', type: 'AVRO', old: rec([f('a', 'float')]), new: rec([f('a', 'double')]), backward: true, forward: false },
  { name: 'narrow double to int', type: 'AVRO', old: rec([f('a', 'double')]), new: rec([f('a', 'int')]), backward: false, forward: true },
  { name: 'string <-> bytes', type: 'AVRO', old: rec([f('a', 'string')]), new: rec([f('a', 'bytes')]), backward: true, forward: true },
  { name: 'string to int', type: 'AVRO', old: rec([f('a', 'string')]), new: rec([f('a', 'int')]), backward: false, forward: false, mentions: '/fields/a' },
  { name: 'enum symbol added', type: 'AVRO', old: rec([f('c', en(['RED', 'GREEN']))]), new: rec([f('c', en(['RED', 'GREEN', 'BLUE']))]), backward: true, forward: false, mentions: 'BLUE' },
  { name: 'enum symbol removed', type: 'AVRO', old: rec([f('c', en(['RED', 'GREEN', 'BLUE']))]), new: rec([f('c', en(['RED', 'GREEN']))]), backward: false, forward: true, mentions: 'BLUE' },
  { name: 'enum symbol added, both with enum default', type: 'AVRO', old: rec([f('c', en(['U', 'RED'], 'U'))]), new: rec([f('c', en(['U', 'RED', 'BLUE'], 'U'))]), backward: true, forward: true },
  { name: 'field becomes nullable union', type: 'AVRO', old: rec([f('a', 'string')]), new: rec([f('a', ['null', 'string'], { default: null })]), backward: true, forward: false },
  { name: 'union gains a branch', type: 'AVRO', old: rec([f('a', ['null', 'string'])]), new: rec([f('a', ['null', 'string', 'int'])]), backward: true, forward: false },
  { name: 'union loses a branch', type: 'AVRO', old: rec([f('a', ['null', 'string', 'int'])]), new: rec([f('a', ['null', 'string'])]), backward: false, forward: true },
  { name: 'union branch promoted int to long', type: 'AVRO', old: rec([f('a', ['null', 'int'])]), new: rec([f('a', ['null', 'long'])]), backward: true, forward: false },
  {
    name: 'nested record gains field without default',
    type: 'AVRO',
    old: rec([f('addr', { type: 'record', name: 'Addr', fields: [f('city', 'string')] })]),
    new: rec([f('addr', { type: 'record', name: 'Addr', fields: [f('city', 'string'), f('zip', 'string')] })]),
    backward: false,
    forward: true,
    mentions: "'zip'",
  },
  { name: 'record renamed', type: 'AVRO', old: rec([f('a', 'int')]), new: { type: 'record', name: 'Other', namespace: 'ns', fields: [f('a', 'int')] }, backward: false, forward: false },
  { name: 'record renamed with alias', type: 'AVRO', old: rec([f('a', 'int')]), new: { type: 'record', name: 'Other', namespace: 'ns', aliases: ['R'], fields: [f('a', 'int')] }, backward: true, forward: false },
  { name: 'field renamed with alias', type: 'AVRO', old: rec([f('a', 'int')]), new: rec([f('b', 'int', { aliases: ['a'] })]), backward: true, forward: false },
  { name: 'array items promoted', type: 'AVRO', old: rec([f('xs', { type: 'array', items: 'int' })]), new: rec([f('xs', { type: 'array', items: 'long' })]), backward: true, forward: false },
  { name: 'map values changed incompatibly', type: 'AVRO', old: rec([f('m', { type: 'map', values: 'string' })]), new: rec([f('m', { type: 'map', values: 'int' })]), backward: false, forward: false },
  { name: 'fixed size changed', type: 'AVRO', old: rec([f('h', { type: 'fixed', name: 'H', size: 16 })]), new: rec([f('h', { type: 'fixed', name: 'H', size: 32 })]), backward: false, forward: false },
  { name: 'doc only change', type: 'AVRO', old: rec([f('a', 'int')]), new: rec([f('a', 'int', { doc: 'the a' })]), backward: true, forward: true },
  // ---- Protobuf ----
  { name: 'proto: add field', type: 'PROTOBUF', old: proto('message M { string a = 1; }'), new: proto('message M { string a = 1; int32 b = 2; }'), backward: true, forward: true },
  { name: 'proto: remove plain field', type: 'PROTOBUF', old: proto('message M { string a = 1; int32 b = 2; }'), new: proto('message M { string a = 1; }'), backward: true, forward: true },
  { name: 'proto: rename field keeps number', type: 'PROTOBUF', old: proto('message M { string a = 1; }'), new: proto('message M { string renamed = 1; }'), backward: true, forward: true },
  { name: 'proto: int32 -> int64 (same wire group)', type: 'PROTOBUF', old: proto('message M { int32 a = 1; }'), new: proto('message M { int64 a = 1; }'), backward: true, forward: true },
  { name: 'proto: string -> bytes', type: 'PROTOBUF', old: proto('message M { string a = 1; }'), new: proto('message M { bytes a = 1; }'), backward: true, forward: true },
  { name: 'proto: int32 -> string', type: 'PROTOBUF', old: proto('message M { int32 a = 1; }'), new: proto('message M { string a = 1; }'), backward: false, forward: false, mentions: "'a'" },
  { name: 'proto: sint32 -> int32', type: 'PROTOBUF', old: proto('message M { sint32 a = 1; }'), new: proto('message M { int32 a = 1; }'), backward: false, forward: false },
  { name: 'proto: scalar -> message', type: 'PROTOBUF', old: proto('message M { string a = 1; } message N { string z = 1; }'), new: proto('message M { N a = 1; } message N { string z = 1; }'), backward: false, forward: false, mentions: "'a'" },
  { name: 'proto: message removed', type: 'PROTOBUF', old: proto('message M { string a = 1; } message Gone { int32 g = 1; }'), new: proto('message M { string a = 1; }'), backward: false, forward: true, mentions: 'Gone' },
  { name: 'proto: oneof member removed', type: 'PROTOBUF', old: proto('message M { oneof o { string a = 1; int32 b = 2; } }'), new: proto('message M { oneof o { string a = 1; } }'), backward: false, forward: true, mentions: "'b'" },
  { name: 'proto: one field moved into new oneof', type: 'PROTOBUF', old: proto('message M { string a = 1; }'), new: proto('message M { oneof o { string a = 1; } }'), backward: true, forward: true },
  { name: 'proto: two fields moved into a oneof', type: 'PROTOBUF', old: proto('message M { string a = 1; int32 b = 2; }'), new: proto('message M { oneof o { string a = 1; int32 b = 2; } }'), backward: false, forward: true },
  { name: 'proto: enum value added', type: 'PROTOBUF', old: proto('enum E { A = 0; } message M { E e = 1; }'), new: proto('enum E { A = 0; B = 1; } message M { E e = 1; }'), backward: true, forward: true },
  { name: 'proto: package changed', type: 'PROTOBUF', old: proto('message M { string a = 1; }', 'p'), new: proto('message M { string a = 1; }', 'q'), backward: false, forward: false },
  { name: 'proto: singular -> repeated', type: 'PROTOBUF', old: proto('message M { int32 a = 1; }'), new: proto('message M { repeated int32 a = 1; }'), backward: false, forward: false },
  // ---- JSON Schema ----
  { name: 'json: add optional property to closed model', type: 'JSON', old: obj({ a: { type: 'string' } }, { additionalProperties: false }), new: obj({ a: { type: 'string' }, b: { type: 'number' } }, { additionalProperties: false }), backward: true, forward: false, mentions: "'b'" },
  { name: 'json: add property to open model', type: 'JSON', old: obj({ a: { type: 'string' } }), new: obj({ a: { type: 'string' }, b: { type: 'number' } }), backward: false, forward: true, mentions: "'b'" },
  { name: 'json: remove property from open model', type: 'JSON', old: obj({ a: { type: 'string' }, b: { type: 'number' } }), new: obj({ a: { type: 'string' } }), backward: true, forward: false },
  { name: 'json: remove property from closed model', type: 'JSON', old: obj({ a: { type: 'string' }, b: { type: 'number' } }, { additionalProperties: false }), new: obj({ a: { type: 'string' } }, { additionalProperties: false }), backward: false, forward: true, mentions: "'b'" },
  { name: 'json: property becomes required', type: 'JSON', old: obj({ a: { type: 'string' } }), new: obj({ a: { type: 'string' } }, { required: ['a'] }), backward: false, forward: true, mentions: "'a'" },
  { name: 'json: integer widened to number', type: 'JSON', old: obj({ a: { type: 'integer' } }), new: obj({ a: { type: 'number' } }), backward: true, forward: false },
  { name: 'json: string narrowed to enum', type: 'JSON', old: obj({ a: { type: 'string' } }), new: obj({ a: { type: 'string', enum: ['x', 'y'] } }), backward: false, forward: true },
  { name: 'json: maxLength decreased', type: 'JSON', old: obj({ a: { type: 'string', maxLength: 10 } }), new: obj({ a: { type: 'string', maxLength: 5 } }), backward: false, forward: true },
  { name: 'json: type union widened', type: 'JSON', old: obj({ a: { type: 'string' } }), new: obj({ a: { type: ['string', 'null'] } }), backward: true, forward: false },
  { name: 'json: array items changed', type: 'JSON', old: obj({ xs: { type: 'array', items: { type: 'string' } } }), new: obj({ xs: { type: 'array', items: { type: 'integer' } } }), backward: false, forward: false },
  { name: 'json: close an open model', type: 'JSON', old: obj({ a: { type: 'string' } }), new: obj({ a: { type: 'string' } }, { additionalProperties: false }), backward: false, forward: true },
];

function parse(type: SchemaType, s: unknown): ReturnType<typeof parseSchema> {
  return parseSchema(type, typeof s === 'string' ? s : JSON.stringify(s));
}

describe('compatibility matrix', () => {
  test(`has at least 30 evolutions (${CASES.length})`, () => {
    assert.ok(CASES.length >= 30);
    for (const t of ['AVRO', 'PROTOBUF', 'JSON'] as const) assert.ok(CASES.filter((c) => c.type === t).length >= 10, t);
  });
  for (const c of CASES) {
    test(`${c.type}: ${c.name}`, () => {
      const oldS = parse(c.type, c.old);
      const newS = parse(c.type, c.new);
      for (const level of COMPATIBILITY_LEVELS) {
        const expected =
          level === 'NONE'
            ? true
            : level.startsWith('BACKWARD')
              ? c.backward
              : level.startsWith('FORWARD')
                ? c.forward
                : c.backward && c.forward;
        const messages = compatibilityMessages(level, newS, [oldS]);
        assert.equal(messages.length === 0, expected, `${level}: ${messages.join('; ')}`);
        if (!expected && c.mentions && ((level.startsWith('BACKWARD') && !c.backward) || (level.startsWith('FORWARD') && !c.forward)))
          assert.ok(messages.some((m) => m.includes(c.mentions as string)), `${level} should mention ${c.mentions}: ${messages.join('; ')}`);
      }
    });
  }
});

describe('transitive levels look at every version, the others at the latest', () => {
  // v1 has `b` without default; v2 drops it; v3 is compatible with v2 only if not with v1.
  const v1 = parse('AVRO', rec([f('a', 'int')]));
  const v2 = parse('AVRO', rec([f('a', 'int'), f('b', 'string', { default: '' })]));
  const v3 = parse('AVRO', rec([f('a', 'int'), f('b', 'string')]));
  test('BACKWARD vs BACKWARD_TRANSITIVE', () => {
    // v3 reading v2 data is fine (b is present); reading v1 data is not (b missing, no default)
    assert.deepEqual(compatibilityMessages('BACKWARD', v3, [v1, v2]), []);
    const m = compatibilityMessages('BACKWARD_TRANSITIVE', v3, [v1, v2]);
    assert.equal(m.length, 1);
    assert.match(m[0] as string, /'b'/);
  });
  test('FORWARD vs FORWARD_TRANSITIVE', () => {
    const w1 = parse('AVRO', rec([f('a', 'int'), f('b', 'string')]));
    const w2 = parse('AVRO', rec([f('a', 'int'), f('b', 'string', { default: '' })]));
    const w3 = parse('AVRO', rec([f('a', 'int')]));
    // w2 reads w3 data (b defaults); w1 cannot (b missing)
    assert.deepEqual(compatibilityMessages('FORWARD', w3, [w1, w2]), []);
    assert.ok(compatibilityMessages('FORWARD_TRANSITIVE', w3, [w1, w2]).length > 0);
    assert.ok(compatibilityMessages('FULL_TRANSITIVE', w3, [w1, w2]).length > 0);
  });
  test('changing the schema type is never compatible', () => {
    const j = parse('JSON', { type: 'string' });
    assert.ok(compatibilityMessages('BACKWARD', j, [v1]).length > 0);
    assert.deepEqual(compatibilityMessages('NONE', j, [v1]), []);
  });
});
