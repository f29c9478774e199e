// JoinGroup (key 11), versions 0-6.
//   v0: session timeout only (it doubles as the rebalance timeout).
//   v1: + rebalanceTimeoutMs.   v2: + throttleTimeMs.   v3: no wire change.
//   v4: a member without an id first gets MEMBER_ID_REQUIRED (79) carrying its new id and
//       joins again with it (KIP-394).
//   v5: + groupInstanceId (static membership, KIP-345).   v6: flexible.
// The request waits (bounded by the rebalance timeout) until every member has rejoined.
import { KafkaError } from '../protocol/error-codes.js';
import { JoinGroup } from '../protocol/messages.js';
import { untilAborted } from '../groups/abortable.js';
import { groupCoordinatorOf } from '../groups/broker-groups.js';
import type { JoinGroupResult } from '../groups/group.js';
import { defineHandler } from './handler.js';

interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
}

interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export const handler = defineHandler<JoinGroupRequest, JoinGroupResponse>({
  apiKey: JoinGroup.apiKey,
  minVersion: 0,
  maxVersion: 6,
  schema: JoinGroup,
  async handle(request, ctx) {
    const coordinator = groupCoordinatorOf(ctx.broker);
    const result = await untilAborted<JoinGroupResult>(
      coordinator.joinGroup({
        groupId: request.groupId,
        memberId: request.memberId,
        groupInstanceId: ctx.version >= 5 ? request.groupInstanceId : null,
        clientId: ctx.header.clientId ?? '',
        clientHost: ctx.clientHost,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: ctx.version >= 1 && request.rebalanceTimeoutMs > 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
        protocolType: request.protocolType,
        protocols: request.protocols,
        requireKnownMemberId: ctx.version >= 4,
      }),
      ctx.signal,
      () => ({ errorCode: KafkaError.NOT_COORDINATOR, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: request.memberId, members: [] }),
    );
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      // Not nullable before v7.
      protocolName: result.protocolName ?? '',
      leader: result.leader,
      memberId: result.memberId,
      members: result.members,
    };
  },
});
