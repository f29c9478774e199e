// Transaction markers round-trip and carry the control/transactional attributes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeControlRecord, encodeControlBatch } from './control-record.js';
import { decodeBatch, encodeBatch } from './record-batch.js';
import { isSluiceError } from '../errors.js';

test('control batches round-trip', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: 0, max: 32767 }),
      fc.boolean(),
      fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      fc.integer({ min: 0, max: 2 ** 50 }),
      (producerId, producerEpoch, commit, coordinatorEpoch, baseOffset) => {
        const buf = encodeControlBatch({ producerId, producerEpoch, commit, coordinatorEpoch, baseOffset, timestamp: 42 });
        const { header, records } = decodeBatch(buf);
        assert.equal(header.isControl, true);
        assert.equal(header.isTransactional, true);
        assert.equal(header.producerId, producerId);
        assert.equal(header.producerEpoch, producerEpoch);
        assert.equal(header.baseOffset, baseOffset);
        assert.equal(records.length, 1);
        assert.equal(records[0]!.timestamp, 42);
        assert.deepEqual(decodeControlRecord(records[0]!), { commit, coordinatorEpoch });
        // Wire layout: key = version 0, type; value = version 0, coordinatorEpoch.
        assert.equal(records[0]!.key!.readInt16BE(0), 0);
        assert.equal(records[0]!.key!.readInt16BE(2), commit ? 1 : 0);
        assert.equal(records[0]!.value!.length, 6);
      },
    ),
    { numRuns: 500 },
  );
});

test('a record that is not a transaction marker is CORRUPT_BATCH', () => {
  const { records } = decodeBatch(encodeBatch([{ key: Buffer.from('ab'), value: Buffer.from('x') }, { key: Buffer.from([0, 0, 0, 5]), value: Buffer.alloc(6) }]));
  for (const r of records) assert.throws(() => decodeControlRecord(r), (e) => isSluiceError(e, 'CORRUPT_BATCH'));
});
