// The small storage contract both backends implement; the state semantics (TTL, reducing,
// aggregating, list appends, namespace merging, snapshots) are written once on top of it
// in state-handles.ts and base-backend.ts, so heap and LMDB cannot drift apart.
// A "cell" is the stored value of one state for the CURRENT key and namespace; map state
// stores one entry per user key instead. Stored forms: the bare value, or {v, t} with TTL;
// list state stores a non-empty array (of values or of {v, t}).
// May import: types, ttl.
import type { AnyStateDescriptor, StateKind } from './types.js';
import type { ResolvedTtl } from './ttl.js';

/** Returned by mapGet when the user key is absent (undefined is a legal map value). */
export const MISSING: unique symbol = Symbol('missing');
export type Missing = typeof MISSING;

/** One registered state (by descriptor or by restore). */
export interface StateMeta {
  readonly name: string;
  readonly kind: StateKind;
  /** From the descriptor (or, before one is registered, from a restored snapshot). */
  ttl: ResolvedTtl | undefined;
  /** Whether stored values are {v, t} wrapped (fixed when the state is first created). */
  readonly ttlWrapped: boolean;
  /** Small integer, unique per backend; LMDB uses it as the key prefix. */
  readonly id: number;
  descriptor: AnyStateDescriptor | undefined;
  /** Backend-private storage (heap: the tables). */
  store: unknown;
  /** The one handle given out for this state. */
  handle: unknown;
}

export interface CellStorage {
  /** The clock for TTL. */
  now(): number;
  /** undefined when absent. */
  getCell(m: StateMeta): unknown;
  putCell(m: StateMeta, stored: unknown): void;
  removeCell(m: StateMeta): void;
  mapGet(m: StateMeta, userKey: unknown): unknown;
  mapPut(m: StateMeta, userKey: unknown, stored: unknown): void;
  mapRemove(m: StateMeta, userKey: unknown): void;
  /** A stable copy of [userKey, stored] pairs for the current key and namespace. */
  mapEntries(m: StateMeta): Array<[unknown, unknown]>;
  mapIsEmpty(m: StateMeta): boolean;
}
