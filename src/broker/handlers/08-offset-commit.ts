// OffsetCommit (key 8), versions 2-8.
//   v2-4: + retentionTimeMs (ignored: offsets are kept until the group is deleted).
//   v3: + throttleTimeMs.   v5: retentionTimeMs removed.   v6: + committedLeaderEpoch.
//   v7: + groupInstanceId.   v8: flexible.
// Generation -1 is a simple (non-group) commit, allowed while the group has no live members;
// a member of an older generation gets ILLEGAL_GENERATION. Durable before the answer.
import { OffsetCommit } from '../protocol/messages.js';
import { groupCoordinatorOf } from '../groups/broker-groups.js';
import type { OffsetCommitTopic, OffsetCommitTopicResult } from '../groups/group-coordinator.js';
import { defineHandler } from './handler.js';

interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: OffsetCommitTopic[];
}

export const handler = defineHandler<OffsetCommitRequest, { throttleTimeMs: number; topics: OffsetCommitTopicResult[] }>({
  apiKey: OffsetCommit.apiKey,
  minVersion: 2,
  maxVersion: 8,
  schema: OffsetCommit,
  async handle(request, ctx) {
    const topics = await groupCoordinatorOf(ctx.broker).commitOffsets({
      groupId: request.groupId,
      generationId: request.generationIdOrMemberEpoch,
      memberId: request.memberId,
      groupInstanceId: ctx.version >= 7 ? request.groupInstanceId : null,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          committedOffset: p.committedOffset,
          committedLeaderEpoch: ctx.version >= 6 ? p.committedLeaderEpoch : -1,
          committedMetadata: p.committedMetadata,
        })),
      })),
    });
    return { throttleTimeMs: 0, topics };
  },
});
