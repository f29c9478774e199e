// Group and transaction APIs on the wire at the versions real clients do not all use:
// JoinGroup v0 and v6 (MEMBER_ID_REQUIRED), LeaveGroup v0 and v4, OffsetFetch v1, v7 and
// the v8 multi-group form, DescribeGroups / ListGroups / DeleteGroups, InitProducerId v4
// fencing with KIP-360 and AddPartitionsToTxn v3 — encoded with the project's codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from './broker-harness.js';
import { RawClient, caller } from './raw-client.js';
import * as M from '../../src/broker/protocol/messages.js';
import { KafkaError as E } from '../../src/broker/protocol/error-codes.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const protocols = [{ name: 'range', metadata: Buffer.from([0, 1, 2]) }];

test('wire: group lifecycle across old and new versions', { timeout: 30_000 }, async () => {
  const h = await startBroker();
  const c = await RawClient.connect(h.broker.port);
  const call = caller(c);
  try {
    await h.log.createTopic('t', 2);
    // JoinGroup v6: first MEMBER_ID_REQUIRED with an id, then the real join.
    const j0 = await call(M.JoinGroup, 6, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols });
    assert.equal(j0.errorCode, E.MEMBER_ID_REQUIRED);
    assert.ok(j0.memberId.length > 0);
    const j1 = await call(M.JoinGroup, 6, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: j0.memberId, groupInstanceId: null, protocolType: 'consumer', protocols });
    assert.equal(j1.errorCode, E.NONE);
    assert.equal(j1.generationId, 1);
    assert.equal(j1.leader, j0.memberId);
    assert.equal(j1.protocolName, 'range');
    assert.deepEqual(j1.members.map((m: Any) => m.metadata), [Buffer.from([0, 1, 2])]);
    const s = await call(M.SyncGroup, 4, { groupId: 'g', generationId: 1, memberId: j0.memberId, groupInstanceId: null, assignments: [{ memberId: j0.memberId, assignment: Buffer.from('A') }] });
    assert.equal(s.errorCode, E.NONE);
    assert.deepEqual(s.assignment, Buffer.from('A'));
    assert.equal((await call(M.Heartbeat, 0, { groupId: 'g', generationId: 1, memberId: j0.memberId })).errorCode, E.NONE);
    assert.equal((await call(M.Heartbeat, 4, { groupId: 'g', generationId: 0, memberId: j0.memberId, groupInstanceId: null })).errorCode, E.ILLEGAL_GENERATION);

    // OffsetCommit v8 (flexible) by the member, then a stale generation.
    const commit = (gen: number, offset: number) => call(M.OffsetCommit, 8, { groupId: 'g', generationIdOrMemberEpoch: gen, memberId: j0.memberId, groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'm' }] }] });
    assert.equal((await commit(1, 12)).topics[0].partitions[0].errorCode, E.NONE);
    assert.equal((await commit(0, 99)).topics[0].partitions[0].errorCode, E.ILLEGAL_GENERATION);
    // A simple commit (generation -1) to another group and to an unknown partition.
    const simple = await call(M.OffsetCommit, 2, { groupId: 'other', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3, committedMetadata: null }, { partitionIndex: 9, committedOffset: 3, committedMetadata: null }] }] });
    assert.deepEqual(simple.topics[0].partitions.map((p: Any) => p.errorCode), [E.NONE, E.UNKNOWN_TOPIC_OR_PARTITION]);

    const v1 = await call(M.OffsetFetch, 1, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }] });
    assert.deepEqual(v1.topics[0].partitions.map((p: Any) => p.committedOffset), [-1, 12]);
    const v7 = await call(M.OffsetFetch, 7, { groupId: 'g', topics: null, requireStable: true });
    assert.equal(v7.errorCode, E.NONE);
    assert.deepEqual(v7.topics.map((t: Any) => [t.name, t.partitions.map((p: Any) => [p.partitionIndex, p.committedOffset, p.metadata])]), [['t', [[1, 12, 'm']]]]);
    const v8 = await call(M.OffsetFetch, 8, { groups: [{ groupId: 'g', topics: null }, { groupId: 'other', topics: [{ name: 't', partitionIndexes: [0] }] }, { groupId: 'nobody', topics: null }], requireStable: false });
    assert.deepEqual(v8.groups.map((g: Any) => [g.groupId, g.errorCode, g.topics.flatMap((t: Any) => t.partitions.map((p: Any) => p.committedOffset))]), [['g', 0, [12]], ['other', 0, [3]], ['nobody', 0, []]]);

    const described = await call(M.DescribeGroups, 5, { groups: ['g', 'ghost'], includeAuthorizedOperations: false });
    assert.equal(described.groups[0].groupState, 'Stable');
    assert.equal(described.groups[0].protocolData, 'range');
    assert.equal(described.groups[0].members[0].memberId, j0.memberId);
    assert.equal(described.groups[1].groupState, 'Dead');
    const listed = await call(M.ListGroups, 4, { statesFilter: ['Stable'] });
    assert.deepEqual(listed.groups.map((g: Any) => [g.groupId, g.groupState]), [['g', 'Stable']]);
    const all = await call(M.ListGroups, 0, {});
    assert.deepEqual(all.groups.map((g: Any) => g.groupId).sort(), ['g', 'other']);

    const del1 = await call(M.DeleteGroups, 2, { groupsNames: ['g', 'other', 'ghost'] });
    assert.deepEqual(del1.results.map((r: Any) => r.errorCode), [E.NON_EMPTY_GROUP, E.NONE, E.GROUP_ID_NOT_FOUND]);

    // LeaveGroup v0 (single member, top-level error), then v4 for a stranger.
    assert.equal((await call(M.LeaveGroup, 0, { groupId: 'g', memberId: j0.memberId })).errorCode, E.NONE);
    const v4 = await call(M.LeaveGroup, 4, { groupId: 'g', members: [{ memberId: 'stranger', groupInstanceId: null }] });
    assert.equal(v4.members[0].errorCode, E.UNKNOWN_MEMBER_ID);
    // JoinGroup v0 needs no member-id round trip.
    const old = await call(M.JoinGroup, 0, { groupId: 'g0', sessionTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols });
    assert.equal(old.errorCode, E.NONE);
    assert.equal(old.generationId, 1);
    assert.equal((await call(M.DeleteGroups, 0, { groupsNames: ['g'] })).results[0].errorCode, E.NONE);
    assert.deepEqual(h.log.groupOffsets.fetch('g').size, 0, 'deleting removes the committed offsets');
  } finally {
    c.close();
    await h.stop();
  }
});

test('wire: InitProducerId v4 fencing (KIP-360) and AddPartitionsToTxn v3 errors', { timeout: 30_000 }, async () => {
  const h = await startBroker();
  const c = await RawClient.connect(h.broker.port);
  const call = caller(c);
  try {
    await h.log.createTopic('t', 1);
    const a = await call(M.InitProducerId, 4, { transactionalId: 'w', transactionTimeoutMs: 30_000, producerId: -1, producerEpoch: -1 });
    assert.equal(a.errorCode, E.NONE);
    const b = await call(M.InitProducerId, 4, { transactionalId: 'w', transactionTimeoutMs: 30_000, producerId: a.producerId, producerEpoch: a.producerEpoch });
    assert.equal(b.errorCode, E.NONE);
    assert.equal(b.producerEpoch, a.producerEpoch + 1);
    const stale = await call(M.InitProducerId, 4, { transactionalId: 'w', transactionTimeoutMs: 30_000, producerId: a.producerId, producerEpoch: a.producerEpoch });
    assert.equal(stale.errorCode, E.PRODUCER_FENCED);
    const staleV0 = await call(M.AddPartitionsToTxn, 0, { v3AndBelowTransactionalId: 'w', v3AndBelowProducerId: a.producerId, v3AndBelowProducerEpoch: a.producerEpoch, v3AndBelowTopics: [{ name: 't', partitions: [0] }] });
    assert.equal(staleV0.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode, E.INVALID_PRODUCER_EPOCH);
    const add = await call(M.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: 'w', v3AndBelowProducerId: b.producerId, v3AndBelowProducerEpoch: b.producerEpoch, v3AndBelowTopics: [{ name: 't', partitions: [0] }, { name: 'nope', partitions: [0] }] });
    assert.deepEqual(add.resultsByTopicV3AndBelow.map((t: Any) => t.resultsByPartition[0].partitionErrorCode), [E.OPERATION_NOT_ATTEMPTED, E.UNKNOWN_TOPIC_OR_PARTITION]);
    assert.equal((await call(M.EndTxn, 3, { transactionalId: 'w', producerId: b.producerId, producerEpoch: b.producerEpoch, committed: true })).errorCode, E.INVALID_TXN_STATE);
    const idem = await call(M.InitProducerId, 0, { transactionalId: null, transactionTimeoutMs: 0 });
    assert.equal(idem.errorCode, E.NONE);
    assert.notEqual(idem.producerId, a.producerId);
  } finally {
    c.close();
    await h.stop();
  }
});
