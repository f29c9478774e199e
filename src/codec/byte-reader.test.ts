// ByteReader/ByteWriter: every type round-trips, and any read past the end is a
// TRUNCATED_INPUT SluiceError (never a RangeError), whatever the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { isSluiceError, SluiceError } from '../errors.js';

type Op =
  | { t: 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'uvarint' | 'varint'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'bytes'; v: Uint8Array }
  | { t: 'utf8'; v: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.integer({ min: -128, max: 127 }).map((v) => ({ t: 'int8' as const, v })),
  fc.integer({ min: 0, max: 255 }).map((v) => ({ t: 'uint8' as const, v })),
  fc.integer({ min: -32768, max: 32767 }).map((v) => ({ t: 'int16' as const, v })),
  fc.integer({ min: 0, max: 65535 }).map((v) => ({ t: 'uint16' as const, v })),
  fc.integer().map((v) => ({ t: 'int32' as const, v })),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((v) => ({ t: 'uint32' as const, v })),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }).map((v) => ({ t: 'int64' as const, v })),
  fc.double({ noNaN: true }).map((v) => ({ t: 'float64' as const, v })),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).map((v) => ({ t: 'uvarint' as const, v })),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }).map((v) => ({ t: 'varint' as const, v })),
  fc.boolean().map((v) => ({ t: 'bool' as const, v })),
  fc.uint8Array({ maxLength: 40 }).map((v) => ({ t: 'bytes' as const, v })),
  fc.string({ unit: 'binary', maxLength: 20 }).map((v) => ({ t: 'utf8' as const, v })),
);

function write(w: ByteWriter, op: Op): void {
  switch (op.t) {
    case 'bool':
      w.bool(op.v);
      break;
    case 'bytes':
      w.int32(op.v.length).bytes(op.v);
      break;
    case 'utf8':
      w.int32(Buffer.byteLength(op.v));
      w.utf8(op.v);
      break;
    default:
      w[op.t](op.v);
  }
}

function readBack(r: ByteReader, op: Op): unknown {
  switch (op.t) {
    case 'bool':
      return r.bool();
    case 'bytes':
      return new Uint8Array(r.bytes(r.int32()));
    case 'utf8':
      return r.utf8(r.int32());
    default:
      return r[op.t]();
  }
}

test('every type written by ByteWriter reads back identically', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
      const w = new ByteWriter(16);
      for (const op of ops) write(w, op);
      const r = new ByteReader(w.finish());
      for (const op of ops) {
        const got = readBack(r, op);
        if (op.t === 'float64') assert.ok(Object.is(got, op.v) || got === op.v);
        else assert.deepEqual(got, op.v);
      }
      assert.equal(r.remaining, 0);
    }),
    { numRuns: 2000 },
  );
});

test('int64 covers negative and beyond-32-bit values exactly', () => {
  const values = [-1, -(2 ** 31) - 1, 2 ** 32, -(2 ** 40) + 3, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0];
  const w = new ByteWriter();
  for (const v of values) w.int64(v);
  const buf = w.finish();
  assert.equal(buf.readBigInt64BE(0), -1n);
  const r = new ByteReader(buf);
  for (const v of values) assert.equal(r.int64(), v);
});

test('patched lengths and reserved regions land where they were reserved', () => {
  const w = new ByteWriter(16);
  const at = w.reserve(4);
  w.bytes(Buffer.alloc(100, 7));
  w.patchInt32(at, 100);
  const r = new ByteReader(w.finish());
  assert.equal(r.bytes(r.int32()).length, 100);
});

test('truncate drops what was written after a position and keeps writing from there; past the end it is an error', () => {
  const w = new ByteWriter(4);
  w.uint32(1).uint32(2);
  w.truncate(4);
  w.uint16(0xabcd);
  assert.deepEqual([...w.finish()], [0, 0, 0, 1, 0xab, 0xcd]);
  assert.throws(() => w.truncate(7), (e: unknown) => isSluiceError(e) && e.code === 'INTERNAL');
  w.truncate(0);
  assert.equal(w.length, 0);
});

test('truncated input is always TRUNCATED_INPUT, never a RangeError', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 10 }), fc.nat(), (ops, cutSeed) => {
      const w = new ByteWriter(16);
      for (const op of ops) write(w, op);
      const full = w.finish();
      const cut = cutSeed % full.length; // strictly shorter than the full encoding
      const r = new ByteReader(Buffer.from(full.subarray(0, cut)));
      try {
        for (const op of ops) readBack(r, op);
        assert.fail('reading a truncated encoding must fail');
      } catch (e) {
        assert.ok(e instanceof SluiceError, `expected SluiceError, got ${String(e)}`);
        assert.ok(e.code === 'TRUNCATED_INPUT' || e.code === 'INVALID_VARINT', e.code);
      }
    }),
    { numRuns: 2000 },
  );
});

test('random garbage read as any type fails only with typed errors', () => {
  const readers: ((r: ByteReader) => unknown)[] = [
    (r) => r.int64(),
    (r) => r.bytes(r.int32()),
    (r) => r.utf8(r.varint()),
    (r) => r.skip(r.int16()),
    (r) => r.float64(),
    (r) => r.uvarint(),
  ];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 24 }), fc.array(fc.nat({ max: readers.length - 1 }), { maxLength: 12 }), (bytes, picks) => {
      const r = new ByteReader(Buffer.from(bytes));
      try {
        for (const p of picks) readers[p]!(r);
      } catch (e) {
        assert.ok(isSluiceError(e), `expected SluiceError, got ${String(e)}`);
      }
      assert.ok(r.pos <= r.end);
    }),
    { numRuns: 2000 },
  );
});

test('a reader over a sub-range never reads outside it, even with a bogus end', () => {
  const buf = Buffer.from([1, 2, 3, 4, 5, 6]);
  const r = new ByteReader(buf, 2, 4);
  assert.equal(r.int16(), 0x0304);
  assert.throws(() => r.int8(), (e) => isSluiceError(e, 'TRUNCATED_INPUT'));
  const wide = new ByteReader(buf, 4, 100);
  assert.throws(() => wide.int32(), (e) => isSluiceError(e, 'TRUNCATED_INPUT'));
  assert.throws(() => new ByteReader(buf).bytes(Number.NaN), (e) => isSluiceError(e, 'TRUNCATED_INPUT'));
});
