// Compression: every codec round-trips, decoders accept the framings real clients send
// (xerial snappy, zstd without a declared size, Kafka's LZ4 frame), and bad input is a
// typed error, including payloads that would decompress past the size limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compressSync as rawSnappy } from 'snappy';
import { compress, compressionCode, CompressionCodes, decompress } from './compression.js';
import type { CompressionName } from './compression.js';
import { isSluiceError } from '../errors.js';

const CODECS: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

// Mostly compressible data (repeated runs) with some noise, as real records are.
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 400 })).map(([chunk, n]) => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < n; i++) parts.push(chunk);
    return Buffer.concat(parts);
  }),
);

test('every codec round-trips arbitrary bytes, by name and by id', () => {
  fc.assert(
    fc.property(payload, fc.constantFrom(...CODECS), fc.boolean(), (bytes, codec, byId) => {
      const data = Buffer.from(bytes);
      const c = byId ? CompressionCodes[codec] : codec;
      const packed = compress(c, data);
      assert.ok(Buffer.isBuffer(packed));
      assert.deepEqual(decompress(c, packed), data);
    }),
    { numRuns: 1500 },
  );
});

test('codec ids are the Kafka attribute values', () => {
  assert.deepEqual(CompressionCodes, { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 });
});

test('unknown codec ids and names are UNSUPPORTED_COMPRESSION', () => {
  for (const bad of [5, 7, -1, 1.5, Number.NaN]) {
    assert.throws(() => decompress(bad, Buffer.alloc(4)), (e) => isSluiceError(e, 'UNSUPPORTED_COMPRESSION'));
    assert.throws(() => compress(bad, Buffer.alloc(4)), (e) => isSluiceError(e, 'UNSUPPORTED_COMPRESSION'));
  }
  assert.throws(() => compressionCode('brotli' as CompressionName), (e) => isSluiceError(e, 'UNSUPPORTED_COMPRESSION'));
});

test('undecodable payloads are COMPRESSION_FAILED for every codec', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...CODECS.slice(1)), (bytes, codec) => {
      try {
        decompress(codec, Buffer.from(bytes));
      } catch (e) {
        assert.ok(isSluiceError(e, 'COMPRESSION_FAILED'), `${codec}: ${String(e)}`);
      }
    }),
    { numRuns: 1500 },
  );
  for (const codec of CODECS.slice(1)) {
    const good = compress(codec, Buffer.alloc(5000, 'abc'));
    const torn = good.subarray(0, Math.floor(good.length / 2));
    assert.throws(() => decompress(codec, torn), (e) => isSluiceError(e, 'COMPRESSION_FAILED'), codec);
  }
});

test('payloads decompressing past the limit are refused for every codec', () => {
  const big = Buffer.alloc(1024 * 1024, 0x61);
  for (const codec of CODECS.slice(1)) {
    const packed = compress(codec, big);
    assert.equal(decompress(codec, packed).length, big.length);
    assert.throws(() => decompress(codec, packed, 64 * 1024), (e) => isSluiceError(e, 'COMPRESSION_FAILED'), codec);
  }
});

test('snappy decodes raw blocks and xerial framing built by hand', () => {
  const a = Buffer.from('first block '.repeat(100));
  const b = Buffer.from('second block, different '.repeat(50));
  assert.deepEqual(decompress('snappy', rawSnappy(a)), a);
  const blockA = rawSnappy(a);
  const blockB = rawSnappy(b);
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const len = (n: number) => {
    const x = Buffer.alloc(4);
    x.writeInt32BE(n);
    return x;
  };
  const framed = Buffer.concat([header, len(blockA.length), blockA, len(blockB.length), blockB]);
  assert.deepEqual(decompress('snappy', framed), Buffer.concat([a, b]));
  // What we write is xerial-framed, as Java producers write it.
  assert.deepEqual(compress('snappy', a).subarray(0, 8), header.subarray(0, 8));
  // A block length running past the end is an error, not a short read.
  const lying = Buffer.concat([header, len(blockA.length + 10), blockA]);
  assert.throws(() => decompress('snappy', lying), (e) => isSluiceError(e, 'COMPRESSION_FAILED'));
});

test('lz4 writes the LZ4 frame format Kafka expects', () => {
  const f = compress('lz4', Buffer.from('x'.repeat(1000)));
  assert.equal(f.readUInt32LE(0), 0x184d2204); // LZ4 frame magic
  assert.equal(f[4]! & 0xc0, 0x40); // frame version 01
});

// Rewrites a zstd frame's header so it declares no content size, as stream compressors
// (zstd-jni in Java producers, librdkafka) write it.
function withoutContentSize(frame: Buffer, contentSize: number): Buffer {
  const fhd = frame[4]!;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag;
  const headerEnd = 5 + (single ? 0 : 1) + dictBytes + fcsBytes;
  let exp = 0;
  while (2 ** (10 + exp) < contentSize) exp++;
  const head = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, fhd & 0x07, exp << 3]);
  return Buffer.concat([head, frame.subarray(headerEnd)]);
}

test('zstd decodes frames that declare no content size, larger than the first guess', () => {
  const data = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
  const frame = withoutContentSize(compress('zstd', data), data.length);
  assert.deepEqual(decompress('zstd', frame), data);
  assert.throws(() => decompress('zstd', frame, 1024 * 1024), (e) => isSluiceError(e, 'COMPRESSION_FAILED'));
});
