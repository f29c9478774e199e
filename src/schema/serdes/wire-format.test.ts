import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeEnvelope, encodeEnvelope } from './wire-format.js';
import { isSluiceError } from '../../errors.js';

test('header is magic 0 + big-endian id', () => {
  const b = encodeEnvelope(0x01020304, Buffer.from([9, 9]));
  assert.deepEqual([...b], [0, 1, 2, 3, 4, 9, 9]);
  assert.deepEqual(decodeEnvelope(b), { schemaId: 0x01020304, payload: Buffer.from([9, 9]) });
});

test('protobuf message indexes: [0] is the single byte 0', () => {
  const b = encodeEnvelope(7, Buffer.from([1]), [0]);
  assert.deepEqual([...b], [0, 0, 0, 0, 7, 0, 1]);
  const nested = encodeEnvelope(7, Buffer.from([1]), [1, 2]);
  // count 2, 1, 2 as zigzag varints: 4, 2, 4
  assert.deepEqual([...nested], [0, 0, 0, 0, 7, 4, 2, 4, 1]);
  assert.deepEqual(decodeEnvelope(nested, true).messageIndexes, [1, 2]);
  assert.deepEqual(decodeEnvelope(b, true).messageIndexes, [0]);
});

test('round trip for any id, indexes and payload', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.array(fc.nat(1000), { minLength: 1, maxLength: 5 }), fc.uint8Array(), (id, idx, payload) => {
      const env = decodeEnvelope(encodeEnvelope(id, payload, idx), true);
      assert.equal(env.schemaId, id);
      assert.deepEqual(env.messageIndexes, idx);
      assert.deepEqual([...env.payload], [...payload]);
    }),
  );
});

test('wrong magic byte and short input are DESERIALIZATION_FAILED with a reason', () => {
  assert.throws(() => decodeEnvelope(Buffer.from([1, 0, 0, 0, 1, 5])), (e) => isSluiceError(e, 'DESERIALIZATION_FAILED') && e.details?.reason === 'WRONG_MAGIC_BYTE');
  assert.throws(() => decodeEnvelope(Buffer.from([0, 0])), (e) => isSluiceError(e, 'DESERIALIZATION_FAILED') && e.details?.reason === 'TRUNCATED');
  assert.throws(() => decodeEnvelope(Buffer.from([0, 0, 0, 0, 1, 0xff]), true), (e) => isSluiceError(e, 'DESERIALIZATION_FAILED'));
});

test('arbitrary bytes never throw anything but a SluiceError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      try {
        decodeEnvelope(Buffer.from(bytes), true);
      } catch (e) {
        assert.ok(isSluiceError(e, 'DESERIALIZATION_FAILED'), String(e));
      }
    }),
  );
});
