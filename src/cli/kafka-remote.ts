// `--bootstrap-server host:port` for the CLI's produce and consume: talk to a running broker
// (`sluice broker`, or any Kafka cluster) with kafkajs instead of opening the data directory,
// which the broker owns (and locks). kafkajs ships only gzip; the project's own codecs are
// plugged in for snappy, lz4 and zstd (connectors/kafka/kafka-client.ts registers them, once
// for the process) so every batch the log may hold can be read.
// kafkajs failures become SluiceErrors (UNKNOWN_TOPIC, CONNECTION_FAILED, ...).
// May import: ../codec/compression.ts (types), ../connectors/kafka/kafka-client.ts, ../errors.ts, kafkajs, node built-ins.
import kafkajs from 'kafkajs';
import type { Admin, Consumer, Kafka as KafkaClient, Producer } from 'kafkajs';
import type { CompressionName } from '../codec/compression.js';
import { registerKafkajsCodecs } from '../connectors/kafka/kafka-client.js';
import { SluiceError } from '../errors.js';

const { Kafka, logLevel, CompressionTypes } = kafkajs;
export const { AssignerProtocol } = kafkajs;

export const KAFKAJS_COMPRESSION: Record<CompressionName, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** "host:port[,host:port...]" -> broker list; INVALID_ARGUMENT on anything else. */
export function parseBootstrap(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0 || list.some((s) => !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(s) || Number(s.slice(s.lastIndexOf(':') + 1)) > 65535)) {
    throw new SluiceError('INVALID_ARGUMENT', `--bootstrap-server takes host:port[,host:port...], got '${value}'`, { details: { flag: '--bootstrap-server', value } });
  }
  return list;
}

export function remoteError(what: string, brokers: string[], err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  const e = err as { message?: string; type?: string; retriable?: boolean; name?: string } | null;
  const msg = e?.message ?? String(err);
  if (e?.type === 'UNKNOWN_TOPIC_OR_PARTITION') return new SluiceError('UNKNOWN_TOPIC', `${what}: ${msg}`, { cause: err });
  if (e?.type === 'INVALID_TOPIC_EXCEPTION') return new SluiceError('INVALID_TOPIC_NAME', `${what}: ${msg}`, { cause: err });
  if (e?.type === 'MESSAGE_TOO_LARGE' || e?.type === 'RECORD_LIST_TOO_LARGE') return new SluiceError('BATCH_TOO_LARGE', `${what}: ${msg}`, { cause: err });
  return new SluiceError('CONNECTION_FAILED', `${what} via ${brokers.join(',')}: ${msg}`, { cause: err, retriable: e?.retriable ?? true });
}

export function createKafka(brokers: string[], clientId: string): KafkaClient {
  registerKafkajsCodecs();
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 5000,
    requestTimeout: 30_000,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    logLevel: logLevel.NOTHING,
  });
}

export interface RemoteTopicInfo {
  partitions: number;
  maxMessageBytes: number;
}

/** Partition count and max.message.bytes of an existing topic (UNKNOWN_TOPIC if it does not exist: never auto-created). */
export async function describeRemoteTopic(admin: Admin, brokers: string[], topic: string): Promise<RemoteTopicInfo> {
  let topics: string[];
  try {
    topics = await admin.listTopics();
  } catch (err) {
    throw remoteError('listing topics', brokers, err);
  }
  if (!topics.includes(topic)) throw new SluiceError('UNKNOWN_TOPIC', `unknown topic ${topic} on ${brokers.join(',')}`, { details: { topic } });
  let partitions: number;
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    partitions = meta.topics[0]?.partitions.length ?? 0;
  } catch (err) {
    throw remoteError(`describing ${topic}`, brokers, err);
  }
  if (partitions < 1) throw new SluiceError('UNKNOWN_TOPIC', `topic ${topic} has no partitions on ${brokers.join(',')}`, { details: { topic } });
  let maxMessageBytes = 1024 * 1024;
  try {
    const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2 /* TOPIC */, name: topic, configNames: ['max.message.bytes'] }] });
    const v = Number(cfg.resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
    if (Number.isSafeInteger(v) && v > 0) maxMessageBytes = v;
  } catch {
    // Servers without DescribeConfigs: Kafka's default limit applies.
  }
  return { partitions, maxMessageBytes };
}

export type { Admin, Consumer, Producer };
