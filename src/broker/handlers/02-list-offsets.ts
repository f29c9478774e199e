// ListOffsets (key 2), versions 1-5.
//   v1: one (timestamp, offset) pair per partition instead of v0's offset list.
//   v2: + isolationLevel (read_committed answers "latest" with the last stable offset) and
//       throttleTimeMs.   v3: no wire change.
//   v4: + currentLeaderEpoch in the request, leaderEpoch in the response.
//   v5: no wire change (OFFSET_NOT_AVAILABLE semantics, which one node never needs).
// Timestamps: -1 latest, -2 earliest, otherwise the first offset whose timestamp is >= it
// (offset -1 when there is none).
import { KafkaError, kafkaErrorCode } from '../protocol/error-codes.js';
import { ListOffsets } from '../protocol/messages.js';
import { defineHandler } from './handler.js';

interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: { name: string; partitions: { partitionIndex: number; timestamp: number }[] }[];
}

interface PartitionResult {
  partitionIndex: number;
  errorCode: number;
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: PartitionResult[] }[];
}

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export const handler = defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: ListOffsets.apiKey,
  minVersion: 1,
  maxVersion: 5,
  schema: ListOffsets,
  async handle(request, ctx) {
    const log = ctx.broker.log;
    const committed = request.isolationLevel === 1;
    const topics = await Promise.all(
      request.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p): Promise<PartitionResult> => {
            const res: PartitionResult = { partitionIndex: p.partitionIndex, errorCode: KafkaError.NONE, timestamp: -1, offset: -1, leaderEpoch: 0 };
            try {
              if (!log.hasTopic(t.name)) {
                res.errorCode = KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
                return res;
              }
              const part = log.partition(t.name, p.partitionIndex);
              if (p.timestamp === LATEST_TIMESTAMP) res.offset = committed ? part.lastStableOffset : part.highWatermark;
              else if (p.timestamp === EARLIEST_TIMESTAMP) res.offset = part.logStartOffset;
              else if (p.timestamp < 0) res.errorCode = KafkaError.UNSUPPORTED_VERSION;
              else {
                const found = await part.offsetForTimestamp(p.timestamp);
                if (found) {
                  res.offset = found.offset;
                  res.timestamp = found.timestamp;
                }
              }
            } catch (err) {
              res.errorCode = kafkaErrorCode(err);
            }
            return res;
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
});
