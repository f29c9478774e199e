// OffsetFetch (key 9), versions 1-8.
//   v1: one group, listed partitions.
//   v2: + top-level errorCode; topics may be null (= every partition the group committed).
//   v3: + throttleTimeMs.   v4: no wire change.   v5: + committedLeaderEpoch.   v6: flexible.
//   v7: + requireStable: partitions with uncommitted transactional offsets answer
//       UNSTABLE_OFFSET_COMMIT (KIP-447).
//   v8: several groups per request (the single-group fields move into `groups`).
// Partitions without a commit answer offset -1.
import { KafkaError } from '../protocol/error-codes.js';
import { OffsetFetch } from '../protocol/messages.js';
import { groupCoordinatorOf } from '../groups/broker-groups.js';
import type { OffsetFetchResult } from '../groups/group-coordinator.js';
import { defineHandler } from './handler.js';

type Topics = { name: string; partitionIndexes: number[] }[] | null;

interface OffsetFetchRequest {
  groupId: string;
  topics: Topics;
  groups: { groupId: string; topics: Topics }[];
  requireStable: boolean;
}

interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: OffsetFetchResult['topics'];
  errorCode: number;
  groups: { groupId: string; topics: OffsetFetchResult['topics']; errorCode: number }[];
}

export const handler = defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: OffsetFetch.apiKey,
  minVersion: 1,
  maxVersion: 8,
  schema: OffsetFetch,
  handle(request, ctx) {
    const coordinator = groupCoordinatorOf(ctx.broker);
    const requireStable = ctx.version >= 7 && request.requireStable;
    if (ctx.version >= 8) {
      const groups = request.groups.map((g) => {
        const r = coordinator.fetchOffsets(g.groupId, g.topics, requireStable);
        return { groupId: g.groupId, topics: r.topics, errorCode: r.errorCode };
      });
      return { throttleTimeMs: 0, topics: [], errorCode: KafkaError.NONE, groups };
    }
    const r = coordinator.fetchOffsets(request.groupId, ctx.version >= 2 ? request.topics : (request.topics ?? []), requireStable);
    if (ctx.version < 2 && r.errorCode !== KafkaError.NONE) {
      // v1 has no top-level error: each requested partition carries it.
      const topics = (request.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode })),
      }));
      return { throttleTimeMs: 0, topics, errorCode: r.errorCode, groups: [] };
    }
    return { throttleTimeMs: 0, topics: r.topics, errorCode: r.errorCode, groups: [] };
  },
});
