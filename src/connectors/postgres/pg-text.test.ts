// The bulk encodings against the real server (127.0.0.1:5432, db `test`): any string survives
// COPY text format and an array literal unchanged (property tests), every kind of value lands
// exactly as the same value bound as a pg parameter would, and a COPY the server refuses
// rejects with the server's error and leaves the connection usable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pg from 'pg';
import { arrayLiteral, copyRows } from './pg-text.js';
import { copyFrom, splitPayload } from './pg-copy.js';

const CONN = { host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres', database: 'test' };
const SCHEMA = `sluice_pgtext_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
let c: pg.Client;

before(async () => {
  c = new pg.Client(CONN);
  await c.connect();
  await c.query(`CREATE SCHEMA ${SCHEMA}`);
});
after(async () => {
  await c.query(`DROP SCHEMA ${SCHEMA} CASCADE`);
  await c.end();
});

// PostgreSQL text cannot hold NUL; everything else must come back byte for byte.
const pgString = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.split(String.fromCharCode(0)).join(''));
const special = fc.constantFrom('\\', '\t', '\n', '\r', '\\N', 'NULL', '"', '{', '}', ',', '', ' ', '\\.', '\r\n');
const field = fc.oneof(pgString, special, fc.constant(null));

test('COPY text: any strings and NULLs round-trip through copyFrom', async () => {
  await c.query(`CREATE TABLE ${SCHEMA}.cp (n integer, a text, b text)`);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(field, field), { maxLength: 30 }), async (pairs) => {
      await c.query(`TRUNCATE ${SCHEMA}.cp`);
      const rows = pairs.map(([a, b], i) => [i, a, b]);
      const n = await copyFrom(c, `COPY ${SCHEMA}.cp (n, a, b) FROM STDIN`, [copyRows(rows)]);
      assert.equal(n, rows.length);
      const back = await c.query<{ n: number; a: string | null; b: string | null }>(`SELECT n, a, b FROM ${SCHEMA}.cp ORDER BY n`);
      assert.deepEqual(
        back.rows.map((r) => [r.n, r.a, r.b]),
        rows,
      );
    }),
    { numRuns: 60 },
  );
});

test('array literal: any strings and NULLs round-trip through unnest', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(field, { maxLength: 30 }), async (values) => {
      const rows = values.map((v) => [v]);
      const back = await c.query<{ v: string | null }>('SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, i) ORDER BY i', [arrayLiteral(rows, 0)]);
      assert.deepEqual(
        back.rows.map((r) => r.v),
        values,
      );
    }),
    { numRuns: 60 },
  );
});

test('numbers round-trip through an array literal (floats exactly, big integers as bigint)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(fc.double({ noNaN: true }), fc.constant(null)), { maxLength: 20 }), async (values) => {
      const back = await c.query<{ v: number | null }>('SELECT v FROM unnest($1::double precision[]) WITH ORDINALITY AS u(v, i) ORDER BY i', [arrayLiteral(values.map((v) => [v]), 0)]);
      assert.deepEqual(
        back.rows.map((r) => r.v),
        values.map((v) => (Object.is(v, -0) ? 0 : v)),
      );
    }),
    { numRuns: 40 },
  );
  const big = await c.query<{ v: string }>('SELECT v::text FROM unnest($1::bigint[]) v', [arrayLiteral([[9007199254740991n * 1000n], [-5]], 0)]);
  assert.deepEqual(
    big.rows.map((r) => r.v),
    ['9007199254740991000', '-5'],
  );
});

test('every kind of value lands as the same pg parameter would put it (COPY and unnest)', async () => {
  const cols = 'ts timestamptz, tsl timestamp, d date, b bytea, j jsonb, f boolean, n numeric, arr integer[], t text';
  await c.query(`CREATE TABLE ${SCHEMA}.kinds (src text, ${cols})`);
  const row = [
    new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 123)),
    new Date(2021, 5, 1, 12, 30, 0, 5),
    new Date(2020, 0, 2),
    Buffer.from([0, 1, 0x5c, 0x09, 0x0a, 255]),
    { a: 'x\ty', b: [1, 'two', null], c: { '"q"': '\\' } },
    true,
    12345678901234567890n,
    [1, null, 3],
    'tab\there\nnewline \\ backslash "quote"',
  ];
  const names = 'ts, tsl, d, b, j, f, n, arr, t';
  await c.query(`INSERT INTO ${SCHEMA}.kinds (src, ${names}) VALUES ('param', $1, $2, $3, $4, $5, $6, $7, $8, $9)`, row);
  await copyFrom(c, `COPY ${SCHEMA}.kinds (src, ${names}) FROM STDIN`, [copyRows([['copy', ...row]])]);
  // arrays of arrays would flatten in unnest, so the integer[] column is left out there
  const scalar = [0, 1, 2, 3, 4, 5, 6, 8];
  const types = ['timestamptz', 'timestamp', 'date', 'bytea', 'jsonb', 'boolean', 'numeric', 'text'];
  await c.query(
    `INSERT INTO ${SCHEMA}.kinds (src, ts, tsl, d, b, j, f, n, t, arr) SELECT 'unnest', *, ARRAY[1, NULL, 3] FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`,
    scalar.map((i) => arrayLiteral([row], i)),
  );
  const r = await c.query<{ src: string; same: boolean }>(
    `SELECT k.src, (k.ts, k.tsl, k.d, k.b, k.j, k.f, k.n, k.arr, k.t) IS NOT DISTINCT FROM (p.ts, p.tsl, p.d, p.b, p.j, p.f, p.n, p.arr, p.t) AS same ` +
      `FROM ${SCHEMA}.kinds k, ${SCHEMA}.kinds p WHERE p.src = 'param' AND k.src <> 'param' ORDER BY k.src`,
  );
  assert.deepEqual(r.rows, [
    { src: 'copy', same: true },
    { src: 'unnest', same: true },
  ]);
});

test('a COPY the server refuses rejects with its SQLSTATE and the connection stays usable', async () => {
  await c.query(`CREATE TABLE ${SCHEMA}.bad (n integer)`);
  await assert.rejects(copyFrom(c, `COPY ${SCHEMA}.bad (n) FROM STDIN`, [copyRows([[1], ['not a number'], [3]])]), { code: '22P02' });
  await assert.rejects(copyFrom(c, `COPY ${SCHEMA}.nope (n) FROM STDIN`, ['1\n']), { code: '42P01' });
  assert.equal((await c.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.bad`)).rows[0].n, 0);
  // Large payloads go out in several CopyData messages.
  const many = Array.from({ length: 50_000 }, (_, i) => [i]);
  assert.equal(await copyFrom(c, `COPY ${SCHEMA}.bad (n) FROM STDIN`, [copyRows(many, 0, 20_000), copyRows(many, 20_000)]), 50_000);
  assert.equal((await c.query(`SELECT sum(n)::text AS s FROM ${SCHEMA}.bad`)).rows[0].s, String((50_000 * 49_999) / 2));
});

test('splitPayload: groups keep order, lose nothing and stay within the limit unless one string alone exceeds it', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 30 })), fc.integer({ min: 1, max: 50 }), (parts, max) => {
      const groups = splitPayload(parts, max);
      assert.deepEqual(groups.flat(), parts);
      for (const g of groups) {
        assert.ok(g.length > 0);
        const size = g.reduce((n, s) => n + s.length, 0);
        assert.ok(size <= max || g.length === 1, `group of ${g.length} strings, ${size} chars > ${max}`);
      }
      // greedy: a group and the next string together would exceed the limit
      for (let i = 0; i + 1 < groups.length; i++) {
        const size = (groups[i] as string[]).reduce((n, s) => n + s.length, 0);
        assert.ok(size + ((groups[i + 1] as string[])[0] as string).length > max);
      }
    }),
  );
});
