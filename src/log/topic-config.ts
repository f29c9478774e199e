// Per-topic configuration: Sluice's camelCase names, Kafka's dotted names both ways (for the
// CLI, CreateTopics and DescribeConfigs), defaults, validation, and topic-name rules.
// May import: ../errors.js.
import { SluiceError } from '../errors.js';

export interface TopicConfig {
  retentionMs: number; // -1 = unlimited
  retentionBytes: number; // -1 = unlimited
  segmentBytes: number;
  segmentMs: number;
  cleanupPolicy: 'delete' | 'compact' | 'compact,delete';
  maxMessageBytes: number;
  deleteRetentionMs: number;
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
}

export const DEFAULT_TOPIC_CONFIG: Readonly<TopicConfig> = Object.freeze({
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  cleanupPolicy: 'delete',
  maxMessageBytes: 1024 * 1024,
  deleteRetentionMs: 24 * 3600 * 1000,
  messageTimestampType: 'CreateTime',
});

const KAFKA_NAMES: Record<string, keyof TopicConfig> = {
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
  'cleanup.policy': 'cleanupPolicy',
  'max.message.bytes': 'maxMessageBytes',
  'delete.retention.ms': 'deleteRetentionMs',
  'message.timestamp.type': 'messageTimestampType',
};

const SLUICE_TO_KAFKA = Object.fromEntries(Object.entries(KAFKA_NAMES).map(([k, v]) => [v, k])) as Record<keyof TopicConfig, string>;

function bad(message: string, details: Record<string, unknown>): SluiceError {
  return new SluiceError('INVALID_CONFIG', message, { details });
}

function integer(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw bad(`${name} must be an integer >= ${min}, got ${String(v)}`, { name, value: v });
  }
  return v;
}

/** Checks every field of a (partial) config; throws INVALID_CONFIG naming the bad field. */
export function validateTopicConfig(c: Partial<TopicConfig>): Partial<TopicConfig> {
  const out: Partial<TopicConfig> = {};
  for (const [key, value] of Object.entries(c)) {
    if (value === undefined) continue;
    switch (key as keyof TopicConfig) {
      case 'retentionMs':
      case 'retentionBytes':
        out[key as 'retentionMs'] = integer(key, value, -1);
        break;
      case 'segmentBytes':
        out.segmentBytes = integer(key, value, 128);
        break;
      case 'segmentMs':
        out.segmentMs = integer(key, value, 1);
        break;
      case 'maxMessageBytes':
        out.maxMessageBytes = integer(key, value, 64);
        break;
      case 'deleteRetentionMs':
        out.deleteRetentionMs = integer(key, value, 0);
        break;
      case 'cleanupPolicy': {
        const v = String(value).split(',').map((s) => s.trim()).sort().join(',');
        if (v !== 'delete' && v !== 'compact' && v !== 'compact,delete') throw bad(`cleanupPolicy must be delete, compact or compact,delete, got ${String(value)}`, { name: key, value });
        out.cleanupPolicy = v;
        break;
      }
      case 'messageTimestampType':
        if (value !== 'CreateTime' && value !== 'LogAppendTime') throw bad(`messageTimestampType must be CreateTime or LogAppendTime, got ${String(value)}`, { name: key, value });
        out.messageTimestampType = value;
        break;
      default:
        throw bad(`unknown topic config ${key}`, { name: key });
    }
  }
  return out;
}

/** Kafka's dotted names and string values -> a validated partial config. */
export function topicConfigFromKafka(entries: Record<string, string>): Partial<TopicConfig> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(entries)) {
    const key = KAFKA_NAMES[name];
    if (!key) throw bad(`unknown topic config ${name}`, { name });
    if (key === 'cleanupPolicy' || key === 'messageTimestampType') out[key] = raw;
    else {
      if (!/^-?\d+$/.test(raw.trim())) throw bad(`${name} must be an integer, got ${JSON.stringify(raw)}`, { name, value: raw });
      out[key] = Number(raw.trim());
    }
  }
  return validateTopicConfig(out as Partial<TopicConfig>);
}

export function topicConfigToKafka(config: TopicConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(SLUICE_TO_KAFKA) as (keyof TopicConfig)[]) out[SLUICE_TO_KAFKA[key]] = String(config[key]);
  return out;
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

/** Kafka's rules: [a-zA-Z0-9._-], 1..249 characters, not "." or "..". */
export function validateTopicName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new SluiceError('INVALID_TOPIC_NAME', 'topic name is empty', { details: { topic: name } });
  if (name.length > 249) throw new SluiceError('INVALID_TOPIC_NAME', `topic name is ${name.length} characters; at most 249 are allowed`, { details: { topic: name } });
  if (name === '.' || name === '..') throw new SluiceError('INVALID_TOPIC_NAME', `topic name cannot be "${name}"`, { details: { topic: name } });
  if (!TOPIC_NAME.test(name)) {
    throw new SluiceError('INVALID_TOPIC_NAME', `topic name ${JSON.stringify(name)} has characters outside [a-zA-Z0-9._-]`, { details: { topic: name } });
  }
}
