// Unit tests of the classic group protocol on a fake clock: joins, syncs, generations,
// session / rebalance / sync timeouts, static membership, leave, delete and offsets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GroupCoordinator } from './group-coordinator.js';
import type { JoinGroupRequest } from './group-coordinator.js';
import type { JoinGroupResult, SyncGroupResult } from './group.js';
import { KafkaError as E } from '../protocol/error-codes.js';
import { ManualTimers } from './timers.js';
import { MemoryOffsetStore } from './memory-offset-store.js';

const SESSION = 10_000;
const REBALANCE = 30_000;

function setup(opts: { initialRebalanceDelayMs?: number } = {}) {
  const timers = new ManualTimers();
  const offsets = new MemoryOffsetStore();
  const coord = new GroupCoordinator({ offsets, timers, initialRebalanceDelayMs: opts.initialRebalanceDelayMs ?? 0 });
  return { timers, offsets, coord };
}

function req(over: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: SESSION,
    rebalanceTimeoutMs: REBALANCE,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    requireKnownMemberId: false,
    ...over,
  };
}

/** Records a promise's value once it settles, so tests can check "still waiting". */
function track<T>(p: Promise<T>): { value: T | undefined } {
  const box: { value: T | undefined } = { value: undefined };
  void p.then((v) => {
    box.value = v;
  });
  return box;
}
const isPending = (box: { value: unknown }): boolean => box.value === undefined;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function joinStable(coord: GroupCoordinator, over: Partial<JoinGroupRequest> = {}): Promise<JoinGroupResult> {
  const j = await coord.joinGroup(req(over));
  assert.equal(j.errorCode, E.NONE);
  const s = await coord.syncGroup({
    groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: over.groupInstanceId ?? null,
    protocolType: 'consumer', protocolName: j.protocolName,
    assignments: j.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`a-${m.memberId}`) })),
  });
  assert.equal(s.errorCode, E.NONE);
  return j;
}

test('v4 join: MEMBER_ID_REQUIRED round trip, then a one-member generation becomes Stable', async () => {
  const { coord } = setup();
  const first = await coord.joinGroup(req({ requireKnownMemberId: true }));
  assert.equal(first.errorCode, E.MEMBER_ID_REQUIRED);
  assert.ok(first.memberId.length > 0);
  const j = await coord.joinGroup(req({ requireKnownMemberId: true, memberId: first.memberId }));
  assert.equal(j.errorCode, E.NONE);
  assert.equal(j.memberId, first.memberId);
  assert.equal(j.generationId, 1);
  assert.equal(j.leader, j.memberId);
  assert.equal(j.protocolName, 'range');
  assert.deepEqual(j.members.map((m) => m.memberId), [j.memberId]);
  assert.equal(coord.groupState('g')?.state, 'CompletingRebalance');
  const s = await coord.syncGroup({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: j.memberId, assignment: Buffer.from('A') }] });
  assert.equal(s.errorCode, E.NONE);
  assert.equal(s.assignment.toString(), 'A');
  assert.equal(coord.groupState('g')?.state, 'Stable');
  assert.equal(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null }), E.NONE);
});

test('a pending member id that never comes back expires after the session timeout', async () => {
  const { coord, timers } = setup();
  const first = await coord.joinGroup(req({ requireKnownMemberId: true }));
  timers.advance(SESSION + 1);
  const j = await coord.joinGroup(req({ requireKnownMemberId: true, memberId: first.memberId }));
  assert.equal(j.errorCode, E.UNKNOWN_MEMBER_ID);
});

test('a second member triggers a rebalance; both get the next generation and the leader relays assignments', async () => {
  const { coord } = setup();
  const a = await joinStable(coord);
  const jb = track(coord.joinGroup(req({ clientId: 'b' })));
  await tick();
  assert.ok(isPending(jb), 'b waits until a rejoins');
  assert.equal(coord.groupState('g')?.state, 'PreparingRebalance');
  assert.equal(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null }), E.REBALANCE_IN_PROGRESS);
  // Commits of the current generation still work while rebalancing (so a revoking member can commit).
  const c = await coord.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: null }] }] });
  assert.equal(c[0]?.partitions[0]?.errorCode, E.NONE);
  const ja = await coord.joinGroup(req({ memberId: a.memberId }));
  await tick();
  const b = jb.value;
  assert.ok(b);
  assert.equal(ja.generationId, 2);
  assert.equal(b.generationId, 2);
  assert.equal(ja.leader, a.memberId);
  assert.equal(b.leader, a.memberId);
  assert.equal(ja.members.length, 2);
  assert.equal(b.members.length, 0, 'followers get no member list');
  const sb = track(coord.syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] }));
  await tick();
  assert.ok(isPending(sb), 'follower waits for the leader');
  const sa = await coord.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: a.memberId, assignment: Buffer.from('pa') }, { memberId: b.memberId, assignment: Buffer.from('pb') }] });
  await tick();
  assert.equal(sa.assignment.toString(), 'pa');
  assert.equal(sb.value?.assignment.toString(), 'pb');
  assert.equal(coord.groupState('g')?.state, 'Stable');
  // The old generation is now stale everywhere.
  assert.equal(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null }), E.ILLEGAL_GENERATION);
  const stale = await coord.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 9, committedMetadata: null }] }] });
  assert.equal(stale[0]?.partitions[0]?.errorCode, E.ILLEGAL_GENERATION);
  assert.equal(coord.fetchOffsets('g', null).topics[0]?.partitions[0]?.committedOffset, 5);
});

test('rebalance timeout removes members that do not rejoin', async () => {
  const { coord, timers } = setup();
  const a = await joinStable(coord);
  const jb = track(coord.joinGroup(req({ clientId: 'b' })));
  // a keeps heartbeating (so its session does not expire) but never rejoins.
  for (let t = 0; t < REBALANCE; t += SESSION / 2) {
    timers.advance(SESSION / 2 - 1);
    coord.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null });
  }
  timers.advance(10);
  await tick();
  assert.equal(jb.value?.errorCode, E.NONE);
  assert.equal(jb.value?.generationId, 2);
  assert.equal(jb.value?.leader, jb.value?.memberId, 'the member that rejoined leads');
  assert.deepEqual(coord.groupState('g')?.members, [jb.value?.memberId]);
  assert.equal(coord.heartbeat({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null }), E.UNKNOWN_MEMBER_ID);
});

test('session timeout evicts a silent member and rebalances the rest', async () => {
  const { coord, timers } = setup();
  const a = await joinStable(coord);
  const jb = track(coord.joinGroup(req({ clientId: 'b' })));
  const ja = await coord.joinGroup(req({ memberId: a.memberId }));
  await tick();
  const b = jb.value;
  assert.ok(b);
  await Promise.all([
    coord.syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }),
    coord.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: ja.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from('x') })) }),
  ]);
  // b heartbeats, a goes silent.
  for (let i = 0; i < 4; i++) {
    timers.advance(SESSION / 3);
    const hb = coord.heartbeat({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null });
    if (i < 2) assert.equal(hb, E.NONE);
  }
  assert.equal(coord.groupState('g')?.state, 'PreparingRebalance');
  assert.equal(coord.heartbeat({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null }), E.REBALANCE_IN_PROGRESS);
  const rb = await coord.joinGroup(req({ memberId: b.memberId }));
  assert.equal(rb.generationId, 3);
  assert.equal(rb.leader, b.memberId);
  assert.deepEqual(coord.groupState('g')?.members, [b.memberId]);
});

test('a leader that never sends SyncGroup is removed after the rebalance timeout', async () => {
  const { coord, timers } = setup();
  const a = await joinStable(coord);
  const jb = track(coord.joinGroup(req({ clientId: 'b' })));
  // A long session, so only the sync timer can remove the leader.
  await coord.joinGroup(req({ memberId: a.memberId, sessionTimeoutMs: 120_000 }));
  await tick();
  const b = jb.value;
  assert.ok(b);
  const sb = track(coord.syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }));
  timers.advance(REBALANCE - 1);
  assert.ok(isPending(sb));
  assert.equal(coord.heartbeat({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null }), E.NONE);
  timers.advance(2);
  await tick();
  assert.equal(sb.value?.errorCode, E.REBALANCE_IN_PROGRESS);
  assert.deepEqual(coord.groupState('g')?.members, [b.memberId]);
});

test('a silent group empties itself and every timer is released', async () => {
  const { coord, timers } = setup();
  await joinStable(coord);
  timers.advance(SESSION * 10);
  assert.equal(coord.groupState('g')?.state, 'Empty');
  assert.equal(timers.size, 0);
});

test('protocol selection: only a protocol all members support; an incompatible member is refused', async () => {
  const { coord } = setup();
  const both = [{ name: 'range', metadata: Buffer.from('r') }, { name: 'roundrobin', metadata: Buffer.from('rr') }];
  const a = await joinStable(coord, { protocols: both });
  const bad = await coord.joinGroup(req({ protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }));
  assert.equal(bad.errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  const wrongType = await coord.joinGroup(req({ protocolType: 'connect' }));
  assert.equal(wrongType.errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
  const jb = track(coord.joinGroup(req({ protocols: [{ name: 'roundrobin', metadata: Buffer.from('b') }] })));
  const ja = await coord.joinGroup(req({ memberId: a.memberId, protocols: both }));
  await tick();
  assert.equal(ja.protocolName, 'roundrobin');
  assert.equal(jb.value?.protocolName, 'roundrobin');
  const meta = ja.members.find((m) => m.memberId === a.memberId)?.metadata.toString();
  assert.equal(meta, 'rr', 'leader sees metadata for the chosen protocol');
});

test('LeaveGroup removes the member, answers UNKNOWN_MEMBER_ID for strangers, and rebalances the rest', async () => {
  const { coord } = setup();
  const a = await joinStable(coord);
  const jb = track(coord.joinGroup(req({ clientId: 'b' })));
  await coord.joinGroup(req({ memberId: a.memberId }));
  await tick();
  const b = jb.value;
  assert.ok(b);
  const res = coord.leaveGroup('g', [{ memberId: a.memberId, groupInstanceId: null }, { memberId: 'nobody', groupInstanceId: null }]);
  assert.deepEqual(res.members.map((m) => m.errorCode), [E.NONE, E.UNKNOWN_MEMBER_ID]);
  assert.equal(coord.groupState('g')?.state, 'PreparingRebalance');
  const rb = await coord.joinGroup(req({ memberId: b.memberId }));
  assert.equal(rb.generationId, 3);
  assert.equal(rb.leader, b.memberId, 'leadership moves to a remaining member');
  assert.equal(rb.members.length, 1);
});

test('static membership: a restarted instance takes its old place without a rebalance; the old id is fenced', async () => {
  const { coord } = setup();
  const a = await joinStable(coord, { groupInstanceId: 'i-a' });
  const jb = track(coord.joinGroup(req({ groupInstanceId: 'i-b' })));
  await coord.joinGroup(req({ memberId: a.memberId, groupInstanceId: 'i-a' }));
  await tick();
  const b = jb.value;
  assert.ok(b);
  await Promise.all([
    coord.syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: 'i-b', protocolType: null, protocolName: null, assignments: [] }),
    coord.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: 'i-a', protocolType: null, protocolName: null, assignments: [{ memberId: a.memberId, assignment: Buffer.from('A') }, { memberId: b.memberId, assignment: Buffer.from('B') }] }),
  ]);
  const b2 = await coord.joinGroup(req({ groupInstanceId: 'i-b' }));
  assert.equal(b2.errorCode, E.NONE);
  assert.notEqual(b2.memberId, b.memberId);
  assert.equal(b2.generationId, 2, 'no new generation');
  assert.equal(coord.groupState('g')?.state, 'Stable');
  const s = await coord.syncGroup({ groupId: 'g', generationId: 2, memberId: b2.memberId, groupInstanceId: 'i-b', protocolType: null, protocolName: null, assignments: [] });
  assert.equal(s.assignment.toString(), 'B', 'keeps its assignment');
  assert.equal(coord.heartbeat({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: 'i-b' }), E.FENCED_INSTANCE_ID);
  const leave = coord.leaveGroup('g', [{ memberId: '', groupInstanceId: 'i-b' }]);
  assert.equal(leave.members[0]?.errorCode, E.NONE);
  assert.deepEqual(coord.groupState('g')?.members, [a.memberId]);
});

test('offset commit rules: simple commits on empty groups, member checks on live ones, unknown group + generation', async () => {
  const { coord } = setup();
  const topics = [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3, committedMetadata: 'md' }] }];
  assert.equal((await coord.commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', groupInstanceId: null, topics }))[0]?.partitions[0]?.errorCode, E.NONE);
  assert.equal((await coord.commitOffsets({ groupId: 'ghost', generationId: 4, memberId: 'x', groupInstanceId: null, topics }))[0]?.partitions[0]?.errorCode, E.ILLEGAL_GENERATION);
  const a = await joinStable(coord);
  assert.equal((await coord.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, topics }))[0]?.partitions[0]?.errorCode, E.UNKNOWN_MEMBER_ID);
  assert.equal((await coord.commitOffsets({ groupId: 'g', generationId: 1, memberId: 'x', groupInstanceId: null, topics }))[0]?.partitions[0]?.errorCode, E.UNKNOWN_MEMBER_ID);
  assert.equal((await coord.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, topics }))[0]?.partitions[0]?.errorCode, E.NONE);
  const big = [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 3, committedMetadata: 'x'.repeat(5000) }] }];
  assert.equal((await coord.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, topics: big }))[0]?.partitions[0]?.errorCode, E.OFFSET_METADATA_TOO_LARGE);
  const f = coord.fetchOffsets('g', [{ name: 't', partitionIndexes: [0, 1] }]);
  assert.deepEqual(f.topics[0]?.partitions.map((p) => [p.committedOffset, p.metadata]), [[3, 'md'], [-1, '']]);
  assert.equal(coord.fetchOffsets('simple', null).topics[0]?.partitions[0]?.committedOffset, 3);
});

test('a storage failure during commit is reported per partition and nothing crashes', async () => {
  const { coord, offsets } = setup();
  offsets.failNext = new Error('disk');
  const r = await coord.commitOffsets({ groupId: 'x', generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] }] });
  assert.equal(r[0]?.partitions[0]?.errorCode, E.KAFKA_STORAGE_ERROR);
});

test('describe, list and delete groups', async () => {
  const { coord, offsets, timers } = setup();
  await offsets.commit('old', [{ topic: 't', partition: 0, offset: 1 }]);
  const a = await joinStable(coord);
  const d = coord.describeGroups(['g', 'old', 'none']);
  assert.equal(d[0]?.groupState, 'Stable');
  assert.equal(d[0]?.protocolData, 'range');
  assert.equal(d[0]?.members[0]?.memberId, a.memberId);
  assert.equal(d[0]?.members[0]?.memberAssignment.toString(), `a-${a.memberId}`);
  assert.equal(d[1]?.groupState, 'Empty');
  assert.equal(d[2]?.groupState, 'Dead');
  assert.deepEqual(coord.listGroups().map((g) => g.groupId).sort(), ['g', 'old']);
  assert.deepEqual(coord.listGroups(['Stable']).map((g) => g.groupId), ['g']);
  const del = await coord.deleteGroups(['g', 'old', 'none', '']);
  assert.deepEqual(del.map((r) => r.errorCode), [E.NON_EMPTY_GROUP, E.NONE, E.GROUP_ID_NOT_FOUND, E.INVALID_GROUP_ID]);
  assert.equal(offsets.groups().includes('old'), false);
  timers.advance(SESSION * 3);
  assert.equal((await coord.deleteGroups(['g']))[0]?.errorCode, E.NONE);
  assert.equal(coord.groupState('g'), undefined);
});

test('bad input gets error codes: empty group id, session timeout out of range, sync of strangers', async () => {
  const { coord } = setup();
  assert.equal((await coord.joinGroup(req({ groupId: '' }))).errorCode, E.INVALID_GROUP_ID);
  assert.equal((await coord.joinGroup(req({ sessionTimeoutMs: 1 }))).errorCode, E.INVALID_SESSION_TIMEOUT);
  assert.equal((await coord.joinGroup(req({ memberId: 'who' }))).errorCode, E.UNKNOWN_MEMBER_ID);
  assert.equal((await coord.syncGroup({ groupId: 'g', generationId: 1, memberId: 'who', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode, E.UNKNOWN_MEMBER_ID);
  const a = await joinStable(coord);
  assert.equal((await coord.syncGroup({ groupId: 'g', generationId: 7, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode, E.ILLEGAL_GENERATION);
  assert.equal((await coord.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'other', assignments: [] })).errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
});

test('initial rebalance delay gathers members that arrive together into one generation', async () => {
  const { coord, timers } = setup({ initialRebalanceDelayMs: 3000 });
  const j1 = track(coord.joinGroup(req()));
  const j2 = track(coord.joinGroup(req()));
  await tick();
  assert.ok(isPending(j1));
  timers.advance(3000);
  await tick();
  assert.equal(j1.value?.generationId, 1);
  assert.equal(j2.value?.generationId, 1);
});

test('close answers waiting requests and clears timers', async () => {
  const { coord, timers } = setup();
  await joinStable(coord);
  const jb = track(coord.joinGroup(req()));
  coord.close();
  await tick();
  assert.equal(jb.value?.errorCode, E.NOT_COORDINATOR);
  assert.equal(timers.size, 0);
});

test('property: after any sequence of joins, leaves and silences, every rebalance hands all members one generation and a leader among them', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.constant('join' as const), fc.constant('leave' as const), fc.constant('silence' as const)), { minLength: 1, maxLength: 12 }),
      async (ops) => {
        const { coord, timers } = setup();
        const live: string[] = [];
        for (const op of ops) {
          if (op === 'leave' && live.length > 0) coord.leaveGroup('g', [{ memberId: live.shift() ?? '', groupInstanceId: null }]);
          if (op === 'silence') {
            timers.advance(SESSION + 1);
            live.length = 0;
          }
          // A newcomer (if any) comes first, then everyone still alive rejoins, as a heartbeat
          // answering REBALANCE_IN_PROGRESS would make them.
          const joins: Promise<JoinGroupResult>[] = [];
          if (op === 'join' || live.length === 0) joins.push(coord.joinGroup(req()));
          for (const id of live) joins.push(coord.joinGroup(req({ memberId: id })));
          const results = await Promise.all(joins);
          const ok = results.filter((r) => r.errorCode === E.NONE);
          live.length = 0;
          for (const r of ok) live.push(r.memberId);
          const state = coord.groupState('g');
          assert.ok(state);
          assert.deepEqual(new Set(state.members), new Set(live));
          assert.equal(new Set(ok.map((r) => r.generationId)).size, 1);
          assert.ok(state.leaderId !== null && live.includes(state.leaderId));
          assert.equal(ok.filter((r) => r.members.length > 0).length, 1, 'exactly one leader gets the member list');
          const leader = ok.find((r) => r.memberId === state.leaderId);
          const syncs = ok.map((r) => coord.syncGroup({ groupId: 'g', generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: (leader?.members ?? []).map((m) => ({ memberId: m.memberId, assignment: Buffer.from(m.memberId) })) }));
          const synced: SyncGroupResult[] = await Promise.all(syncs);
          synced.forEach((s, i) => assert.equal(s.assignment.toString(), ok[i]?.memberId));
        }
        coord.close();
      },
    ),
    { numRuns: 60 },
  );
});
