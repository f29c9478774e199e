// DescribeGroups (key 15), versions 0-5.
//   v1: + throttleTimeMs.   v2: no wire change.   v3: + authorized operations (not tracked:
//   answered with Kafka's "not requested" value).   v4: + groupInstanceId per member.
//   v5: flexible.
// Member metadata and assignments are shown only for a Stable group, as Kafka does.
import { DescribeGroups } from '../protocol/messages.js';
import { groupCoordinatorOf } from '../groups/broker-groups.js';
import type { DescribedGroup } from '../groups/group-coordinator.js';
import { defineHandler } from './handler.js';

export const handler = defineHandler<{ groups: string[] }, { throttleTimeMs: number; groups: DescribedGroup[] }>({
  apiKey: DescribeGroups.apiKey,
  minVersion: 0,
  maxVersion: 5,
  schema: DescribeGroups,
  handle(request, ctx) {
    return { throttleTimeMs: 0, groups: groupCoordinatorOf(ctx.broker).describeGroups(request.groups) };
  },
});
