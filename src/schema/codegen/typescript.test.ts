import { test } from 'node:test';
import assert from 'node:assert/strict';
import ts from 'typescript';
import { parseSchema } from '../providers.js';
import { generateTypeScript } from './typescript.js';

/** Type-checks generated code plus a usage snippet; returns the diagnostics. */
function typecheck(code: string, usage: string): string[] {
  // a stand-in for node's Buffer keeps the check fast (no @types/node to load)
  const prelude = 'declare class Buffer { static from(s: string): Buffer; private readonly brand: unknown }\n';
  const files = new Map([['gen.ts', `${prelude}${code}\n${usage}\n`]]);
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, types: [], lib: ['lib.es2022.d.ts'] };
  const host = ts.createCompilerHost(options);
  const orig = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang) => (files.has(name) ? ts.createSourceFile(name, files.get(name) as string, lang) : orig(name, lang));
  const program = ts.createProgram(['gen.ts'], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

test('avro records, enums, unions, arrays, maps, logical types', () => {
  const p = parseSchema(
    'AVRO',
    JSON.stringify({
      type: 'record',
      name: 'Order',
      namespace: 'shop',
      doc: 'an order',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
        { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }] } } },
        { name: 'tags', type: { type: 'map', values: 'string' } },
        { name: 'note', type: ['null', 'string'], default: null },
        { name: 'raw', type: 'bytes' },
      ],
    }),
  );
  const code = generateTypeScript(p);
  assert.match(code, /export interface Order \{/);
  assert.match(code, /export type Status = "NEW" \| "PAID";/);
  assert.match(code, /export interface Line \{/);
  assert.match(code, /note: null \| string;/);
  const ok = `const o: Order = { id: 'a', at: 1, status: 'PAID', lines: [{ sku: 's', qty: 1 }], tags: { a: 'b' }, note: null, raw: Buffer.from('') }; void o;`;
  assert.deepEqual(typecheck(code, ok), []);
  const bad = `const o: Order = { id: 'a', at: 1, status: 'LOST', lines: [], tags: {}, note: null, raw: Buffer.from('') }; void o;`;
  assert.ok(typecheck(code, bad).length > 0, 'an unknown enum symbol must not typecheck');
});

test('protobuf messages, nested types, enums, repeated and maps', () => {
  const p = parseSchema(
    'PROTOBUF',
    'syntax = "proto3"; package shop; enum Kind { A = 0; B = 1; } message Order { string id = 1; int64 cents = 2; repeated Line lines = 3; map<string, int32> counts = 4; Kind kind = 5; message Line { string sku = 1; } oneof pay { string card = 6; string iban = 7; } }',
  );
  const code = generateTypeScript(p);
  assert.match(code, /export interface Order \{/);
  assert.match(code, /export interface Order_Line \{/);
  assert.match(code, /lines: Order_Line\[\];/);
  assert.match(code, /counts: Record<string, number>;/);
  assert.match(code, /export type Kind = "A" \| "B";/);
  assert.deepEqual(typecheck(code, `const o: Order = { id: 'x', cents: 1, lines: [{ sku: 'q' }], counts: {}, kind: 'B', card: 'c' }; void o;`), []);
  assert.ok(typecheck(code, `const o: Order = { id: 1, cents: 1, lines: [], counts: {}, kind: 'A' }; void o;`).length > 0);
});

test('json schema objects with required, enums, arrays and local refs', () => {
  const p = parseSchema(
    'JSON',
    JSON.stringify({
      type: 'object',
      properties: { id: { type: 'integer' }, name: { type: 'string' }, kind: { enum: ['a', 'b'] }, tags: { type: 'array', items: { type: 'string' } }, addr: { $ref: '#/definitions/Addr' } },
      required: ['id'],
      additionalProperties: false,
      definitions: { Addr: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    }),
  );
  const code = generateTypeScript(p, 'Customer');
  assert.deepEqual(typecheck(code, `const c: Customer = { id: 1, kind: 'a', addr: { city: 'x' } }; void c;`), []);
  assert.ok(typecheck(code, `const c: Customer = { name: 'no id' }; void c;`).length > 0);
});
