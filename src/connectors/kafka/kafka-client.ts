// Shared kafkajs setup for the external-Kafka source and sink: one place that builds the
// client with Sluice's defaults (quiet logging routed nowhere, bounded retries, timeouts),
// maps kafkajs failures to SluiceError, and plugs the project's compression codecs into
// kafkajs. kafkajs ships only gzip; snappy, lz4 and zstd are plug-ins, registered here once
// over src/codec/compression.ts (the codecs the log and the broker use), so every batch a
// Kafka cluster or `sluice broker` may hold can be read and written. The CLI and the
// conformance tests use the same registration.
// May import: codec/compression.ts, errors, kafkajs.
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig } from 'kafkajs';
import { compress, decompress } from '../../codec/compression.js';
import type { CompressionName } from '../../codec/compression.js';
import { SluiceError } from '../../errors.js';

/** kafkajs's codec plug-in shape: a factory of { compress(encoder), decompress(buffer) }. */
function kafkajsCodec(name: CompressionName): () => { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> } {
  return () => ({
    // The codecs are synchronous; kafkajs wants Promises (one per batch, not per record).
    compress: async (encoder) => compress(name, encoder.buffer),
    decompress: async (buffer) => decompress(name, buffer),
  });
}

let codecsRegistered = false;

/** Plugs snappy, lz4 and zstd into kafkajs (process-wide, once; createKafka calls it). */
export function registerKafkajsCodecs(): void {
  if (codecsRegistered) return;
  codecsRegistered = true;
  // Not named imports: Node's CommonJS interop does not see these two as named exports.
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  const codecs = CompressionCodecs as unknown as Record<number, unknown>;
  codecs[CompressionTypes.Snappy] = kafkajsCodec('snappy');
  codecs[CompressionTypes.LZ4] = kafkajsCodec('lz4');
  codecs[CompressionTypes.ZSTD] = kafkajsCodec('zstd');
}

export interface KafkaConnection {
  /** host:port of the bootstrap brokers. */
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Extra kafkajs options (ssl, sasl, ...). */
  readonly kafka?: Partial<KafkaConfig>;
}

export function createKafka(conn: KafkaConnection, role: string): Kafka {
  if (conn.brokers.length === 0) throw new SluiceError('INVALID_CONFIG', `kafka ${role}: no brokers`);
  registerKafkajsCodecs();
  return new Kafka({
    clientId: conn.clientId ?? `sluice-${role}`,
    brokers: [...conn.brokers],
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5000 },
    logLevel: logLevel.NOTHING,
    ...conn.kafka,
  });
}

export function kafkaError(what: string, err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  const e = err as { message?: string; retriable?: boolean; type?: string } | null;
  const fenced = e?.type === 'INVALID_PRODUCER_EPOCH' || e?.type === 'PRODUCER_FENCED';
  return new SluiceError(fenced ? 'PRODUCER_FENCED' : 'CONNECTION_FAILED', `${what}: ${e?.message ?? String(err)}`, {
    cause: err,
    retriable: fenced ? false : (e?.retriable ?? true),
  });
}
