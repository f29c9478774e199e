// SyncGroup (key 14), versions 0-4.
//   v1: + throttleTimeMs.   v2: no wire change.   v3: + groupInstanceId.   v4: flexible.
// The leader sends every member's assignment; followers wait (bounded by the rebalance
// timeout) until the leader has, then each gets its own.
import { KafkaError } from '../protocol/error-codes.js';
import { SyncGroup } from '../protocol/messages.js';
import { untilAborted } from '../groups/abortable.js';
import { groupCoordinatorOf } from '../groups/broker-groups.js';
import type { SyncGroupResult } from '../groups/group.js';
import { defineHandler } from './handler.js';

interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export const handler = defineHandler<SyncGroupRequest, { throttleTimeMs: number; errorCode: number; assignment: Buffer }>({
  apiKey: SyncGroup.apiKey,
  minVersion: 0,
  maxVersion: 4,
  schema: SyncGroup,
  async handle(request, ctx) {
    const result = await untilAborted<SyncGroupResult>(
      groupCoordinatorOf(ctx.broker).syncGroup({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: ctx.version >= 3 ? request.groupInstanceId : null,
        protocolType: null,
        protocolName: null,
        assignments: request.assignments,
      }),
      ctx.signal,
      () => ({ errorCode: KafkaError.NOT_COORDINATOR, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }),
    );
    return { throttleTimeMs: 0, errorCode: result.errorCode, assignment: result.assignment };
  },
});
