// DescribeConfigs (key 32), versions 0-4.
//   v0: name, value, readOnly, isDefault, isSensitive per config.
//   v1: isDefault replaced by configSource; + synonyms (when includeSynonyms).
//   v2: no wire change.   v3: + configType and documentation.   v4: flexible.
// Topics (resource type 2) report the log's topic config under Kafka's names; the broker
// (resource type 4, name "0" or "") reports the settings clients commonly read.
import { DEFAULT_TOPIC_CONFIG, topicConfigToKafka } from '../../log/topic-config.js';
import { KafkaError, kafkaErrorCode } from '../protocol/error-codes.js';
import { DescribeConfigs } from '../protocol/messages.js';
import { defineHandler } from './handler.js';

interface DescribeConfigsRequest {
  resources: { resourceType: number; resourceName: string; configurationKeys: string[] | null }[];
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: { name: string; value: string | null; source: number }[];
  configType: number;
  documentation: string | null;
}

interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string; configs: ConfigEntry[] }[];
}

const TOPIC = 2;
const BROKER = 4;
// ConfigSource values.
const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;
// ConfigType values.
const TYPE_BOOLEAN = 1;
const TYPE_STRING = 2;
const TYPE_INT = 3;
const TYPE_LONG = 5;
const TYPE_LIST = 7;

const TOPIC_TYPES: Record<string, number> = {
  'retention.ms': TYPE_LONG,
  'retention.bytes': TYPE_LONG,
  'segment.bytes': TYPE_INT,
  'segment.ms': TYPE_LONG,
  'cleanup.policy': TYPE_LIST,
  'max.message.bytes': TYPE_INT,
  'delete.retention.ms': TYPE_LONG,
  'message.timestamp.type': TYPE_STRING,
};

const DEFAULTS = topicConfigToKafka({ ...DEFAULT_TOPIC_CONFIG });

function entry(name: string, value: string, source: number, type: number, isDefault: boolean, synonyms: boolean): ConfigEntry {
  return {
    name,
    value,
    readOnly: source === STATIC_BROKER_CONFIG,
    isDefault,
    configSource: source,
    isSensitive: false,
    synonyms: synonyms ? [{ name, value, source }] : [],
    configType: type,
    documentation: null,
  };
}

export const handler = defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  apiKey: DescribeConfigs.apiKey,
  minVersion: 0,
  maxVersion: 4,
  schema: DescribeConfigs,
  handle(request, ctx) {
    const broker = ctx.broker;
    const results = request.resources.map((res) => {
      const base = { errorCode: KafkaError.NONE as number, errorMessage: null as string | null, resourceType: res.resourceType, resourceName: res.resourceName, configs: [] as ConfigEntry[] };
      const keep = res.configurationKeys === null ? null : new Set(res.configurationKeys);
      if (res.resourceType === TOPIC) {
        try {
          const d = broker.log.describeTopic(res.resourceName);
          for (const [name, value] of Object.entries(topicConfigToKafka(d.config))) {
            if (keep && !keep.has(name)) continue;
            const isDefault = DEFAULTS[name] === value;
            base.configs.push(entry(name, value, isDefault ? DEFAULT_CONFIG : DYNAMIC_TOPIC_CONFIG, TOPIC_TYPES[name] ?? TYPE_STRING, isDefault, request.includeSynonyms));
          }
        } catch (err) {
          base.errorCode = kafkaErrorCode(err);
          base.errorMessage = (err as Error).message;
        }
      } else if (res.resourceType === BROKER) {
        if (res.resourceName !== '' && res.resourceName !== String(broker.config.nodeId)) {
          base.errorCode = KafkaError.INVALID_REQUEST;
          base.errorMessage = `unknown broker ${res.resourceName}`;
        } else {
          const cfg = broker.config;
          const values: [string, string, number][] = [
            ['broker.id', String(cfg.nodeId), TYPE_INT],
            ['auto.create.topics.enable', String(cfg.autoCreateTopics), TYPE_BOOLEAN],
            ['num.partitions', String(cfg.defaultPartitions), TYPE_INT],
            ['socket.request.max.bytes', String(cfg.maxRequestBytes), TYPE_INT],
            ['default.replication.factor', '1', TYPE_INT],
            ['offsets.topic.replication.factor', '1', TYPE_INT],
            ['transaction.state.log.replication.factor', '1', TYPE_INT],
            ['min.insync.replicas', '1', TYPE_INT],
          ];
          for (const [name, value, type] of values) {
            if (keep && !keep.has(name)) continue;
            base.configs.push(entry(name, value, STATIC_BROKER_CONFIG, type, false, request.includeSynonyms));
          }
        }
      } else {
        base.errorCode = KafkaError.INVALID_REQUEST;
        base.errorMessage = `resource type ${res.resourceType} is not described by Sluice`;
      }
      return base;
    });
    return { throttleTimeMs: 0, results };
  },
});
