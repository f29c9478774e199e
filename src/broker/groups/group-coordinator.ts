// The group coordinator of Kafka's classic consumer-group protocol: JoinGroup / SyncGroup /
// Heartbeat / LeaveGroup drive each group through Empty -> PreparingRebalance ->
// CompletingRebalance -> Stable; assignors stay on the clients (the leader computes the
// assignment, we only relay it). Every wait is bounded by a timer from the injected Timers:
// the rebalance timeout ends a join phase (members that did not rejoin are removed), the
// session timeout removes silent members, and a sync timer removes members that never
// send SyncGroup. Membership is in memory (clients rejoin after a restart); committed
// offsets are durable through the log's GroupOffsetStore.
// Imports: ./group.ts, ./timers.ts, ../protocol/error-codes.ts (the numbers only), log/group-offsets.ts
// (type). No wire protocol here.
import { randomUUID } from 'node:crypto';
import { EMPTY_BUFFER, Group } from './group.js';
import type { GroupState, JoinGroupResult, JoiningMember, Member, SyncGroupResult } from './group.js';
import { KafkaError as E } from '../protocol/error-codes.js';
import type { Timers } from './timers.js';
import type { GroupOffsetStore } from '../../log/group-offsets.js';

/** Where committed offsets live: the log's durable GroupOffsetStore (an in-memory one in unit tests). */
export type OffsetStore = GroupOffsetStore;

export interface GroupCoordinatorOptions {
  offsets: OffsetStore;
  timers: Timers;
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
  /** How long an empty group waits for more members before its first generation (Kafka: 3000). */
  initialRebalanceDelayMs?: number;
  maxMetadataBytes?: number;
  /** Whether a topic partition exists (OffsetCommit answers UNKNOWN_TOPIC_OR_PARTITION otherwise). */
  partitionExists?: (topic: string, partition: number) => boolean;
  /** Whether a transaction holds uncommitted offsets for this partition (OffsetFetch requireStable). */
  hasPendingTxnOffsets?: (group: string, topic: string, partition: number) => boolean;
}

export interface JoinGroupRequest extends JoiningMember {
  groupId: string;
  /** JoinGroup v4+: a member without an id first gets MEMBER_ID_REQUIRED with its new id. */
  requireKnownMemberId: boolean;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface DescribedGroup {
  groupId: string;
  errorCode: number;
  groupState: GroupState;
  protocolType: string;
  protocolData: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
  }[];
}

export interface OffsetCommitTopic {
  name: string;
  partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch?: number; committedMetadata: string | null }[];
}

export interface OffsetCommitTopicResult {
  name: string;
  partitions: { partitionIndex: number; errorCode: number }[];
}

export interface OffsetFetchResult {
  errorCode: number;
  topics: {
    name: string;
    partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; metadata: string | null; errorCode: number }[];
  }[];
}

const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly offsets: OffsetStore;
  private readonly timers: Timers;
  private readonly minSession: number;
  private readonly maxSession: number;
  private readonly initialDelay: number;
  private readonly maxMetadataBytes: number;
  private readonly partitionExists: (topic: string, partition: number) => boolean;
  private readonly hasPendingTxnOffsets: (group: string, topic: string, partition: number) => boolean;
  private closed = false;

  constructor(options: GroupCoordinatorOptions) {
    this.offsets = options.offsets;
    this.timers = options.timers;
    this.minSession = options.minSessionTimeoutMs ?? 1000;
    this.maxSession = options.maxSessionTimeoutMs ?? 1_800_000;
    this.initialDelay = options.initialRebalanceDelayMs ?? 0;
    this.maxMetadataBytes = options.maxMetadataBytes ?? 4096;
    this.partitionExists = options.partitionExists ?? (() => true);
    this.hasPendingTxnOffsets = options.hasPendingTxnOffsets ?? (() => false);
  }

  // ---------------------------------------------------------------- JoinGroup

  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    const fail = (errorCode: number, memberId = req.memberId): Promise<JoinGroupResult> =>
      Promise.resolve(joinError(errorCode, memberId));
    if (this.closed) return fail(E.NOT_COORDINATOR);
    if (req.groupId.length === 0) return fail(E.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.minSession || req.sessionTimeoutMs > this.maxSession) return fail(E.INVALID_SESSION_TIMEOUT);
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      // A known member id for a group we do not have (e.g. after a restart) must rejoin afresh.
      if (req.memberId !== '') return fail(E.UNKNOWN_MEMBER_ID);
      group = new Group(req.groupId);
      this.groups.set(req.groupId, group);
    }
    if (group.state === 'Dead') return fail(E.COORDINATOR_NOT_AVAILABLE);
    return new Promise<JoinGroupResult>((resolve) => {
      if (req.memberId === '') this.joinUnknownMember(group, req, resolve);
      else this.joinKnownMember(group, req, resolve);
      if (group.members.size === 0 && group.pendingMembers.size === 0 && group.state === 'Empty') this.maybeForget(group);
    });
  }

  private joinUnknownMember(group: Group, req: JoinGroupRequest, resolve: (r: JoinGroupResult) => void): void {
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      resolve(joinError(E.INCONSISTENT_GROUP_PROTOCOL, ''));
      return;
    }
    const newId = `${req.clientId || 'member'}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const oldId = group.staticMembers.get(req.groupInstanceId);
      if (oldId !== undefined) {
        this.replaceStaticMember(group, oldId, newId, req, resolve);
        return;
      }
    } else if (req.requireKnownMemberId) {
      const timer = this.timers.set(() => {
        group.pendingMembers.delete(newId);
        // A pending member that never came back may have been the last thing a rebalance waited for.
        if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
        this.maybeForget(group);
      }, req.sessionTimeoutMs);
      group.pendingMembers.set(newId, timer);
      resolve(joinError(E.MEMBER_ID_REQUIRED, newId));
      return;
    }
    this.addMemberAndRebalance(group, newId, req, resolve);
  }

  private joinKnownMember(group: Group, req: JoinGroupRequest, resolve: (r: JoinGroupResult) => void): void {
    const pendingTimer = group.pendingMembers.get(req.memberId);
    if (pendingTimer !== undefined) {
      if (!group.supportsProtocols(req.protocolType, req.protocols)) {
        resolve(joinError(E.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
        return;
      }
      this.timers.clear(pendingTimer);
      group.pendingMembers.delete(req.memberId);
      this.addMemberAndRebalance(group, req.memberId, req, resolve);
      return;
    }
    const fenced = this.fencedInstance(group, req.memberId, req.groupInstanceId);
    if (fenced) {
      resolve(joinError(E.FENCED_INSTANCE_ID, req.memberId));
      return;
    }
    const member = group.members.get(req.memberId);
    if (member === undefined) {
      resolve(joinError(E.UNKNOWN_MEMBER_ID, req.memberId));
      return;
    }
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      resolve(joinError(E.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
      return;
    }
    switch (group.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(group, member, req, resolve);
        return;
      case 'CompletingRebalance':
        // A retried join of the current generation: answer it again unless the member changed.
        if (group.sameProtocols(member, req.protocols)) {
          this.touchHeartbeat(group, member);
          resolve(this.currentJoinResult(group, member));
        } else this.updateMemberAndRebalance(group, member, req, resolve);
        return;
      case 'Stable':
        // The leader rejoining means it wants a new assignment (e.g. the topic metadata changed).
        if (member.memberId === group.leaderId || !group.sameProtocols(member, req.protocols)) {
          this.updateMemberAndRebalance(group, member, req, resolve);
        } else {
          this.touchHeartbeat(group, member);
          resolve(this.currentJoinResult(group, member));
        }
        return;
      default:
        resolve(joinError(E.UNKNOWN_MEMBER_ID, req.memberId));
    }
  }

  private replaceStaticMember(
    group: Group,
    oldId: string,
    newId: string,
    req: JoinGroupRequest,
    resolve: (r: JoinGroupResult) => void,
  ): void {
    const member = group.members.get(oldId);
    if (member === undefined) {
      group.staticMembers.delete(req.groupInstanceId ?? '');
      this.addMemberAndRebalance(group, newId, req, resolve);
      return;
    }
    // The old incarnation is fenced: whatever it was waiting for ends with FENCED_INSTANCE_ID.
    member.joinWaiter?.(joinError(E.FENCED_INSTANCE_ID, oldId));
    member.joinWaiter = undefined;
    member.syncWaiter?.({ errorCode: E.FENCED_INSTANCE_ID, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER });
    member.syncWaiter = undefined;
    group.members.delete(oldId);
    member.memberId = newId;
    group.members.set(newId, member);
    group.staticMembers.set(req.groupInstanceId ?? '', newId);
    const wasLeader = group.leaderId === oldId;
    if (wasLeader) group.leaderId = newId;
    if (group.state === 'Stable' && !wasLeader && group.sameProtocols(member, req.protocols)) {
      // Static membership's point: a restarted member gets its old assignment without a rebalance.
      member.clientId = req.clientId;
      member.clientHost = req.clientHost;
      this.touchHeartbeat(group, member);
      resolve(this.currentJoinResult(group, member));
      return;
    }
    this.updateMemberAndRebalance(group, member, req, resolve);
  }

  private addMemberAndRebalance(group: Group, memberId: string, req: JoinGroupRequest, resolve: (r: JoinGroupResult) => void): void {
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      assignment: EMPTY_BUFFER,
      joinWaiter: resolve,
      syncWaiter: undefined,
      isNew: true,
      synced: false,
      heartbeatTimer: undefined,
    };
    if (group.members.size === 0) group.protocolType = req.protocolType;
    group.members.set(memberId, member);
    if (req.groupInstanceId !== null) group.staticMembers.set(req.groupInstanceId, memberId);
    if (group.leaderId === null) group.leaderId = memberId;
    // The rebalance timer always ends this join first; this only catches a member stuck past it.
    this.scheduleHeartbeat(group, member, Math.min(NEW_MEMBER_JOIN_TIMEOUT_MS, req.rebalanceTimeoutMs) + req.sessionTimeoutMs);
    this.maybePrepareRebalance(group);
  }

  private updateMemberAndRebalance(group: Group, member: Member, req: JoinGroupRequest, resolve: (r: JoinGroupResult) => void): void {
    if (member.joinWaiter !== undefined && member.joinWaiter !== resolve) {
      // A duplicate JoinGroup (client retry): the older request is superseded.
      member.joinWaiter(joinError(E.REBALANCE_IN_PROGRESS, member.memberId));
    }
    member.protocols = req.protocols;
    member.protocolType = req.protocolType;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
    member.joinWaiter = resolve;
    this.touchHeartbeat(group, member);
    this.maybePrepareRebalance(group);
  }

  private maybePrepareRebalance(group: Group): void {
    if (group.state === 'Empty' || group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group);
    else if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
  }

  private prepareRebalance(group: Group): void {
    if (group.state === 'CompletingRebalance') {
      // The assignment being computed is for a membership that no longer exists.
      for (const m of group.members.values()) {
        if (m.syncWaiter !== undefined) {
          const w = m.syncWaiter;
          m.syncWaiter = undefined;
          w({ errorCode: E.REBALANCE_IN_PROGRESS, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER });
        }
      }
    }
    this.timers.clear(group.syncTimer);
    group.syncTimer = undefined;
    const fromEmpty = group.state === 'Empty';
    group.state = 'PreparingRebalance';
    const timeout = group.maxRebalanceTimeoutMs();
    const delay = fromEmpty ? Math.min(this.initialDelay, timeout) : 0;
    group.joinNotBefore = this.timers.now() + delay;
    this.timers.clear(group.rebalanceTimer);
    group.rebalanceTimer = this.timers.set(() => {
      group.rebalanceTimer = undefined;
      if (group.state === 'PreparingRebalance') this.completeJoin(group);
    }, timeout);
    if (delay > 0) {
      this.timers.clear(group.delayTimer);
      group.delayTimer = this.timers.set(() => {
        group.delayTimer = undefined;
        if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
      }, delay);
    } else this.tryCompleteJoin(group);
  }

  private tryCompleteJoin(group: Group): void {
    if (group.allMembersJoined() && this.timers.now() >= group.joinNotBefore) this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    this.timers.clear(group.rebalanceTimer);
    this.timers.clear(group.delayTimer);
    group.rebalanceTimer = undefined;
    group.delayTimer = undefined;
    for (const m of [...group.members.values()]) {
      if (m.joinWaiter === undefined) this.removeMember(group, m);
    }
    for (const timer of group.pendingMembers.values()) this.timers.clear(timer);
    group.pendingMembers.clear();
    group.generationId++;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocolName = null;
      group.protocolType = null;
      group.leaderId = null;
      this.maybeForget(group);
      return;
    }
    if (group.leaderId === null || !group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value ?? null;
    group.protocolName = group.selectProtocol();
    group.state = 'CompletingRebalance';
    for (const m of group.members.values()) {
      m.synced = false;
      m.assignment = EMPTY_BUFFER;
      m.isNew = false;
      const w = m.joinWaiter;
      m.joinWaiter = undefined;
      this.touchHeartbeat(group, m);
      w?.(this.currentJoinResult(group, m));
    }
    // Members that never send SyncGroup would otherwise hold the whole group in CompletingRebalance.
    const generation = group.generationId;
    group.syncTimer = this.timers.set(() => {
      group.syncTimer = undefined;
      if (group.state !== 'CompletingRebalance' || group.generationId !== generation) return;
      for (const m of [...group.members.values()]) if (!m.synced) this.removeMember(group, m);
      this.prepareRebalance(group);
    }, group.maxRebalanceTimeoutMs());
  }

  private currentJoinResult(group: Group, member: Member): JoinGroupResult {
    const isLeader = member.memberId === group.leaderId;
    return {
      errorCode: E.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: group.metadataFor(m, group.protocolName),
          }))
        : [],
    };
  }

  // ---------------------------------------------------------------- SyncGroup

  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResult> {
    const fail = (errorCode: number): Promise<SyncGroupResult> =>
      Promise.resolve({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER });
    if (this.closed) return fail(E.NOT_COORDINATOR);
    const group = this.groups.get(req.groupId);
    if (group === undefined) return fail(E.UNKNOWN_MEMBER_ID);
    if (group.state === 'Dead') return fail(E.COORDINATOR_NOT_AVAILABLE);
    if (this.fencedInstance(group, req.memberId, req.groupInstanceId)) return fail(E.FENCED_INSTANCE_ID);
    const member = group.members.get(req.memberId);
    if (member === undefined) return fail(E.UNKNOWN_MEMBER_ID);
    if (req.generationId !== group.generationId) return fail(E.ILLEGAL_GENERATION);
    if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
      return fail(E.INCONSISTENT_GROUP_PROTOCOL);
    }
    switch (group.state) {
      case 'Empty':
        return fail(E.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        return fail(E.REBALANCE_IN_PROGRESS);
      case 'Stable':
        member.synced = true;
        this.touchHeartbeat(group, member);
        return Promise.resolve(this.syncResult(group, member));
      case 'CompletingRebalance':
        return new Promise<SyncGroupResult>((resolve) => {
          member.synced = true;
          if (member.syncWaiter !== undefined) {
            member.syncWaiter({ errorCode: E.REBALANCE_IN_PROGRESS, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER });
          }
          member.syncWaiter = resolve;
          this.touchHeartbeat(group, member);
          if (member.memberId !== group.leaderId) return;
          for (const m of group.members.values()) m.assignment = EMPTY_BUFFER;
          for (const a of req.assignments) {
            const target = group.members.get(a.memberId);
            if (target !== undefined) target.assignment = a.assignment;
          }
          group.state = 'Stable';
          for (const m of group.members.values()) {
            const w = m.syncWaiter;
            m.syncWaiter = undefined;
            w?.(this.syncResult(group, m));
          }
        });
      default:
        return fail(E.UNKNOWN_MEMBER_ID);
    }
  }

  private syncResult(group: Group, member: Member): SyncGroupResult {
    return { errorCode: E.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
  }

  // ---------------------------------------------------------------- Heartbeat

  heartbeat(req: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): number {
    if (this.closed) return E.NOT_COORDINATOR;
    const group = this.groups.get(req.groupId);
    if (group === undefined) return E.UNKNOWN_MEMBER_ID;
    if (group.state === 'Dead') return E.COORDINATOR_NOT_AVAILABLE;
    if (this.fencedInstance(group, req.memberId, req.groupInstanceId)) return E.FENCED_INSTANCE_ID;
    const member = group.members.get(req.memberId);
    if (member === undefined || group.state === 'Empty') return E.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return E.ILLEGAL_GENERATION;
    this.touchHeartbeat(group, member);
    return group.state === 'PreparingRebalance' ? E.REBALANCE_IN_PROGRESS : E.NONE;
  }

  private touchHeartbeat(group: Group, member: Member): void {
    this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
  }

  private scheduleHeartbeat(group: Group, member: Member, timeoutMs: number): void {
    this.timers.clear(member.heartbeatTimer);
    member.heartbeatTimer = this.timers.set(() => {
      member.heartbeatTimer = undefined;
      if (group.members.get(member.memberId) !== member) return;
      // A member waiting in JoinGroup or SyncGroup is covered by the rebalance or sync timer;
      // only a new member that waited longer than any rebalance could take is given up on.
      if ((member.joinWaiter !== undefined && !member.isNew) || member.syncWaiter !== undefined) {
        this.touchHeartbeat(group, member);
        return;
      }
      this.onMemberFailure(group, member);
    }, timeoutMs);
  }

  private onMemberFailure(group: Group, member: Member): void {
    this.removeMember(group, member);
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group);
    else if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
  }

  private removeMember(group: Group, member: Member): void {
    this.timers.clear(member.heartbeatTimer);
    member.heartbeatTimer = undefined;
    group.members.delete(member.memberId);
    if (member.groupInstanceId !== null && group.staticMembers.get(member.groupInstanceId) === member.memberId) {
      group.staticMembers.delete(member.groupInstanceId);
    }
    if (group.leaderId === member.memberId) {
      // Prefer a member that already rejoined, so a completing join has a leader that gets the member list.
      let next: string | null = null;
      for (const m of group.members.values()) {
        if (m.joinWaiter !== undefined) {
          next = m.memberId;
          break;
        }
      }
      group.leaderId = next ?? group.members.keys().next().value ?? null;
    }
    const jw = member.joinWaiter;
    member.joinWaiter = undefined;
    jw?.(joinError(E.UNKNOWN_MEMBER_ID, member.memberId));
    const sw = member.syncWaiter;
    member.syncWaiter = undefined;
    sw?.({ errorCode: E.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER });
  }

  /** A static instance id that now belongs to another member id: the caller is an old incarnation. */
  private fencedInstance(group: Group, memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = group.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  // ---------------------------------------------------------------- LeaveGroup

  /** `errorCode` is a group-level error; per-member outcomes are in `members`. */
  leaveGroup(groupId: string, members: MemberIdentity[]): LeaveGroupResult {
    if (this.closed) return { errorCode: E.NOT_COORDINATOR, members: [] };
    const group = this.groups.get(groupId);
    if (group === undefined || group.state === 'Dead') {
      return { errorCode: E.NONE, members: members.map((m) => ({ ...m, errorCode: E.UNKNOWN_MEMBER_ID })) };
    }
    const results: LeaveGroupResult['members'] = [];
    let changed = false;
    for (const id of members) {
      let memberId = id.memberId;
      if (id.groupInstanceId !== null) {
        const current = group.staticMembers.get(id.groupInstanceId);
        if (current === undefined) {
          results.push({ ...id, errorCode: E.UNKNOWN_MEMBER_ID });
          continue;
        }
        if (memberId !== '' && memberId !== current) {
          results.push({ ...id, errorCode: E.FENCED_INSTANCE_ID });
          continue;
        }
        memberId = current;
      }
      const pending = group.pendingMembers.get(memberId);
      if (pending !== undefined) {
        this.timers.clear(pending);
        group.pendingMembers.delete(memberId);
        results.push({ ...id, errorCode: E.NONE });
        changed = true;
        continue;
      }
      const member = group.members.get(memberId);
      if (member === undefined) {
        results.push({ ...id, errorCode: E.UNKNOWN_MEMBER_ID });
        continue;
      }
      this.removeMember(group, member);
      results.push({ ...id, errorCode: E.NONE });
      changed = true;
    }
    if (changed) {
      if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group);
      else if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
    }
    return { errorCode: E.NONE, members: results };
  }

  // ---------------------------------------------------------------- Describe / List / Delete

  describeGroups(groupIds: string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      const group = this.groups.get(groupId);
      if (group === undefined) {
        const known = this.offsets.groups().includes(groupId);
        return { groupId, errorCode: E.NONE, groupState: known ? 'Empty' : 'Dead', protocolType: '', protocolData: '', members: [] };
      }
      const stable = group.state === 'Stable';
      return {
        groupId,
        errorCode: E.NONE,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        protocolData: stable ? (group.protocolName ?? '') : '',
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? group.metadataFor(m, group.protocolName) : EMPTY_BUFFER,
          memberAssignment: stable ? m.assignment : EMPTY_BUFFER,
        })),
      };
    });
  }

  listGroups(statesFilter: string[] = []): { groupId: string; protocolType: string; groupState: GroupState }[] {
    const out = new Map<string, { groupId: string; protocolType: string; groupState: GroupState }>();
    for (const g of this.offsets.groups()) out.set(g, { groupId: g, protocolType: 'consumer', groupState: 'Empty' });
    for (const group of this.groups.values()) {
      if (group.state === 'Dead') continue;
      out.set(group.groupId, { groupId: group.groupId, protocolType: group.protocolType ?? out.get(group.groupId)?.protocolType ?? '', groupState: group.state });
    }
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    return [...out.values()].filter((g) => wanted.size === 0 || wanted.has(g.groupState.toLowerCase()));
  }

  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const results: { groupId: string; errorCode: number }[] = [];
    for (const groupId of groupIds) {
      if (this.closed) {
        results.push({ groupId, errorCode: E.NOT_COORDINATOR });
        continue;
      }
      if (groupId.length === 0) {
        results.push({ groupId, errorCode: E.INVALID_GROUP_ID });
        continue;
      }
      const group = this.groups.get(groupId);
      const hasOffsets = this.offsets.groups().includes(groupId);
      if ((group === undefined || group.state === 'Dead') && !hasOffsets) {
        results.push({ groupId, errorCode: E.GROUP_ID_NOT_FOUND });
        continue;
      }
      if (group !== undefined && group.state !== 'Empty' && group.state !== 'Dead') {
        results.push({ groupId, errorCode: E.NON_EMPTY_GROUP });
        continue;
      }
      if (group !== undefined) {
        group.state = 'Dead';
        this.groups.delete(groupId);
      }
      try {
        if (hasOffsets) await this.offsets.deleteGroup(groupId);
        results.push({ groupId, errorCode: E.NONE });
      } catch {
        results.push({ groupId, errorCode: E.KAFKA_STORAGE_ERROR });
      }
    }
    return results;
  }

  // ---------------------------------------------------------------- Offsets

  /**
   * The member/generation check of OffsetCommit (also used by TxnOffsetCommit v3+).
   * Generation -1 is a "simple" commit by a client that manages partitions itself: allowed
   * while the group has no live members.
   */
  validateCommit(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): number {
    if (this.closed) return E.NOT_COORDINATOR;
    if (groupId.length === 0) return E.INVALID_GROUP_ID;
    const group = this.groups.get(groupId);
    if (group === undefined) return generationId < 0 ? E.NONE : E.ILLEGAL_GENERATION;
    if (group.state === 'Dead') return E.COORDINATOR_NOT_AVAILABLE;
    if (generationId < 0 && group.state === 'Empty') return E.NONE;
    if (group.state === 'CompletingRebalance') return E.REBALANCE_IN_PROGRESS;
    if (this.fencedInstance(group, memberId, groupInstanceId)) return E.FENCED_INSTANCE_ID;
    if (!group.members.has(memberId)) return E.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return E.ILLEGAL_GENERATION;
    return E.NONE;
  }

  async commitOffsets(req: {
    groupId: string;
    generationId: number;
    memberId: string;
    groupInstanceId: string | null;
    topics: OffsetCommitTopic[];
  }): Promise<OffsetCommitTopicResult[]> {
    const check = this.validateCommit(req.groupId, req.generationId, req.memberId, req.groupInstanceId);
    if (check !== E.NONE) return allPartitions(req.topics, check);
    const group = this.groups.get(req.groupId);
    const member = group?.members.get(req.memberId);
    if (group !== undefined && member !== undefined) this.touchHeartbeat(group, member);
    const { results, accepted } = this.filterCommittable(req.topics);
    if (accepted.length > 0) {
      try {
        await this.offsets.commit(req.groupId, accepted);
      } catch {
        for (const t of results) for (const p of t.partitions) if (p.errorCode === E.NONE) p.errorCode = E.KAFKA_STORAGE_ERROR;
      }
    }
    return results;
  }

  /** Per-partition checks shared by OffsetCommit and TxnOffsetCommit. */
  filterCommittable(topics: OffsetCommitTopic[]): {
    results: OffsetCommitTopicResult[];
    accepted: { topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }[];
  } {
    const accepted: { topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }[] = [];
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        let errorCode: number = E.NONE;
        if (!this.partitionExists(t.name, p.partitionIndex)) errorCode = E.UNKNOWN_TOPIC_OR_PARTITION;
        else if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata) > this.maxMetadataBytes) errorCode = E.OFFSET_METADATA_TOO_LARGE;
        else {
          accepted.push({
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch ?? -1,
            metadata: p.committedMetadata,
          });
        }
        return { partitionIndex: p.partitionIndex, errorCode };
      }),
    }));
    return { results, accepted };
  }

  /** `topics` null = every partition the group committed. Unknown partitions answer offset -1. */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable = false): OffsetFetchResult {
    if (this.closed) return { errorCode: E.NOT_COORDINATOR, topics: [] };
    if (groupId.length === 0) return { errorCode: E.INVALID_GROUP_ID, topics: [] };
    const committed = this.offsets.fetch(groupId);
    const wanted = topics ?? [...committed].map(([name, parts]) => ({ name, partitionIndexes: [...parts.keys()].sort((a, b) => a - b) }));
    return {
      errorCode: E.NONE,
      topics: wanted.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          if (requireStable && this.hasPendingTxnOffsets(groupId, t.name, partitionIndex)) {
            return { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: null, errorCode: E.UNSTABLE_OFFSET_COMMIT };
          }
          const c = committed.get(t.name)?.get(partitionIndex);
          return {
            partitionIndex,
            committedOffset: c?.offset ?? -1,
            committedLeaderEpoch: c?.leaderEpoch ?? -1,
            metadata: c === undefined ? '' : c.metadata,
            errorCode: E.NONE,
          };
        }),
      })),
    };
  }

  // ---------------------------------------------------------------- lifecycle

  /** State of one group for tests and the UI (undefined when the coordinator has no live state). */
  groupState(groupId: string): { state: GroupState; generationId: number; leaderId: string | null; members: string[]; protocolName: string | null } | undefined {
    const g = this.groups.get(groupId);
    if (g === undefined) return undefined;
    return { state: g.state, generationId: g.generationId, leaderId: g.leaderId, members: [...g.members.keys()], protocolName: g.protocolName };
  }

  /** Stops every timer and answers every waiting request with NOT_COORDINATOR (clients find the restarted broker). */
  close(): void {
    this.closed = true;
    for (const group of this.groups.values()) {
      this.timers.clear(group.rebalanceTimer);
      this.timers.clear(group.delayTimer);
      this.timers.clear(group.syncTimer);
      for (const t of group.pendingMembers.values()) this.timers.clear(t);
      for (const m of group.members.values()) {
        this.timers.clear(m.heartbeatTimer);
        const jw = m.joinWaiter;
        const sw = m.syncWaiter;
        m.joinWaiter = undefined;
        m.syncWaiter = undefined;
        jw?.(joinError(E.NOT_COORDINATOR, m.memberId));
        sw?.({ errorCode: E.NOT_COORDINATOR, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER });
      }
    }
    this.groups.clear();
  }

  /** An empty group with no live state is forgotten (its offsets, if any, stay in the store). */
  private maybeForget(group: Group): void {
    if (group.state === 'Empty' && group.members.size === 0 && group.pendingMembers.size === 0 && this.groups.get(group.groupId) === group) {
      // Keep the generation counter only while there is something to protect against stale commits.
      if (group.generationId === 0) this.groups.delete(group.groupId);
    }
  }
}

function joinError(errorCode: number, memberId: string): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

function allPartitions(topics: OffsetCommitTopic[], errorCode: number): OffsetCommitTopicResult[] {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
}
