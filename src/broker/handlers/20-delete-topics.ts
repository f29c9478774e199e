// DeleteTopics (key 20), versions 1-6.
//   v1: + throttleTimeMs.   v2, v3: no wire change.   v4: flexible.   v5: + errorMessage.
//   v6: topics addressed by name or topic id (Sluice has no topic ids: an id alone is
//       answered UNKNOWN_TOPIC_ID).
import { isSluiceError } from '../../errors.js';
import { KafkaError, kafkaErrorCode } from '../protocol/error-codes.js';
import { DeleteTopics } from '../protocol/messages.js';
import { defineHandler } from './handler.js';

interface DeleteTopicsRequest {
  topics: { name: string | null; topicId: Buffer }[];
  topicNames: string[];
  timeoutMs: number;
}

interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: { name: string | null; topicId: Buffer; errorCode: number; errorMessage: string | null }[];
}

export const handler = defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: DeleteTopics.apiKey,
  minVersion: 1,
  maxVersion: 6,
  schema: DeleteTopics,
  async handle(request, ctx) {
    const log = ctx.broker.log;
    const wanted = ctx.version >= 6 ? request.topics : request.topicNames.map((name) => ({ name, topicId: Buffer.alloc(16) }));
    const responses: DeleteTopicsResponse['responses'] = [];
    for (const t of wanted) {
      if (t.name === null) {
        responses.push({ name: null, topicId: t.topicId, errorCode: KafkaError.UNKNOWN_TOPIC_ID, errorMessage: 'Sluice addresses topics by name' });
        continue;
      }
      try {
        await log.deleteTopic(t.name);
        responses.push({ name: t.name, topicId: t.topicId, errorCode: KafkaError.NONE, errorMessage: null });
      } catch (err) {
        const code = isSluiceError(err, 'UNKNOWN_TOPIC') ? KafkaError.UNKNOWN_TOPIC_OR_PARTITION : kafkaErrorCode(err);
        responses.push({ name: t.name, topicId: t.topicId, errorCode: code, errorMessage: (err as Error).message });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
});
