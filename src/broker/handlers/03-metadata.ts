// Metadata (key 3), versions 0-9.
//   v0: brokers and topics; an empty topic list means all topics.
//   v1: + rack, controllerId, isInternal; a null topic list means all, an empty one none.
//   v2: + clusterId.   v3: + throttleTimeMs.   v4: + allowAutoTopicCreation.
//   v5: + offlineReplicas.   v6: no wire change.   v7: + leaderEpoch.
//   v8: + authorized operations (not computed: Sluice has no ACLs; the "not requested" value).
//   v9: flexible.
// One node: broker 0 is every partition's leader, only replica and the controller.
// Unknown topics are created when the broker's auto-creation is on and the request allows it
// (the creation is synchronous, so the answer already lists the new partitions).
import { isSluiceError } from '../../errors.js';
import { validateTopicName } from '../../log/topic-config.js';
import { KafkaError, kafkaErrorCode } from '../protocol/error-codes.js';
import { Metadata } from '../protocol/messages.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler } from './handler.js';

interface MetadataRequest {
  topics: { name: string | null }[] | null;
  allowAutoTopicCreation: boolean;
}

interface TopicMetadata {
  errorCode: number;
  name: string;
  isInternal: boolean;
  partitions: {
    errorCode: number;
    partitionIndex: number;
    leaderId: number;
    leaderEpoch: number;
    replicaNodes: number[];
    isrNodes: number[];
    offlineReplicas: number[];
  }[];
}

interface MetadataResponse {
  throttleTimeMs: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  clusterId: string | null;
  controllerId: number;
  topics: TopicMetadata[];
}

function describe(broker: BrokerContext, name: string, internal: boolean, partitions: number): TopicMetadata {
  const node = broker.config.nodeId;
  const list: TopicMetadata['partitions'] = [];
  for (let i = 0; i < partitions; i++) {
    list.push({ errorCode: KafkaError.NONE, partitionIndex: i, leaderId: node, leaderEpoch: 0, replicaNodes: [node], isrNodes: [node], offlineReplicas: [] });
  }
  return { errorCode: KafkaError.NONE, name, isInternal: internal, partitions: list };
}

async function topicMetadata(broker: BrokerContext, name: string, allowCreate: boolean): Promise<TopicMetadata> {
  const fail = (errorCode: number): TopicMetadata => ({ errorCode, name, isInternal: false, partitions: [] });
  try {
    validateTopicName(name);
  } catch {
    return fail(KafkaError.INVALID_TOPIC_EXCEPTION);
  }
  try {
    if (!(await broker.ensureTopic(name, allowCreate))) return fail(KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
    const d = broker.log.describeTopic(name);
    return describe(broker, d.name, d.internal, d.partitions);
  } catch (err) {
    if (isSluiceError(err, 'UNKNOWN_TOPIC')) return fail(KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
    return fail(kafkaErrorCode(err));
  }
}

export const handler = defineHandler<MetadataRequest, MetadataResponse>({
  apiKey: Metadata.apiKey,
  minVersion: 0,
  maxVersion: 9,
  schema: Metadata,
  async handle(request, ctx) {
    const broker = ctx.broker;
    const all = request.topics === null || (ctx.version === 0 && request.topics.length === 0);
    let topics: TopicMetadata[];
    if (all) {
      topics = broker.log.listTopics().map((d) => describe(broker, d.name, d.internal, d.partitions));
    } else {
      // v0-v3 have no flag: auto-creation follows the broker's setting alone.
      const allow = ctx.version < 4 || request.allowAutoTopicCreation;
      const names = [...new Set((request.topics ?? []).map((t) => t.name).filter((n): n is string => n !== null))];
      topics = await Promise.all(names.map((n) => topicMetadata(broker, n, allow)));
    }
    const cfg = broker.config;
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: cfg.nodeId, host: cfg.advertisedHost, port: cfg.advertisedPort, rack: null }],
      clusterId: cfg.clusterId,
      controllerId: cfg.nodeId,
      topics,
    };
  },
});
