// Keyed records must land on the partition a Kafka client would choose: our murmur2 is
// checked against kafkajs's independent implementation of the Java client's hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { murmur2, partitionForKey } from './partitioner.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer) => number;

test('murmur2 equals the Kafka Java client hash (via kafkajs)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.equal(murmur2(bytes), kafkajsMurmur2(Buffer.from(bytes)));
    }),
    { numRuns: 3000 },
  );
  // Known values from Kafka's own tests of the default partitioner hash.
  assert.equal(murmur2(Buffer.from('21')), -973932308);
  assert.equal(murmur2(Buffer.from('abc')), 479470107);
});

test('partitionForKey is the positive hash modulo the partition count', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 16 }), fc.integer({ min: 1, max: 100 }), (key, n) => {
      const p = partitionForKey(key, n);
      assert.ok(p >= 0 && p < n);
      assert.equal(p, (kafkajsMurmur2(Buffer.from(key)) & 0x7fffffff) % n);
    }),
    { numRuns: 500 },
  );
});
