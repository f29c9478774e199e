// LeaveGroup (key 13), versions 0-4.
//   v0-2: one memberId; its outcome is the top-level errorCode (v1 adds throttleTimeMs).
//   v3: a list of members (memberId, groupInstanceId) with one errorCode each (KIP-345).
//   v4: flexible.
import { KafkaError } from '../protocol/error-codes.js';
import { LeaveGroup } from '../protocol/messages.js';
import { groupCoordinatorOf } from '../groups/broker-groups.js';
import { defineHandler } from './handler.js';

interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null }[];
}

interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export const handler = defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: LeaveGroup.apiKey,
  minVersion: 0,
  maxVersion: 4,
  schema: LeaveGroup,
  handle(request, ctx) {
    const members = ctx.version >= 3 ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: request.memberId, groupInstanceId: null }];
    const result = groupCoordinatorOf(ctx.broker).leaveGroup(request.groupId, members);
    if (ctx.version < 3) {
      const errorCode = result.errorCode !== KafkaError.NONE ? result.errorCode : (result.members[0]?.errorCode ?? KafkaError.NONE);
      return { throttleTimeMs: 0, errorCode, members: [] };
    }
    return { throttleTimeMs: 0, errorCode: result.errorCode, members: result.members };
  },
});
