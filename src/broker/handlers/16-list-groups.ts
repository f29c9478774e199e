// ListGroups (key 16), versions 0-4.
//   v1: + throttleTimeMs.   v2: no wire change.   v3: flexible.
//   v4: + statesFilter in the request and each group's state in the response (KIP-518).
// Groups known only from committed offsets are listed as Empty.
import { KafkaError } from '../protocol/error-codes.js';
import { ListGroups } from '../protocol/messages.js';
import { groupCoordinatorOf } from '../groups/broker-groups.js';
import { defineHandler } from './handler.js';

interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: { groupId: string; protocolType: string; groupState: string }[];
}

export const handler = defineHandler<{ statesFilter: string[] }, ListGroupsResponse>({
  apiKey: ListGroups.apiKey,
  minVersion: 0,
  maxVersion: 4,
  schema: ListGroups,
  handle(request, ctx) {
    const groups = groupCoordinatorOf(ctx.broker).listGroups(ctx.version >= 4 ? request.statesFilter : []);
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE, groups };
  },
});
