// Every message schema Sluice describes, by API key. Handlers look their schema up here;
// the server decodes and encodes through it.
import type { MessageSchema } from './schema.js';
import { AddOffsetsToTxn } from './messages/add-offsets-to-txn.js';
import { AddPartitionsToTxn } from './messages/add-partitions-to-txn.js';
import { ApiVersions } from './messages/api-versions.js';
import { CreateTopics } from './messages/create-topics.js';
import { DeleteGroups } from './messages/delete-groups.js';
import { DeleteTopics } from './messages/delete-topics.js';
import { DescribeConfigs } from './messages/describe-configs.js';
import { DescribeGroups } from './messages/describe-groups.js';
import { EndTxn } from './messages/end-txn.js';
import { Fetch } from './messages/fetch.js';
import { FindCoordinator } from './messages/find-coordinator.js';
import { Heartbeat } from './messages/heartbeat.js';
import { InitProducerId } from './messages/init-producer-id.js';
import { JoinGroup } from './messages/join-group.js';
import { LeaveGroup } from './messages/leave-group.js';
import { ListGroups } from './messages/list-groups.js';
import { ListOffsets } from './messages/list-offsets.js';
import { Metadata } from './messages/metadata.js';
import { OffsetCommit } from './messages/offset-commit.js';
import { OffsetFetch } from './messages/offset-fetch.js';
import { Produce } from './messages/produce.js';
import { SyncGroup } from './messages/sync-group.js';
import { TxnOffsetCommit } from './messages/txn-offset-commit.js';

export {
  AddOffsetsToTxn,
  AddPartitionsToTxn,
  ApiVersions,
  CreateTopics,
  DeleteGroups,
  DeleteTopics,
  DescribeConfigs,
  DescribeGroups,
  EndTxn,
  Fetch,
  FindCoordinator,
  Heartbeat,
  InitProducerId,
  JoinGroup,
  LeaveGroup,
  ListGroups,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  Produce,
  SyncGroup,
  TxnOffsetCommit,
};

export const ALL_SCHEMAS: readonly MessageSchema[] = [
  Produce,
  Fetch,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  FindCoordinator,
  JoinGroup,
  Heartbeat,
  LeaveGroup,
  SyncGroup,
  DescribeGroups,
  ListGroups,
  ApiVersions,
  CreateTopics,
  DeleteTopics,
  InitProducerId,
  AddPartitionsToTxn,
  AddOffsetsToTxn,
  EndTxn,
  TxnOffsetCommit,
  DescribeConfigs,
  DeleteGroups,
];

const byKey = new Map<number, MessageSchema>(ALL_SCHEMAS.map((s) => [s.apiKey, s]));

export function schemaFor(apiKey: number): MessageSchema | undefined {
  return byKey.get(apiKey);
}
