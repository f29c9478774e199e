// DeleteGroups (key 42), versions 0-2.
//   v1: only throttling behaviour changed.   v2: flexible.
// A group with live members answers NON_EMPTY_GROUP (68); deleting removes its committed
// offsets durably.
import { DeleteGroups } from '../protocol/messages.js';
import { groupCoordinatorOf } from '../groups/broker-groups.js';
import { defineHandler } from './handler.js';

export const handler = defineHandler<{ groupsNames: string[] }, { throttleTimeMs: number; results: { groupId: string; errorCode: number }[] }>({
  apiKey: DeleteGroups.apiKey,
  minVersion: 0,
  maxVersion: 2,
  schema: DeleteGroups,
  async handle(request, ctx) {
    return { throttleTimeMs: 0, results: await groupCoordinatorOf(ctx.broker).deleteGroups(request.groupsNames) };
  },
});
