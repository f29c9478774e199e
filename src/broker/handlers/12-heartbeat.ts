// Heartbeat (key 12), versions 0-4.
//   v1: + throttleTimeMs.   v2: no wire change.   v3: + groupInstanceId.   v4: flexible.
// Keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
import { Heartbeat } from '../protocol/messages.js';
import { groupCoordinatorOf } from '../groups/broker-groups.js';
import { defineHandler } from './handler.js';

interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export const handler = defineHandler<HeartbeatRequest, { throttleTimeMs: number; errorCode: number }>({
  apiKey: Heartbeat.apiKey,
  minVersion: 0,
  maxVersion: 4,
  schema: Heartbeat,
  handle(request, ctx) {
    const errorCode = groupCoordinatorOf(ctx.broker).heartbeat({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: ctx.version >= 3 ? request.groupInstanceId : null,
    });
    return { throttleTimeMs: 0, errorCode };
  },
});
