// Everything a keyed state backend does that does not depend on where bytes live: the
// current key/namespace context, the state registry and its handles, namespace merging,
// key listing, TTL filtering, snapshot and restore. Heap and LMDB backends extend it and
// supply only the CellStorage primitives plus a per-key-group scan (decision 10: one
// implementation of the semantics, one shared test suite).
// May import: errors, types, key-codec, key-group, ttl, cell-storage, state-handles, snapshot-format, snapshot-writer.
import { SluiceError, toSluiceError } from '../../errors.js';
import { MISSING } from './cell-storage.js';
import type { CellStorage, StateMeta } from './cell-storage.js';
import { checkTtl } from './descriptors.js';
import { decodeKey, encodeKey, heapKeyOf } from './key-codec.js';
import type { HeapKey } from './key-codec.js';
import { checkKeyGroupRange, DEFAULT_MAX_PARALLELISM, fullKeyGroupRange, keyGroupFor } from './key-group.js';
import {
  AggregatingStateHandle,
  ListStateHandle,
  MapStateHandle,
  notMergeable,
  ReducingStateHandle,
  ValueStateHandle,
} from './state-handles.js';
import type { MergeableHandle } from './state-handles.js';
import { decodeKeyGroupSnapshot, encodeCellPayload } from './snapshot-format.js';
import { KeyGroupSnapshotWriter } from './snapshot-writer.js';
import type { SnapshotState } from './snapshot-format.js';
import { isExpired, isTtlValue, resolveTtl } from './ttl.js';
import type { TtlValue } from './ttl.js';
import { DEFAULT_NAMESPACE } from './types.js';
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  AnyStateDescriptor,
  KeyedStateBackend,
  KeyedStateBackendOptions,
  KeyGroupRange,
  KeyGroupSnapshot,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  StateKey,
  StateKind,
  ValueState,
  ValueStateDescriptor,
} from './types.js';

/** Called by scan for each cell of a state in one key group; map payload = [userKey, stored][]. */
export type CellVisitor = (key: unknown, namespace: unknown, payload: unknown) => void;

const NO_KEY_GROUP = -1;

export abstract class BaseKeyedStateBackend implements KeyedStateBackend, CellStorage {
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  private readonly clock: () => number;

  protected curKey: unknown = undefined;
  protected curKeyH: HeapKey = undefined;
  protected curKg = NO_KEY_GROUP;
  protected curNs: unknown = DEFAULT_NAMESPACE;
  protected curNsH: HeapKey = heapKeyOf(DEFAULT_NAMESPACE);
  /** Bumped on every key / namespace change so backends can cache derived encodings. */
  protected keyVersion = 0;
  protected nsVersion = 0;

  protected readonly metas = new Map<string, StateMeta>();
  private nextId = 1;
  private closed = false;

  constructor(options: KeyedStateBackendOptions = {}) {
    this.maxParallelism = options.maxParallelism ?? DEFAULT_MAX_PARALLELISM;
    this.keyGroupRange = checkKeyGroupRange(options.keyGroupRange ?? fullKeyGroupRange(this.maxParallelism), this.maxParallelism);
    this.clock = options.clock ?? Date.now;
  }

  // ---- storage primitives the concrete backends supply -------------------------------
  abstract getCell(m: StateMeta): unknown;
  abstract putCell(m: StateMeta, stored: unknown): void;
  abstract removeCell(m: StateMeta): void;
  abstract mapGet(m: StateMeta, userKey: unknown): unknown;
  abstract mapPut(m: StateMeta, userKey: unknown, stored: unknown): void;
  abstract mapRemove(m: StateMeta, userKey: unknown): void;
  abstract mapEntries(m: StateMeta): Array<[unknown, unknown]>;
  abstract mapIsEmpty(m: StateMeta): boolean;
  /** Visits every cell of `m` in key group `kg`. Must tolerate no writes during the visit. */
  protected abstract scan(m: StateMeta, kg: number, visit: CellVisitor): void;
  /** Called once when a state is registered (allocate tables, ids). */
  protected abstract initStore(m: StateMeta): void;
  /** Drops all state of all states. */
  protected abstract clearAll(): void;
  protected abstract closeStorage(): Promise<void>;

  now(): number {
    return this.clock();
  }

  // ---- context -----------------------------------------------------------------------

  setCurrentKey(key: StateKey, keyGroup?: number): void {
    // The same primitive key again (runs of one key, or a single global key): nothing changes,
    // and keeping the version keeps the backends' lookup caches valid.
    if (key === this.curKey && this.curKg !== NO_KEY_GROUP && (typeof key !== 'object' || key === null) && (keyGroup === undefined || keyGroup === this.curKg)) return;
    const kg = keyGroup ?? keyGroupFor(key, this.maxParallelism);
    if (kg < this.keyGroupRange.start || kg > this.keyGroupRange.end || !Number.isInteger(kg)) {
      throw new SluiceError(
        'STATE_ERROR',
        `key group ${kg} is outside this backend's range [${this.keyGroupRange.start}, ${this.keyGroupRange.end}] (record routed to the wrong subtask?)`,
      );
    }
    this.curKeyH = heapKeyOf(key);
    this.curKey = key;
    this.curKg = kg;
    this.keyVersion++;
  }

  getCurrentKey(): StateKey {
    return this.curKey;
  }

  getCurrentKeyGroup(): number {
    return this.curKg;
  }

  setCurrentNamespace(namespace: StateKey): void {
    if (namespace === this.curNs) return;
    this.curNsH = heapKeyOf(namespace);
    this.curNs = namespace;
    this.nsVersion++;
  }

  getCurrentNamespace(): StateKey {
    return this.curNs;
  }

  /** Guard for every storage access; cheap enough for the hot path. */
  protected requireKey(): void {
    if (this.curKg === NO_KEY_GROUP) {
      throw new SluiceError('STATE_ERROR', this.closed ? 'state backend is closed' : 'keyed state accessed with no current key (setCurrentKey first)');
    }
  }

  // ---- registry ----------------------------------------------------------------------

  private register(d: AnyStateDescriptor, kind: StateKind): StateMeta {
    if (this.closed) throw new SluiceError('STATE_ERROR', 'state backend is closed');
    if (!d || typeof d.name !== 'string' || d.kind !== kind) {
      throw new SluiceError('INVALID_ARGUMENT', `expected a ${kind} state descriptor`);
    }
    const ttl = resolveTtl(checkTtl(d.ttl));
    let m = this.metas.get(d.name);
    if (m) {
      if (m.kind !== kind) throw new SluiceError('STATE_ERROR', `state '${d.name}' already exists as ${m.kind} state, asked for ${kind}`);
      if (m.ttlWrapped !== (ttl !== undefined)) {
        throw new SluiceError('STATE_ERROR', `state '${d.name}' cannot switch TTL ${ttl ? 'on' : 'off'} after it holds data`);
      }
      if (m.descriptor && m.descriptor !== d) {
        // Same name asked twice: keep the first descriptor's functions, but allow it.
        return m;
      }
      m.ttl = ttl;
      m.descriptor = d;
      return m;
    }
    m = { name: d.name, kind, ttl, ttlWrapped: ttl !== undefined, id: this.nextId++, descriptor: d, store: undefined, handle: undefined };
    this.initStore(m);
    this.metas.set(d.name, m);
    return m;
  }

  /** A state known only from a restored snapshot (its descriptor comes later). */
  private registerRestored(s: SnapshotState): StateMeta {
    const m = this.metas.get(s.name);
    if (m) {
      if (m.kind !== s.kind) throw new SluiceError('STATE_ERROR', `snapshot has '${s.name}' as ${s.kind} state, registered as ${m.kind}`);
      if (m.ttlWrapped !== s.wrapped) throw new SluiceError('STATE_ERROR', `snapshot of '${s.name}' differs in TTL from its descriptor`);
      return m;
    }
    const created: StateMeta = {
      name: s.name,
      kind: s.kind,
      ttl: s.ttlMs === null ? undefined : { ttlMs: s.ttlMs, refreshOnRead: false },
      ttlWrapped: s.wrapped,
      id: this.nextId++,
      descriptor: undefined,
      store: undefined,
      handle: undefined,
    };
    this.initStore(created);
    this.metas.set(s.name, created);
    return created;
  }

  getValueState<T>(d: ValueStateDescriptor<T>): ValueState<T> {
    const m = this.register(d as AnyStateDescriptor, 'value');
    return (m.handle ??= new ValueStateHandle<T>(this, m, (m.descriptor as ValueStateDescriptor<T>).defaultValue)) as ValueState<T>;
  }

  getListState<T>(d: ListStateDescriptor<T>): ListState<T> {
    const m = this.register(d as AnyStateDescriptor, 'list');
    return (m.handle ??= new ListStateHandle<T>(this, m)) as ListState<T>;
  }

  getMapState<K, V>(d: MapStateDescriptor<K, V>): MapState<K, V> {
    const m = this.register(d as AnyStateDescriptor, 'map');
    return (m.handle ??= new MapStateHandle<K, V>(this, m)) as MapState<K, V>;
  }

  getReducingState<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    const m = this.register(d as AnyStateDescriptor, 'reducing');
    return (m.handle ??= new ReducingStateHandle<T>(this, m, (m.descriptor as ReducingStateDescriptor<T>).reduce)) as ReducingState<T>;
  }

  getAggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    const m = this.register(d as AnyStateDescriptor, 'aggregating');
    return (m.handle ??= new AggregatingStateHandle<IN, ACC, OUT>(
      this,
      m,
      (m.descriptor as AggregatingStateDescriptor<IN, ACC, OUT>).aggregate,
    )) as AggregatingState<IN, OUT>;
  }

  stateNames(): string[] {
    return [...this.metas.keys()];
  }

  // ---- namespaces --------------------------------------------------------------------

  mergeNamespaces(stateName: string, target: StateKey, sources: readonly StateKey[]): void {
    this.requireKey();
    const m = this.metas.get(stateName);
    if (!m) return;
    if (m.kind !== 'list' && m.kind !== 'reducing' && m.kind !== 'aggregating') throw notMergeable(stateName, m.kind);
    if (m.handle === undefined) {
      throw new SluiceError('STATE_ERROR', `state '${stateName}' must be registered (get...State) before merging`);
    }
    const h = m.handle as MergeableHandle;
    const saved = this.curNs;
    const targetH = heapKeyOf(target);
    try {
      for (const src of sources) {
        if (heapKeyOf(src) === targetH) continue;
        this.setCurrentNamespace(src);
        const taken = h.take();
        if (taken === MISSING) continue;
        this.setCurrentNamespace(target);
        h.mergeIn(taken);
      }
    } finally {
      this.setCurrentNamespace(saved);
    }
  }

  // ---- liveness (TTL) for scans ------------------------------------------------------

  /** The payload with expired parts removed, or MISSING when nothing is live. */
  protected livePayload(m: StateMeta, payload: unknown, now: number): unknown {
    const ttl = m.ttl;
    if (!m.ttlWrapped || !ttl) {
      if (m.kind === 'map' && (payload as unknown[]).length === 0) return MISSING;
      return payload;
    }
    if (m.kind === 'map') {
      const live = (payload as Array<[unknown, TtlValue]>).filter((e) => !isExpired(ttl, e[1], now));
      return live.length === 0 ? MISSING : live;
    }
    if (m.kind === 'list') {
      const live = (payload as TtlValue[]).filter((e) => !isExpired(ttl, e, now));
      return live.length === 0 ? MISSING : live;
    }
    return isExpired(ttl, payload as TtlValue, now) ? MISSING : payload;
  }

  keys(stateName: string, namespace?: StateKey): StateKey[] {
    this.requireOpen();
    const m = this.metas.get(stateName);
    if (!m) return [];
    const nsH = namespace === undefined ? undefined : heapKeyOf(namespace);
    const now = this.now();
    const seen = new Set<HeapKey>();
    const out: unknown[] = [];
    for (let kg = this.keyGroupRange.start; kg <= this.keyGroupRange.end; kg++) {
      this.scan(m, kg, (key, ns, payload) => {
        if (nsH !== undefined && heapKeyOf(ns) !== nsH) return;
        if (this.livePayload(m, payload, now) === MISSING) return;
        const kh = heapKeyOf(key);
        if (seen.has(kh)) return;
        seen.add(kh);
        out.push(key);
      });
    }
    return out;
  }

  // ---- snapshot / restore ------------------------------------------------------------

  private readonly snapshotWriter = new KeyGroupSnapshotWriter();

  snapshot(range: KeyGroupRange = this.keyGroupRange): KeyGroupSnapshot[] {
    this.requireOpen();
    const start = Math.max(range.start, this.keyGroupRange.start);
    const end = Math.min(range.end, this.keyGroupRange.end);
    const now = this.now();
    const out: KeyGroupSnapshot[] = [];
    const writer = this.snapshotWriter;
    for (let kg = start; kg <= end; kg++) {
      let bytes = this.unchangedKeyGroup(kg);
      if (bytes === undefined) {
        writer.begin();
        for (const m of this.metas.values()) {
          writer.beginState(m.name, m.kind, m.ttl ? m.ttl.ttlMs : null, m.ttlWrapped);
          this.encodeCells(m, kg, now, writer);
        }
        bytes = writer.finish(this.maxParallelism, kg);
        this.keyGroupEncoded(kg, bytes);
      }
      if (bytes !== null) out.push({ keyGroup: kg, maxParallelism: this.maxParallelism, bytes });
    }
    return out;
  }

  /**
   * Writes every live cell of `m` in key group `kg` into the snapshot. Backends that can tell
   * unchanged cells override it to copy those from the last snapshot.
   */
  protected encodeCells(m: StateMeta, kg: number, now: number, writer: KeyGroupSnapshotWriter): void {
    this.scan(m, kg, (key, ns, payload) => {
      const live = this.livePayload(m, payload, now);
      if (live === MISSING) return;
      writer.cell(encodeKey(key), encodeKey(ns), encodeCellPayload(this.storedForSnapshot(m, live)));
    });
  }

  /** A cell's stored form as the snapshot keeps it (map entries flattened with encoded user keys). */
  protected storedForSnapshot(m: StateMeta, live: unknown): unknown {
    if (m.kind !== 'map') return live;
    const flat: unknown[] = [];
    for (const [uk, v] of live as Array<[unknown, unknown]>) flat.push(encodeKey(uk), v);
    return flat;
  }

  /**
   * The bytes of key group `kg` from the previous snapshot if nothing in it changed since
   * (null: it was empty), or undefined to encode it. Backends without change tracking: undefined.
   */
  protected unchangedKeyGroup(_kg: number): Uint8Array | null | undefined {
    return undefined;
  }

  /** Told the bytes just encoded for `kg` (null: empty), for unchangedKeyGroup to return later. */
  protected keyGroupEncoded(_kg: number, _bytes: Uint8Array | null): void {}

  restore(snapshots: Iterable<KeyGroupSnapshot>): void {
    this.requireOpen();
    this.clearAll();
    const savedKey = this.curKey;
    const savedKg = this.curKg;
    const savedNs = this.curNs;
    try {
      for (const snap of snapshots) {
        if (snap.keyGroup < this.keyGroupRange.start || snap.keyGroup > this.keyGroupRange.end) continue;
        const d = decodeKeyGroupSnapshot(snap.bytes);
        if (d.maxParallelism !== this.maxParallelism) {
          throw new SluiceError('STATE_ERROR', `snapshot has maxParallelism ${d.maxParallelism}, backend ${this.maxParallelism}; key groups cannot be re-split`);
        }
        if (d.keyGroup !== snap.keyGroup) throw new SluiceError('STATE_ERROR', `snapshot labelled key group ${snap.keyGroup} holds ${d.keyGroup}`);
        for (const s of d.states) this.restoreState(s, d.keyGroup);
      }
    } catch (err) {
      this.clearAll();
      throw toSluiceError(err, 'STATE_ERROR');
    } finally {
      this.curKg = NO_KEY_GROUP;
      this.keyVersion++;
      if (savedKg !== NO_KEY_GROUP) this.setCurrentKey(savedKey, savedKg);
      this.setCurrentNamespace(savedNs);
    }
  }

  private restoreState(s: SnapshotState, kg: number): void {
    const m = this.registerRestored(s);
    const cells = s.cells;
    for (let i = 0; i < cells.length; i += 3) {
      const kb = cells[i];
      const nb = cells[i + 1];
      const payload = cells[i + 2];
      if (!(kb instanceof Uint8Array) || !(nb instanceof Uint8Array)) throw new SluiceError('STATE_ERROR', `state '${s.name}': key bytes missing`);
      const key = decodeKey(Buffer.from(kb.buffer, kb.byteOffset, kb.byteLength));
      if (keyGroupFor(key, this.maxParallelism) !== kg) {
        throw new SluiceError('STATE_ERROR', `state '${s.name}': a key of key group ${kg} hashes elsewhere (snapshot from an incompatible version?)`);
      }
      this.setCurrentKey(key, kg);
      this.setCurrentNamespace(decodeKey(Buffer.from(nb.buffer, nb.byteOffset, nb.byteLength)));
      if (m.kind === 'map') {
        if (!Array.isArray(payload) || payload.length % 2 !== 0) throw new SluiceError('STATE_ERROR', `state '${s.name}': malformed map entries`);
        for (let j = 0; j < payload.length; j += 2) {
          const ub = payload[j] as unknown;
          if (!(ub instanceof Uint8Array)) throw new SluiceError('STATE_ERROR', `state '${s.name}': user key bytes missing`);
          const stored = payload[j + 1] as unknown;
          if (m.ttlWrapped && !isTtlValue(stored)) throw new SluiceError('STATE_ERROR', `state '${s.name}': TTL entry malformed`);
          this.mapPut(m, decodeKey(Buffer.from(ub.buffer, ub.byteOffset, ub.byteLength)), stored);
        }
      } else if (m.kind === 'list') {
        if (!Array.isArray(payload) || payload.length === 0) throw new SluiceError('STATE_ERROR', `state '${s.name}': malformed list`);
        if (m.ttlWrapped && !payload.every(isTtlValue)) throw new SluiceError('STATE_ERROR', `state '${s.name}': TTL element malformed`);
        this.putCell(m, payload);
      } else {
        if (payload === undefined) throw new SluiceError('STATE_ERROR', `state '${s.name}': missing value`);
        if (m.ttlWrapped && !isTtlValue(payload)) throw new SluiceError('STATE_ERROR', `state '${s.name}': TTL value malformed`);
        this.putCell(m, payload);
      }
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------

  protected requireOpen(): void {
    if (this.closed) throw new SluiceError('STATE_ERROR', 'state backend is closed');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.curKg = NO_KEY_GROUP;
    this.keyVersion++;
    await this.closeStorage();
  }
}
