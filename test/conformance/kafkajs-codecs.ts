// kafkajs ships only gzip; snappy, lz4 and zstd are plug-ins. These adapters plug the
// project's own codecs (src/codec/compression.ts) into kafkajs so conformance tests can
// produce and consume every compression type with a real client.
import kafkajs from 'kafkajs';
import { compress, decompress } from '../../src/codec/compression.js';
import type { CompressionName } from '../../src/codec/compression.js';

function adapter(name: CompressionName) {
  return () => ({
    async compress(encoder: { buffer: Buffer }): Promise<Buffer> {
      return compress(name, encoder.buffer);
    },
    async decompress(buffer: Buffer): Promise<Buffer> {
      return decompress(name, buffer);
    },
  });
}

let registered = false;

export function registerKafkajsCodecs(): void {
  if (registered) return;
  registered = true;
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  const codecs = CompressionCodecs as unknown as Record<number, unknown>;
  codecs[CompressionTypes.Snappy] = adapter('snappy');
  codecs[CompressionTypes.LZ4] = adapter('lz4');
  codecs[CompressionTypes.ZSTD] = adapter('zstd');
}
