// One consumer group of Kafka's classic protocol: its members, generation, state and the
// protocol choice. Pure data plus the small decisions that need only the group itself
// (which protocols every member supports, which one wins the vote, who leads). The timing
// and the request flow live in group-coordinator.ts.
// Imports only ./timers.ts (types).
import type { TimerHandle } from './timers.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Filled for the leader only: every member with its metadata for the chosen protocol. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

/** What a member says of itself in JoinGroup, and the group keeps. */
export interface JoiningMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
}

export interface Member extends JoiningMember {
  assignment: Buffer;
  /** Set while a JoinGroup of this member waits for the rebalance to complete. */
  joinWaiter: ((r: JoinGroupResult) => void) | undefined;
  /** Set while a SyncGroup of this member waits for the leader's assignment. */
  syncWaiter: ((r: SyncGroupResult) => void) | undefined;
  /** Joined in the current rebalance and never completed one. */
  isNew: boolean;
  /** Sent SyncGroup in the current generation. */
  synced: boolean;
  heartbeatTimer: TimerHandle | undefined;
}

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet, with their expiry timers. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** groupInstanceId -> memberId for static members. */
  readonly staticMembers = new Map<string, string>();
  rebalanceTimer: TimerHandle | undefined;
  delayTimer: TimerHandle | undefined;
  /** Join may not complete before this time (initial rebalance delay of an empty group). */
  joinNotBefore = 0;
  syncTimer: TimerHandle | undefined;

  constructor(readonly groupId: string) {}

  /** Protocol names every current member supports. */
  candidateProtocols(): Set<string> {
    let result: Set<string> | undefined;
    for (const m of this.members.values()) {
      const names = new Set(m.protocols.map((p) => p.name));
      if (result === undefined) result = names;
      else for (const n of result) if (!names.has(n)) result.delete(n);
    }
    return result ?? new Set();
  }

  /** Whether a member with these protocols may join (same type, at least one protocol in common). */
  supportsProtocols(protocolType: string, protocols: GroupProtocol[]): boolean {
    if (protocolType.length === 0 || protocols.length === 0) return false;
    if (this.members.size === 0) return true;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /** Each member votes for its most preferred candidate; the most votes win (ties: first seen). */
  selectProtocol(): string | null {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name));
      if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best;
  }

  allMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (m.joinWaiter === undefined) return false;
    return true;
  }

  maxRebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  metadataFor(member: Member, protocolName: string | null): Buffer {
    return member.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BUFFER;
  }

  sameProtocols(member: Member, protocols: GroupProtocol[]): boolean {
    if (member.protocols.length !== protocols.length) return false;
    return member.protocols.every((p, i) => {
      const q = protocols[i];
      return q !== undefined && q.name === p.name && q.metadata.equals(p.metadata);
    });
  }
}
