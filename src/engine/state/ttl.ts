// TTL bookkeeping shared by every state kind and both backends. With TTL, a stored value
// is wrapped as {v, t} (t = last timestamp that counts for the update type); without TTL,
// values are stored bare, so state without TTL pays nothing.
// May import: types.
import type { StateTtlConfig } from './types.js';

export interface TtlValue<T = unknown> {
  v: T;
  t: number;
}

export interface ResolvedTtl {
  readonly ttlMs: number;
  /** true for OnReadAndWrite: reads refresh the timestamp too. */
  readonly refreshOnRead: boolean;
}

export function resolveTtl(cfg: StateTtlConfig | undefined): ResolvedTtl | undefined {
  if (!cfg) return undefined;
  return { ttlMs: cfg.ttlMs, refreshOnRead: cfg.updateType === 'OnReadAndWrite' };
}

export function isExpired(ttl: ResolvedTtl, stored: TtlValue, now: number): boolean {
  return now >= stored.t + ttl.ttlMs;
}

/** True for a well-formed TtlValue (restored snapshots are checked with it). */
export function isTtlValue(x: unknown): x is TtlValue {
  return typeof x === 'object' && x !== null && 't' in x && typeof (x as TtlValue).t === 'number' && 'v' in x;
}
