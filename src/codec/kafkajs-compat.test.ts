// Wire compatibility of RecordBatch v2 against an independent implementation: kafkajs's
// own encoder and decoder. Our batches decode with kafkajs and kafkajs's with ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { decodeBatch, encodeBatch, validateBatch } from './record-batch.js';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (opts: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};
const KjsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (opts: Record<string, unknown>) => unknown;
const kjsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<KjsBatch>;
const KjsDecoder = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => unknown;
const { Types: KjsCompression } = require('kafkajs/src/protocol/message/compression') as { Types: { None: number; GZIP: number } };

interface KjsBatch {
  firstOffset: string;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  inTransaction: boolean;
  records: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }[];
}

const input = [
  { key: Buffer.from('user-1'), value: Buffer.from('{"clicks":1}'), timestamp: 1_700_000_000_000, headers: [{ key: 'trace', value: Buffer.from('abc') }] },
  { key: null, value: Buffer.from('ünïcødé ✓'), timestamp: 1_700_000_000_005, headers: [] },
  { key: Buffer.from('user-2'), value: null, timestamp: 1_699_999_999_990, headers: [{ key: 'a', value: Buffer.from('') }, { key: 'b', value: Buffer.from('2') }] },
];

for (const [name, compression] of [
  ['none', 'none'],
  ['gzip', 'gzip'],
] as const) {
  test(`kafkajs decodes a batch we encode (${name})`, async () => {
    const ours = encodeBatch(input, { baseOffset: 1234, compression, producerId: 77, producerEpoch: 3, baseSequence: 10, isTransactional: true });
    const kb = await kjsDecodeBatch(new KjsDecoder(ours));
    assert.equal(kb.firstOffset, '1234');
    assert.equal(kb.lastOffsetDelta, 2);
    assert.equal(kb.producerId, '77');
    assert.equal(kb.producerEpoch, 3);
    assert.equal(kb.firstSequence, 10);
    assert.equal(kb.inTransaction, true);
    assert.equal(kb.records.length, 3);
    kb.records.forEach((r, i) => {
      const want = input[i]!;
      assert.equal(r.offset, String(1234 + i));
      assert.equal(r.timestamp, String(want.timestamp));
      assert.deepEqual(r.key, want.key);
      assert.deepEqual(r.value, want.value);
      assert.deepEqual(
        Object.entries(r.headers).map(([k, v]) => ({ key: k, value: v })),
        want.headers,
      );
    });
  });

  test(`we decode a batch kafkajs encodes (${name})`, async () => {
    const base = input[0]!.timestamp;
    const records = input.map((r, i) =>
      KjsRecord({
        offsetDelta: i,
        timestampDelta: r.timestamp - base,
        key: r.key,
        value: r.value,
        headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value])),
      }),
    );
    const kbuf = (
      await RecordBatch({
        compression: compression === 'gzip' ? KjsCompression.GZIP : KjsCompression.None,
        firstOffset: 99,
        firstTimestamp: base,
        maxTimestamp: 1_700_000_000_005,
        partitionLeaderEpoch: 4,
        lastOffsetDelta: input.length - 1,
        records,
      })
    ).buffer;
    const h = validateBatch(kbuf);
    assert.equal(h.compression, compression === 'gzip' ? 1 : 0);
    const { header, records: out } = decodeBatch(kbuf);
    assert.equal(header.baseOffset, 99);
    assert.equal(header.partitionLeaderEpoch, 4);
    assert.equal(header.maxTimestamp, 1_700_000_000_005);
    assert.deepEqual(
      out.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers })),
      input.map((r, i) => ({ offset: 99 + i, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers })),
    );
  });
}
