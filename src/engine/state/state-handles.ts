// The state handles operators use (ValueState, ListState, ...), written once over
// CellStorage. They hold no per-key data: every call goes to the storage, which acts on the
// backend's current key and namespace. TTL rules live here (lazy expiry on access).
// May import: errors, types, ttl, cell-storage.
import { SluiceError } from '../../errors.js';
import { MISSING } from './cell-storage.js';
import type { CellStorage, StateMeta } from './cell-storage.js';
import { isExpired } from './ttl.js';
import type { ResolvedTtl, TtlValue } from './ttl.js';
import type {
  AggregateFunction,
  AggregatingState,
  ListState,
  MapState,
  ReduceFunction,
  ReducingState,
  ValueState,
} from './types.js';

const EMPTY: readonly never[] = Object.freeze([]);

/** Handles that window operators can merge across namespaces. */
export interface MergeableHandle {
  /** Reads and removes the live content of the current namespace, in stored form. */
  take(): unknown;
  /** Folds taken content into the current namespace. */
  mergeIn(taken: unknown): void;
}

/** Reads a single (non-list, non-map) cell, applying TTL. Returns the bare value or MISSING. */
function readSingle(s: CellStorage, m: StateMeta, refresh: boolean): unknown {
  const stored = s.getCell(m);
  if (stored === undefined) return MISSING;
  const ttl = m.ttl;
  if (!m.ttlWrapped) return stored;
  const tv = stored as TtlValue;
  const now = s.now();
  if (ttl && isExpired(ttl, tv, now)) {
    s.removeCell(m);
    return MISSING;
  }
  if (refresh && ttl?.refreshOnRead && tv.t !== now) {
    tv.t = now;
    s.putCell(m, tv);
  }
  return tv.v;
}

function writeSingle(s: CellStorage, m: StateMeta, v: unknown): void {
  s.putCell(m, m.ttlWrapped ? ({ v, t: s.now() } satisfies TtlValue) : v);
}

export class ValueStateHandle<T> implements ValueState<T> {
  constructor(
    private readonly s: CellStorage,
    private readonly m: StateMeta,
    private readonly defaultValue: T | undefined,
  ) {}

  value(): T | undefined {
    const v = readSingle(this.s, this.m, true);
    return v === MISSING ? this.defaultValue : (v as T);
  }

  update(value: T | undefined): void {
    if (value === undefined) this.s.removeCell(this.m);
    else writeSingle(this.s, this.m, value);
  }

  clear(): void {
    this.s.removeCell(this.m);
  }
}

/** Removes and returns a single-cell state's stored value (MISSING when empty), for merging. */
function takeSingle(s: CellStorage, m: StateMeta): unknown {
  const v = readSingle(s, m, false);
  if (v !== MISSING) s.removeCell(m);
  return v;
}

export class ReducingStateHandle<T> implements ReducingState<T>, MergeableHandle {
  constructor(
    private readonly s: CellStorage,
    private readonly m: StateMeta,
    private readonly reduce: ReduceFunction<T>,
  ) {}

  get(): T | undefined {
    const v = readSingle(this.s, this.m, true);
    return v === MISSING ? undefined : (v as T);
  }

  add(value: T): void {
    const cur = readSingle(this.s, this.m, false);
    writeSingle(this.s, this.m, cur === MISSING ? value : this.reduce(cur as T, value));
  }

  clear(): void {
    this.s.removeCell(this.m);
  }

  take(): unknown {
    return takeSingle(this.s, this.m);
  }

  mergeIn(taken: unknown): void {
    if (taken === MISSING) return;
    const cur = readSingle(this.s, this.m, false);
    writeSingle(this.s, this.m, cur === MISSING ? taken : this.reduce(cur as T, taken as T));
  }
}

export class AggregatingStateHandle<IN, ACC, OUT> implements AggregatingState<IN, OUT>, MergeableHandle {
  constructor(
    private readonly s: CellStorage,
    private readonly m: StateMeta,
    private readonly fn: AggregateFunction<IN, ACC, OUT>,
  ) {}

  get(): OUT | undefined {
    const acc = readSingle(this.s, this.m, true);
    return acc === MISSING ? undefined : this.fn.getResult(acc as ACC);
  }

  add(value: IN): void {
    const cur = readSingle(this.s, this.m, false);
    const acc = cur === MISSING ? this.fn.createAccumulator() : (cur as ACC);
    writeSingle(this.s, this.m, this.fn.add(value, acc));
  }

  clear(): void {
    this.s.removeCell(this.m);
  }

  take(): unknown {
    return takeSingle(this.s, this.m);
  }

  mergeIn(taken: unknown): void {
    if (taken === MISSING) return;
    const cur = readSingle(this.s, this.m, false);
    writeSingle(this.s, this.m, cur === MISSING ? taken : this.fn.merge(cur as ACC, taken as ACC));
  }
}

/**
 * List state. Without TTL the stored array is the list itself and add() appends in place
 * (no copy per element); get() returns that array, valid until the next write.
 */
export class ListStateHandle<T> implements ListState<T>, MergeableHandle {
  private readonly ttl: ResolvedTtl | undefined;

  constructor(
    private readonly s: CellStorage,
    private readonly m: StateMeta,
  ) {
    this.ttl = m.ttl;
  }

  /** Live stored elements (wrapped when TTL), dropping expired ones; refreshes on read. */
  private liveStored(refresh: boolean): unknown[] | undefined {
    const stored = this.s.getCell(this.m) as unknown[] | undefined;
    if (stored === undefined || !this.m.ttlWrapped) return stored;
    const now = this.s.now();
    const ttl = this.ttl;
    let live = stored as TtlValue[];
    if (ttl && live.some((e) => isExpired(ttl, e, now))) live = live.filter((e) => !isExpired(ttl, e, now));
    let changed = live !== stored;
    if (refresh && ttl?.refreshOnRead) {
      for (const e of live) {
        if (e.t !== now) {
          e.t = now;
          changed = true;
        }
      }
    }
    if (changed) {
      if (live.length === 0) this.s.removeCell(this.m);
      else this.s.putCell(this.m, live);
    }
    return live.length === 0 ? undefined : live;
  }

  get(): readonly T[] {
    const live = this.liveStored(true);
    if (live === undefined) return EMPTY;
    if (!this.m.ttlWrapped) return live as T[];
    return (live as TtlValue<T>[]).map((e) => e.v);
  }

  add(value: T): void {
    const live = this.liveStored(false);
    const el = this.m.ttlWrapped ? { v: value, t: this.s.now() } : value;
    if (live === undefined) this.s.putCell(this.m, [el]);
    else {
      live.push(el);
      this.s.putCell(this.m, live);
    }
  }

  addAll(values: readonly T[]): void {
    if (values.length === 0) return;
    const live = this.liveStored(false) ?? [];
    if (this.m.ttlWrapped) {
      const now = this.s.now();
      for (const v of values) live.push({ v, t: now });
    } else {
      for (const v of values) live.push(v);
    }
    this.s.putCell(this.m, live);
  }

  update(values: readonly T[]): void {
    if (values.length === 0) {
      this.s.removeCell(this.m);
      return;
    }
    if (this.m.ttlWrapped) {
      const now = this.s.now();
      this.s.putCell(this.m, values.map((v) => ({ v, t: now })));
    } else {
      this.s.putCell(this.m, values.slice());
    }
  }

  clear(): void {
    this.s.removeCell(this.m);
  }

  take(): unknown {
    const live = this.liveStored(false);
    if (live !== undefined) this.s.removeCell(this.m);
    return live ?? MISSING;
  }

  mergeIn(taken: unknown): void {
    if (taken === MISSING) return;
    const live = this.liveStored(false);
    // Elements keep their own timestamps: merging windows does not extend their life.
    this.s.putCell(this.m, live === undefined ? taken : live.concat(taken as unknown[]));
  }
}

export class MapStateHandle<K, V> implements MapState<K, V> {
  constructor(
    private readonly s: CellStorage,
    private readonly m: StateMeta,
  ) {}

  private read(key: K, refresh: boolean): unknown {
    const stored = this.s.mapGet(this.m, key);
    if (stored === MISSING || !this.m.ttlWrapped) return stored;
    const tv = stored as TtlValue;
    const ttl = this.m.ttl;
    const now = this.s.now();
    if (ttl && isExpired(ttl, tv, now)) {
      this.s.mapRemove(this.m, key);
      return MISSING;
    }
    if (refresh && ttl?.refreshOnRead && tv.t !== now) {
      tv.t = now;
      this.s.mapPut(this.m, key, tv);
    }
    return tv.v;
  }

  get(key: K): V | undefined {
    const v = this.read(key, true);
    return v === MISSING ? undefined : (v as V);
  }

  contains(key: K): boolean {
    return this.read(key, true) !== MISSING;
  }

  put(key: K, value: V): void {
    this.s.mapPut(this.m, key, this.m.ttlWrapped ? { v: value, t: this.s.now() } : value);
  }

  putAll(entries: Iterable<readonly [K, V]>): void {
    for (const [k, v] of entries) this.put(k, v);
  }

  remove(key: K): void {
    this.s.mapRemove(this.m, key);
  }

  entries(): Array<[K, V]> {
    const all = this.s.mapEntries(this.m);
    if (!this.m.ttlWrapped) return all as Array<[K, V]>;
    const ttl = this.m.ttl;
    const now = this.s.now();
    const out: Array<[K, V]> = [];
    for (const [k, stored] of all) {
      const tv = stored as TtlValue;
      if (ttl && isExpired(ttl, tv, now)) {
        this.s.mapRemove(this.m, k);
        continue;
      }
      if (ttl?.refreshOnRead && tv.t !== now) {
        tv.t = now;
        this.s.mapPut(this.m, k, tv);
      }
      out.push([k as K, tv.v as V]);
    }
    return out;
  }

  keys(): K[] {
    return this.entries().map((e) => e[0]);
  }

  values(): V[] {
    return this.entries().map((e) => e[1]);
  }

  isEmpty(): boolean {
    if (!this.m.ttlWrapped) return this.s.mapIsEmpty(this.m);
    return this.entries().length === 0;
  }

  clear(): void {
    this.s.removeCell(this.m);
  }
}

export function notMergeable(name: string, kind: string): SluiceError {
  return new SluiceError('STATE_ERROR', `state '${name}' is ${kind} state; only list, reducing and aggregating state can merge namespaces`);
}
