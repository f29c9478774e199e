// RecordBatch v2: round trips with every codec, CRC protection of every covered bit,
// in-place patches that keep the batch valid, and scans that stop at a torn tail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BATCH_HEADER_SIZE,
  batchSize,
  decodeBatch,
  decodeBatches,
  encodeBatch,
  lastOffsetOf,
  readBatchHeader,
  scanBatches,
  setBaseOffset,
  setMaxTimestampForLogAppendTime,
  setPartitionLeaderEpoch,
  validateBatch,
} from './record-batch.js';
import type { EncodeBatchOptions, RecordInput } from './record-batch.js';
import type { CompressionName } from './compression.js';
import { crc32c } from './crc32c.js';
import { isSluiceError, SluiceError } from '../errors.js';

const CODECS: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

const bytesOrNull = fc.option(fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)), { nil: null, freq: 4 });
const recordArb: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: bytesOrNull,
    value: bytesOrNull,
    headers: fc.array(fc.record({ key: fc.string({ unit: 'binary', maxLength: 12 }), value: bytesOrNull }, { noNullPrototype: true }), { maxLength: 4 }),
    timestamp: fc.integer({ min: 0, max: 2 ** 42 }),
  },
  { requiredKeys: ['value', 'timestamp'], noNullPrototype: true },
);
const optionsArb: fc.Arbitrary<EncodeBatchOptions> = fc.record(
  {
    baseOffset: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 100_000 }),
    compression: fc.constantFrom(...CODECS),
    timestampType: fc.constantFrom(0 as const, 1 as const),
    producerId: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
    producerEpoch: fc.integer({ min: -1, max: 32767 }),
    baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    isTransactional: fc.boolean(),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  },
  { requiredKeys: [] },
);

test('batches round-trip with every codec and every header option', () => {
  fc.assert(
    fc.property(fc.array(recordArb, { minLength: 1, maxLength: 20 }), optionsArb, (records, options) => {
      const buf = encodeBatch(records, options);
      const { header, records: out } = decodeBatch(buf);
      assert.equal(batchSize(buf), buf.length);
      assert.equal(header.batchLength, buf.length - 12);
      assert.equal(header.magic, 2);
      assert.equal(header.recordCount, records.length);
      assert.equal(header.lastOffsetDelta, records.length - 1);
      assert.equal(header.baseOffset, options.baseOffset ?? 0);
      assert.equal(lastOffsetOf(header), (options.baseOffset ?? 0) + records.length - 1);
      assert.equal(header.compression, ['none', 'gzip', 'snappy', 'lz4', 'zstd'].indexOf(options.compression ?? 'none'));
      assert.equal(header.timestampType, options.timestampType ?? 0);
      assert.equal(header.producerId, options.producerId ?? -1);
      assert.equal(header.producerEpoch, options.producerEpoch ?? -1);
      assert.equal(header.baseSequence, options.baseSequence ?? -1);
      assert.equal(header.isTransactional, options.isTransactional ?? false);
      assert.equal(header.isControl, false);
      assert.equal(header.partitionLeaderEpoch, options.partitionLeaderEpoch ?? -1);
      const timestamps = records.map((r) => r.timestamp!);
      assert.equal(header.baseTimestamp, timestamps[0]);
      assert.equal(header.maxTimestamp, Math.max(...timestamps));
      assert.equal(out.length, records.length);
      out.forEach((r, i) => {
        const want = records[i]!;
        assert.equal(r.offset, header.baseOffset + i);
        assert.equal(r.timestamp, header.timestampType === 1 ? header.maxTimestamp : want.timestamp);
        assert.deepEqual(r.key, want.key ?? null);
        assert.deepEqual(r.value, want.value);
        assert.deepEqual(r.headers, want.headers ?? []);
      });
    }),
    { numRuns: 1500 },
  );
});

test('uncompressed decode returns views into the batch (zero copy)', () => {
  const buf = encodeBatch([{ key: Buffer.from('k'), value: Buffer.from('value') }]);
  const { records } = decodeBatch(buf);
  assert.equal(records[0]!.value!.buffer, buf.buffer);
  buf[buf.length - 2] = 0x5a; // inside "value"? the last byte is the header count; the one before is value's last byte
  assert.equal(records[0]!.value!.toString(), 'valuZ');
});

test('records default their timestamp to the time of encoding', () => {
  const before = Date.now();
  const { records, header } = decodeBatch(encodeBatch([{ value: Buffer.from('a') }, { value: null }]));
  assert.ok(header.baseTimestamp >= before && header.baseTimestamp <= Date.now());
  assert.equal(records[1]!.timestamp, header.baseTimestamp);
  assert.throws(() => encodeBatch([]), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
});

test('any single-bit flip inside the CRC-covered region is CORRUPT_BATCH', () => {
  fc.assert(
    fc.property(fc.array(recordArb, { minLength: 1, maxLength: 5 }), fc.constantFrom(...CODECS), fc.nat(), fc.nat({ max: 7 }), (records, compression, at, bit) => {
      const buf = encodeBatch(records, { compression });
      const pos = 21 + (at % (buf.length - 21));
      buf[pos]! ^= 1 << bit;
      assert.throws(() => validateBatch(buf), (e) => isSluiceError(e, 'CORRUPT_BATCH'));
      assert.throws(() => decodeBatch(buf), (e) => isSluiceError(e, 'CORRUPT_BATCH'));
      assert.throws(() => scanBatches(buf, undefined, { validate: true }), (e) => isSluiceError(e, 'CORRUPT_BATCH'));
    }),
    { numRuns: 2000 },
  );
});

test('a wrong magic byte is UNSUPPORTED_MAGIC', () => {
  const buf = encodeBatch([{ value: Buffer.from('x') }]);
  buf[16] = 1;
  assert.throws(() => readBatchHeader(buf), (e) => isSluiceError(e, 'UNSUPPORTED_MAGIC'));
  assert.throws(() => validateBatch(buf), (e) => isSluiceError(e, 'UNSUPPORTED_MAGIC'));
});

test('setBaseOffset and setPartitionLeaderEpoch keep the CRC valid', () => {
  fc.assert(
    fc.property(
      fc.array(recordArb, { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 10 }),
      fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      (records, base, epoch) => {
        const buf = encodeBatch(records);
        setBaseOffset(buf, 0, base);
        setPartitionLeaderEpoch(buf, 0, epoch);
        const h = validateBatch(buf);
        assert.equal(h.baseOffset, base);
        assert.equal(h.partitionLeaderEpoch, epoch);
        assert.deepEqual(
          decodeBatch(buf).records.map((r) => r.offset),
          records.map((_, i) => base + i),
        );
      },
    ),
    { numRuns: 500 },
  );
});

test('setMaxTimestampForLogAppendTime stamps every record and re-CRCs', () => {
  for (const compression of CODECS) {
    const buf = encodeBatch([{ value: Buffer.from('a'), timestamp: 5 }, { value: Buffer.from('b'), timestamp: 9 }], { compression });
    setMaxTimestampForLogAppendTime(buf, 0, 1_700_000_000_123);
    const { header, records } = decodeBatch(buf);
    assert.equal(header.timestampType, 1);
    assert.equal(header.maxTimestamp, 1_700_000_000_123);
    assert.deepEqual(
      records.map((r) => r.timestamp),
      [1_700_000_000_123, 1_700_000_000_123],
    );
  }
});

test('scanBatches and decodeBatches stop at a torn tail and count whole batches', () => {
  fc.assert(
    fc.property(fc.array(fc.array(recordArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), fc.nat(), (batches, cutSeed) => {
      let offset = 0;
      const encoded = batches.map((records) => {
        const b = encodeBatch(records, { baseOffset: offset });
        offset += records.length;
        return b;
      });
      const all = Buffer.concat(encoded);
      const cut = cutSeed % (all.length + 1);
      const torn = all.subarray(0, cut);
      let whole = 0;
      let end = 0;
      for (const b of encoded) {
        if (end + b.length > cut) break;
        end += b.length;
        whole++;
      }
      const seen: number[] = [];
      const res = scanBatches(torn, (h, pos) => seen.push(pos + h.batchLength * 0), { validate: true });
      assert.deepEqual(res, { end, count: whole });
      assert.equal(seen.length, whole);
      assert.equal(scanBatches(torn).end, end);
      const decoded = decodeBatches(torn);
      assert.equal(decoded.length, whole);
      assert.deepEqual(
        decoded.flatMap((d) => d.records.map((r) => r.offset)),
        Array.from({ length: decoded.reduce((n, d) => n + d.records.length, 0) }, (_, i) => i),
      );
    }),
    { numRuns: 1000 },
  );
});

test('scanBatches reports where a corrupt batch in the middle is', () => {
  const a = encodeBatch([{ value: Buffer.from('a') }]);
  const b = encodeBatch([{ value: Buffer.from('b') }], { baseOffset: 1 });
  const c = encodeBatch([{ value: Buffer.from('c') }], { baseOffset: 2 });
  const all = Buffer.concat([a, b, c]);
  all[a.length + b.length - 1]! ^= 0xff;
  assert.throws(
    () => scanBatches(all, undefined, { validate: true }),
    (e) => isSluiceError(e, 'CORRUPT_BATCH') && e.details?.position === a.length,
  );
  // A zeroed region (e.g. a preallocated tail) is not a batch: its length is impossible.
  const zeros = Buffer.concat([a, Buffer.alloc(100)]);
  assert.throws(() => scanBatches(zeros), (e) => isSluiceError(e, 'CORRUPT_BATCH') && e.details?.position === a.length);
});

test('truncated batches are TRUNCATED_INPUT', () => {
  const buf = encodeBatch([{ value: Buffer.from('hello') }, { key: Buffer.from('k'), value: null }]);
  for (let cut = 0; cut < buf.length; cut++) {
    const torn = buf.subarray(0, cut);
    assert.throws(() => decodeBatch(torn), (e) => isSluiceError(e, 'TRUNCATED_INPUT'), `cut at ${cut}`);
  }
});

test('records corrupted behind a recomputed CRC fail with typed errors only', () => {
  fc.assert(
    fc.property(
      fc.array(recordArb, { minLength: 1, maxLength: 5 }),
      fc.constantFrom(...CODECS),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }),
      (records, compression, edits) => {
        const buf = encodeBatch(records, { compression });
        for (const [at, v] of edits) buf[21 + (at % (buf.length - 21))] = v;
        buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
        try {
          const { records: out } = decodeBatch(buf);
          assert.ok(out.length >= 0);
        } catch (e) {
          assert.ok(e instanceof SluiceError, `expected a SluiceError, got ${String(e)}`);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('a batch whose record count cannot fit its bytes is refused before decoding', () => {
  const buf = encodeBatch([{ value: Buffer.from('x') }]);
  buf.writeInt32BE(1_000_000_000, 57);
  buf.writeInt32BE(1_000_000_000, 23);
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  assert.throws(() => validateBatch(buf), (e) => isSluiceError(e, 'CORRUPT_BATCH'));
  assert.equal(BATCH_HEADER_SIZE, 61);
});

test('explicit offset deltas keep offsets across gaps (compaction rewrites)', () => {
  const buf = encodeBatch(
    [
      { key: Buffer.from('a'), value: Buffer.from('1'), timestamp: 10 },
      { key: Buffer.from('b'), value: null, timestamp: 30 },
    ],
    { baseOffset: 100, offsetDeltas: [2, 7], lastOffsetDelta: 9, maxTimestamp: 99, timestampType: 1, producerId: 5, producerEpoch: 1, baseSequence: 40 },
  );
  const { header, records } = decodeBatch(buf);
  assert.equal(header.lastOffsetDelta, 9);
  assert.equal(header.recordCount, 2);
  assert.equal(lastOffsetOf(header), 109);
  assert.deepEqual(
    records.map((r) => [r.offset, r.timestamp]),
    [
      [102, 99],
      [107, 99],
    ],
  );
  const bad = (e: unknown) => isSluiceError(e, 'INVALID_ARGUMENT');
  assert.throws(() => encodeBatch([{ value: null }, { value: null }], { offsetDeltas: [3, 3] }), bad);
  assert.throws(() => encodeBatch([{ value: null }], { offsetDeltas: [3], lastOffsetDelta: 2 }), bad);
  assert.throws(() => encodeBatch([{ value: null }], { offsetDeltas: [0, 1] }), bad);
});
