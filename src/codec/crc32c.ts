// CRC-32C (Castagnoli), the checksum of Kafka RecordBatch v2. Computed by @node-rs/crc32,
// which uses the CPU's SSE4.2 crc32 instruction: a JavaScript table loop would make the
// checksum the bottleneck of every produce and every recovery scan.
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

export function crc32c(data: Uint8Array, initial = 0): number {
  return nativeCrc32c(data as Buffer, initial) >>> 0;
}
