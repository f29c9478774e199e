// CreateTopics (key 19), versions 2-7.
//   v1: + validateOnly, errorMessage.   v2: + throttleTimeMs.   v3, v4: no wire change.
//   v5: flexible; the response echoes numPartitions, replicationFactor and the configs
//       (topicConfigErrorCode tagged).   v6: no wire change.   v7: + topicId (Sluice: zero).
// numPartitions -1 takes the broker's default; replication factor must be -1 or 1 (one
// node); manual assignments must place every partition on node 0. Configs use Kafka's
// names (retention.ms, cleanup.policy, ...), INVALID_CONFIG otherwise.
import { isSluiceError } from '../../errors.js';
import type { TopicConfig } from '../../log/topic-config.js';
import { topicConfigFromKafka, topicConfigToKafka, validateTopicName } from '../../log/topic-config.js';
import { KafkaError, kafkaErrorCode } from '../protocol/error-codes.js';
import { CreateTopics } from '../protocol/messages.js';
import { defineHandler } from './handler.js';

interface CreateTopicsRequest {
  topics: {
    name: string;
    numPartitions: number;
    replicationFactor: number;
    assignments: { partitionIndex: number; brokerIds: number[] }[];
    configs: { name: string; value: string | null }[];
  }[];
  timeoutMs: number;
  validateOnly: boolean;
}

interface TopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  replicationFactor: number;
  configs: { name: string; value: string | null; readOnly: boolean; configSource: number; isSensitive: boolean }[] | null;
}

interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: TopicResult[];
}

const DEFAULT_CONFIG_SOURCE = 5;
const TOPIC_CONFIG_SOURCE = 1;

export const handler = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: CreateTopics.apiKey,
  minVersion: 2,
  maxVersion: 7,
  schema: CreateTopics,
  async handle(request, ctx) {
    const broker = ctx.broker;
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics: TopicResult[] = [];
    for (const t of request.topics) {
      const fail = (errorCode: number, errorMessage: string): TopicResult => ({ name: t.name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null });
      if (counts.get(t.name)! > 1) {
        topics.push(fail(KafkaError.INVALID_REQUEST, `topic ${t.name} appears more than once in the request`));
        continue;
      }
      try {
        validateTopicName(t.name);
      } catch (err) {
        topics.push(fail(KafkaError.INVALID_TOPIC_EXCEPTION, (err as Error).message));
        continue;
      }
      if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
        topics.push(fail(KafkaError.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor}: Sluice is one node (use 1 or -1)`));
        continue;
      }
      let partitions = t.numPartitions === -1 ? broker.config.defaultPartitions : t.numPartitions;
      if (t.assignments.length > 0) {
        const ok = t.numPartitions === -1 && t.assignments.every((a, i) => a.partitionIndex === i && a.brokerIds.length === 1 && a.brokerIds[0] === broker.config.nodeId);
        if (!ok) {
          topics.push(fail(KafkaError.INVALID_REPLICA_ASSIGNMENT, 'assignments must list partitions 0..n-1, each on node 0 alone, with numPartitions -1'));
          continue;
        }
        partitions = t.assignments.length;
      }
      if (!Number.isInteger(partitions) || partitions < 1) {
        topics.push(fail(KafkaError.INVALID_PARTITIONS, `number of partitions must be at least 1, got ${partitions}`));
        continue;
      }
      let config: Partial<TopicConfig>;
      try {
        const entries: Record<string, string> = {};
        for (const c of t.configs) if (c.value !== null) entries[c.name] = c.value;
        config = topicConfigFromKafka(entries);
      } catch (err) {
        topics.push(fail(KafkaError.INVALID_CONFIG, (err as Error).message));
        continue;
      }
      if (broker.log.hasTopic(t.name)) {
        topics.push(fail(KafkaError.TOPIC_ALREADY_EXISTS, `topic ${t.name} already exists`));
        continue;
      }
      try {
        let full: TopicConfig | undefined;
        if (!request.validateOnly) full = (await broker.log.createTopic(t.name, partitions, config)).config;
        const explicit = new Set(t.configs.map((c) => c.name));
        topics.push({
          name: t.name,
          errorCode: KafkaError.NONE,
          errorMessage: null,
          numPartitions: partitions,
          replicationFactor: 1,
          configs: full
            ? Object.entries(topicConfigToKafka(full)).map(([name, value]) => ({
                name,
                value,
                readOnly: false,
                configSource: explicit.has(name) ? TOPIC_CONFIG_SOURCE : DEFAULT_CONFIG_SOURCE,
                isSensitive: false,
              }))
            : [],
        });
      } catch (err) {
        topics.push(fail(isSluiceError(err, 'TOPIC_EXISTS') ? KafkaError.TOPIC_ALREADY_EXISTS : kafkaErrorCode(err), (err as Error).message));
      }
    }
    return { throttleTimeMs: 0, topics };
  },
});
