// Varints: every encodable value round-trips, sizeOf agrees with the bytes written, and
// malformed input (overlong, truncated) is a typed error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { sizeOfUVarint, sizeOfVarint, zigzagDecode, zigzagEncode } from './varint.js';
import { isSluiceError } from '../errors.js';

const safeNonNeg = fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(0, 127, 128, 2 ** 31 - 1, 2 ** 32, 2 ** 53 - 1));
const safeInt = fc.oneof(
  fc.integer(),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, -1, 1, -64, 63, -65, 64, -(2 ** 31), 2 ** 31 - 1, -(2 ** 30), 2 ** 30, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
);

test('uvarint round-trips and sizeOfUVarint equals the encoded length', () => {
  fc.assert(
    fc.property(safeNonNeg, (v) => {
      const w = new ByteWriter(4);
      w.uvarint(v);
      const bytes = w.finish();
      assert.equal(bytes.length, sizeOfUVarint(v));
      const r = new ByteReader(bytes);
      assert.equal(r.uvarint(), v);
      assert.equal(r.remaining, 0);
    }),
    { numRuns: 3000 },
  );
});

test('zigzag varint round-trips and sizeOfVarint equals the encoded length', () => {
  fc.assert(
    fc.property(safeInt, (v) => {
      if (Math.abs(v) < 2 ** 52) assert.equal(zigzagDecode(zigzagEncode(v)), v);
      const w = new ByteWriter(4);
      w.varint(v);
      const bytes = w.finish();
      assert.equal(bytes.length, sizeOfVarint(v));
      assert.equal(new ByteReader(bytes).varint(), v);
    }),
    { numRuns: 3000 },
  );
});

test('zigzag matches the known Kafka encodings', () => {
  assert.deepEqual([0, -1, 1, -2, 2, -(2 ** 31), 2 ** 31 - 1].map(zigzagEncode), [0, 1, 2, 3, 4, 2 ** 32 - 1, 2 ** 32 - 2]);
  const w = new ByteWriter();
  w.varint(-1).varint(300);
  assert.deepEqual([...w.finish()], [0x01, 0xd8, 0x04]);
});

test('a varint longer than 10 bytes is INVALID_VARINT', () => {
  fc.assert(
    fc.property(fc.integer({ min: 10, max: 20 }), (n) => {
      const bytes = Buffer.alloc(n + 1, 0x80);
      bytes[n] = 0x01;
      assert.throws(() => new ByteReader(bytes).uvarint(), (e) => isSluiceError(e, 'INVALID_VARINT'));
    }),
    { numRuns: 50 },
  );
});

test('a varint cut short is TRUNCATED_INPUT', () => {
  fc.assert(
    fc.property(fc.integer({ min: 128, max: Number.MAX_SAFE_INTEGER }), (v) => {
      const w = new ByteWriter();
      w.uvarint(v);
      const bytes = w.finish();
      const cut = bytes.subarray(0, bytes.length - 1);
      assert.throws(() => new ByteReader(cut).uvarint(), (e) => isSluiceError(e, 'TRUNCATED_INPUT'));
    }),
    { numRuns: 500 },
  );
});

test('writing a negative uvarint is refused instead of writing garbage', () => {
  assert.throws(() => new ByteWriter().uvarint(-1), (e) => isSluiceError(e, 'INTERNAL'));
});
