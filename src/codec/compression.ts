// The five compression codecs a Kafka RecordBatch can carry (attribute bits 0-2), all
// synchronous so batches are compressed and decompressed inside the caller's synchronous
// loop (no Promise per batch). Decoding accepts what real clients send: Kafka's LZ4 *frame*
// format, raw snappy AND the xerial-framed snappy of Java clients, zstd frames with or
// without a declared content size (Java and librdkafka stream-compress without one).
// Decoded sizes are capped so a small hostile payload cannot make us allocate gigabytes.
//
// May import: ../errors.ts and the npm codecs (snappy, lz4-napi, @bokuweb/zstd-wasm).
import { gunzipSync, gzipSync } from 'node:zlib';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compressFrameSync as lz4CompressFrame, decompressFrameSync as lz4DecompressFrame } from 'lz4-napi';
import { compress as zstdCompress, decompress as zstdDecompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import { SluiceError } from '../errors.js';

// The wasm module must be instantiated once before compress/decompress can run
// synchronously; doing it at module load keeps every call site synchronous.
await zstdInit();

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export const CompressionCodes: Record<CompressionName, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

const NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** Upper bound on the decompressed size of one batch's records (a decompression-bomb guard). */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/** The codec id for a name or id; UNSUPPORTED_COMPRESSION for anything else. */
export function compressionCode(codec: CompressionName | number): number {
  if (typeof codec === 'number') {
    if (Number.isInteger(codec) && codec >= 0 && codec < NAMES.length) return codec;
    throw new SluiceError('UNSUPPORTED_COMPRESSION', `unknown compression codec id ${codec}`, { details: { codec } });
  }
  const code = (CompressionCodes as Record<string, number | undefined>)[codec];
  if (code === undefined) {
    throw new SluiceError('UNSUPPORTED_COMPRESSION', `unknown compression codec '${String(codec)}' (expected one of ${NAMES.join(', ')})`, {
      details: { codec },
    });
  }
  return code;
}

export function compressionName(codec: CompressionName | number): CompressionName {
  return NAMES[compressionCode(codec)]!;
}

export function compress(codec: CompressionName | number, data: Buffer): Buffer {
  const code = compressionCode(codec);
  try {
    switch (code) {
      case 0:
        return data;
      case 1:
        return gzipSync(data);
      case 2:
        return xerialSnappyEncode(data);
      case 3:
        return lz4CompressFrame(data);
      default:
        return asBuffer(zstdCompress(data, 3));
    }
  } catch (err) {
    throw new SluiceError('COMPRESSION_FAILED', `${NAMES[code]} compression failed: ${(err as Error).message}`, { cause: err });
  }
}

export function decompress(codec: CompressionName | number, data: Buffer, maxOutput = MAX_DECOMPRESSED_BYTES): Buffer {
  const code = compressionCode(codec);
  if (code === 0) return data;
  let out: Buffer;
  try {
    switch (code) {
      case 1:
        out = gunzipSync(data, { maxOutputLength: maxOutput });
        break;
      case 2:
        out = snappyDecode(data, maxOutput);
        break;
      case 3:
        out = lz4DecompressFrame(data);
        break;
      default:
        out = zstdDecode(data, maxOutput);
    }
  } catch (err) {
    if (err instanceof SluiceError) throw err;
    throw new SluiceError('COMPRESSION_FAILED', `${NAMES[code]} payload does not decompress: ${(err as Error).message}`, { cause: err });
  }
  if (out.length > maxOutput) {
    throw new SluiceError('COMPRESSION_FAILED', `${NAMES[code]} payload decompresses to ${out.length} bytes, over the ${maxOutput}-byte limit`);
  }
  return out;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

// ---- snappy ---------------------------------------------------------------------------

// xerial snappy-java framing (what Java producers write): 8-byte magic, int32 version,
// int32 minimum compatible version, then int32-length-prefixed raw snappy blocks.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_BLOCK = 32 * 1024;

function xerialSnappyEncode(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  parts.push(header);
  for (let at = 0; at < data.length; at += XERIAL_BLOCK) {
    const block = snappyCompress(data.subarray(at, Math.min(data.length, at + XERIAL_BLOCK)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.subarray(0, 8).equals(XERIAL_MAGIC);
}

function snappyDecode(data: Buffer, maxOutput: number): Buffer {
  if (!isXerial(data)) return rawSnappyDecode(data, maxOutput);
  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new SluiceError('COMPRESSION_FAILED', 'xerial snappy block length runs past the end of the payload');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > data.length) {
      throw new SluiceError('COMPRESSION_FAILED', `xerial snappy block of ${len} bytes runs past the end of the payload`);
    }
    const block = rawSnappyDecode(data.subarray(pos, pos + len), maxOutput - total);
    total += block.length;
    parts.push(block);
    pos += len;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

function rawSnappyDecode(data: Buffer, maxOutput: number): Buffer {
  // Raw snappy starts with the uncompressed length as a uvarint: check it before decoding.
  let declared = 0;
  let mult = 1;
  for (let i = 0; ; i++) {
    if (i >= 5 || i >= data.length) throw new SluiceError('COMPRESSION_FAILED', 'snappy payload has no valid length preamble');
    const b = data[i]!;
    declared += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) break;
    mult *= 128;
  }
  if (declared > maxOutput) {
    throw new SluiceError('COMPRESSION_FAILED', `snappy payload declares ${declared} bytes, over the ${maxOutput}-byte limit`);
  }
  return snappyUncompress(data, { asBuffer: true }) as Buffer;
}

// ---- zstd -----------------------------------------------------------------------------

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_DST_TOO_SMALL = -70;

/** The Frame_Content_Size a zstd frame header declares, or -1 when it declares none. */
function zstdDeclaredSize(data: Buffer): number {
  if (data.length < 5 || data.readUInt32LE(0) !== ZSTD_MAGIC) return -1;
  const fhd = data[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictFlag = fhd & 3;
  const fcsSize = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
  if (fcsSize === 0) return -1;
  const at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictFlag]!;
  if (at + fcsSize > data.length) return -1;
  switch (fcsSize) {
    case 1:
      return data[at]!;
    case 2:
      return data.readUInt16LE(at) + 256;
    case 4:
      return data.readUInt32LE(at);
    default:
      return data.readUInt32LE(at) + data.readUInt32LE(at + 4) * 2 ** 32;
  }
}

function zstdDecode(data: Buffer, maxOutput: number): Buffer {
  const declared = zstdDeclaredSize(data);
  if (declared > maxOutput) {
    throw new SluiceError('COMPRESSION_FAILED', `zstd frame declares ${declared} bytes, over the ${maxOutput}-byte limit`);
  }
  // Without a declared size the output buffer is a guess: grow it while zstd says it is too small.
  let guess = Math.min(maxOutput, Math.max(1024 * 1024, data.length * 8));
  for (;;) {
    try {
      return asBuffer(zstdDecompress(data, { defaultHeapSize: guess }));
    } catch (err) {
      const m = /code (-?\d+)/.exec((err as Error).message);
      const tooSmall = m !== null && Number(m[1]) === ZSTD_DST_TOO_SMALL;
      if (!tooSmall || declared >= 0 || guess >= maxOutput) {
        if (tooSmall) throw new SluiceError('COMPRESSION_FAILED', `zstd payload decompresses to more than ${maxOutput} bytes`, { cause: err });
        throw err;
      }
      guess = Math.min(maxOutput, guess * 4);
    }
  }
}
