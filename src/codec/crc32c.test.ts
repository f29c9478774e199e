// CRC-32C must be the Castagnoli polynomial Kafka uses, and chaining must equal one pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32c } from './crc32c.js';

// Bitwise reference (reflected polynomial 0x82F63B78), slow but obviously correct.
function reference(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of data) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

test('the standard check value of CRC-32C', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
});

test('crc32c equals a bitwise reference and chains', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 100 }), (a, b) => {
      assert.equal(crc32c(a), reference(a));
      const both = Buffer.concat([a, b]);
      assert.equal(crc32c(b, crc32c(a)), crc32c(both));
    }),
    { numRuns: 1000 },
  );
});
