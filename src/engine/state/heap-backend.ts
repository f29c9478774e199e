// Keyed state on the JS heap: the fast backend for state that fits in memory.
// Layout per state: one Map per owned key group (indexed by keyGroup - range.start), key ->
// the key's cells by namespace: the cell itself while the key has one (user state in a
// process function has one namespace, so a lookup reads the Map and then the cell, and a key
// costs one object), a short array while it has few (windows open at once: a handful), a Map
// beyond SMALL_CELLS. Keys come and go with their windows, and a Map per key cost two
// allocations per key lifetime plus rehashing as it shrank, the largest share of what q5
// allocated. Keys and namespaces are compared via heapKeyOf (primitives as themselves, no
// allocation), so a get/update is two Map lookups and an update of an existing cell
// allocates nothing. The last key's cells looked up are cached per state, and so is the last
// cell (per key and namespace version), so a read-then-write on the same record does its
// lookups once.
// May import: errors, types, base-backend, cell-storage, key-codec, snapshot-format, snapshot-writer.
import { BaseKeyedStateBackend } from './base-backend.js';
import type { CellVisitor } from './base-backend.js';
import { MISSING } from './cell-storage.js';
import type { StateMeta } from './cell-storage.js';
import { encodeKey, heapKeyOf } from './key-codec.js';
import { encodeCellPayload } from './snapshot-format.js';
import type { KeyGroupSnapshotWriter } from './snapshot-writer.js';
import type { HeapKey } from './key-codec.js';
import type { KeyedStateBackend, KeyedStateBackendOptions } from './types.js';

/** One (key, namespace)'s value. */
class Cell {
  /**
   * Where the cell's entry (key, namespace and payload bytes, see snapshot-writer.ts) lies in
   * its key group's last snapshot bytes, -1 for none: valid until the cell is written or
   * handed out as an object.
   */
  snapAt = -1;
  snapLen = 0;
  /** encodeKey(key) and encodeKey(ns), computed at the first snapshot; a key's cells share the key's. */
  keyBytes: Uint8Array | undefined = undefined;
  nsBytes: Uint8Array | undefined = undefined;
  constructor(
    readonly key: unknown,
    readonly ns: unknown,
    /** heapKeyOf(ns): the cell's identity within its key. */
    readonly nsH: HeapKey,
    /** Stored form; for map state a Map userKeyH -> MapEntry. */
    public value: unknown,
  ) {}
}

interface MapEntry {
  key: unknown;
  stored: unknown;
}

/** A key's cells: the one cell, several in insertion order, or by namespace beyond SMALL_CELLS. */
type Cells = Cell | Cell[] | Map<HeapKey, Cell>;

const SMALL_CELLS = 8;

function findCell(cells: Cells, nsH: HeapKey): Cell | undefined {
  if (cells instanceof Cell) return cells.nsH === nsH ? cells : undefined;
  if (cells instanceof Map) return cells.get(nsH);
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i] as Cell;
    if (c.nsH === nsH) return c;
  }
  return undefined;
}

function cellList(cells: Cells): Iterable<Cell> {
  return cells instanceof Cell ? [cells] : cells instanceof Map ? cells.values() : cells;
}

interface HeapStore {
  tables: Array<Map<HeapKey, Cells>>;
  /** keyVersion at which `cachedCells` was looked up (undefined = absent). */
  cachedVersion: number;
  cachedCells: Cells | undefined;
  /** keyVersion / nsVersion at which `cachedCell` was looked up (undefined = absent). */
  cellKeyVersion: number;
  cellNsVersion: number;
  cachedCell: Cell | undefined;
}

/**
 * Incremental snapshots: a checkpoint re-encodes only what may have changed since the last
 * one. A key group is dirty once any cell in it is written, removed, or read as an object
 * (the caller may mutate what it got: values are not copied); a clean key group reuses its
 * previous bytes, and inside a dirty one each clean cell's entry is copied from them. State with
 * TTL is always encoded afresh (expiry changes it without writes).
 */
export class HeapKeyedStateBackend extends BaseKeyedStateBackend {
  private dirty: Uint8Array | undefined;
  private kgBytes: Array<Uint8Array | null | undefined> = [];

  private touch(): void {
    (this.dirty ??= new Uint8Array(this.keyGroupRange.end - this.keyGroupRange.start + 1).fill(1))[this.curKg - this.keyGroupRange.start] = 1;
  }

  /** The cell is about to change or escape as a mutable object: its encodings are stale. */
  private stale(c: Cell): void {
    c.snapAt = -1;
    this.touch();
  }

  protected initStore(m: StateMeta): void {
    const n = this.keyGroupRange.end - this.keyGroupRange.start + 1;
    const tables: Array<Map<HeapKey, Cells>> = new Array(n);
    for (let i = 0; i < n; i++) tables[i] = new Map();
    const store: HeapStore = { tables, cachedVersion: -1, cachedCells: undefined, cellKeyVersion: -1, cellNsVersion: -1, cachedCell: undefined };
    m.store = store;
  }

  /** The current key's cells, cached per state. */
  private keyCells(m: StateMeta): Cells | undefined {
    this.requireKey();
    const st = m.store as HeapStore;
    if (st.cachedVersion === this.keyVersion) return st.cachedCells;
    const cells = st.tables[this.curKg - this.keyGroupRange.start]!.get(this.curKeyH);
    st.cachedVersion = this.keyVersion;
    st.cachedCells = cells;
    return cells;
  }

  /** Puts the current key's cells (or, undefined, removes the key) in its table and the cache. */
  private setKeyCells(m: StateMeta, cells: Cells | undefined): void {
    const st = m.store as HeapStore;
    const table = st.tables[this.curKg - this.keyGroupRange.start]!;
    if (cells === undefined) table.delete(this.curKeyH);
    else table.set(this.curKeyH, cells);
    st.cachedCells = cells;
  }

  /** The current (key, namespace)'s cell, cached per state: a read-modify-write looks it up once. */
  private cell(m: StateMeta): Cell | undefined {
    const st = m.store as HeapStore;
    if (st.cellKeyVersion === this.keyVersion && st.cellNsVersion === this.nsVersion) return st.cachedCell;
    const cells = this.keyCells(m);
    const c = cells === undefined ? undefined : findCell(cells, this.curNsH);
    st.cellKeyVersion = this.keyVersion;
    st.cellNsVersion = this.nsVersion;
    st.cachedCell = c;
    return c;
  }

  /**
   * Adds the current (key, namespace)'s cell, which cell(m) has just found absent. Takes the
   * value itself, not a function making it: a closure over putCell's argument would be
   * allocated on every putCell, also when the cell exists.
   */
  private addCell(m: StateMeta, value: unknown): Cell {
    const st = m.store as HeapStore;
    const cells = this.keyCells(m);
    const c = new Cell(this.curKey, this.curNs, this.curNsH, value);
    if (cells === undefined) this.setKeyCells(m, c);
    else if (cells instanceof Cell) {
      c.keyBytes = cells.keyBytes;
      this.setKeyCells(m, [cells, c]);
    } else if (cells instanceof Map) cells.set(c.nsH, c);
    else {
      c.keyBytes = cells[0]?.keyBytes;
      if (cells.length < SMALL_CELLS) cells.push(c);
      else this.setKeyCells(m, new Map([...cells, c].map((x) => [x.nsH, x])));
    }
    this.touch();
    st.cachedCell = c;
    return c;
  }

  private dropCell(m: StateMeta): void {
    const st = m.store as HeapStore;
    if (this.cell(m) === undefined) return;
    // The cell exists, so its key has cells (keyCells is cached since cell() looked it up).
    const cells = this.keyCells(m) as Cells;
    const nsH = this.curNsH;
    let empty: boolean;
    if (cells instanceof Cell) empty = true;
    else if (cells instanceof Map) {
      cells.delete(nsH);
      empty = cells.size === 0;
    } else {
      let i = 0;
      while (i < cells.length && (cells[i] as Cell).nsH !== nsH) i++;
      // In place, keeping insertion order (snapshots list cells in it); splice would allocate.
      for (let j = i + 1; j < cells.length; j++) cells[j - 1] = cells[j] as Cell;
      cells.length--;
      empty = cells.length === 0;
    }
    st.cachedCell = undefined;
    this.touch();
    if (empty) this.setKeyCells(m, undefined);
  }

  getCell(m: StateMeta): unknown {
    const c = this.cell(m);
    if (c === undefined) return undefined;
    const v = c.value;
    if (typeof v === 'object' && v !== null) this.stale(c);
    return v;
  }

  putCell(m: StateMeta, stored: unknown): void {
    const c = this.cell(m);
    if (c !== undefined) {
      c.value = stored;
      this.stale(c);
    } else this.addCell(m, stored);
  }

  removeCell(m: StateMeta): void {
    this.dropCell(m);
  }

  mapGet(m: StateMeta, userKey: unknown): unknown {
    const c = this.cell(m);
    if (c === undefined) return MISSING;
    const e = (c.value as Map<HeapKey, MapEntry>).get(heapKeyOf(userKey));
    if (e === undefined) return MISSING;
    if (typeof e.stored === 'object' && e.stored !== null) this.stale(c);
    return e.stored;
  }

  mapPut(m: StateMeta, userKey: unknown, stored: unknown): void {
    const c = this.cell(m) ?? this.addCell(m, new Map<HeapKey, MapEntry>());
    this.stale(c);
    const map = c.value as Map<HeapKey, MapEntry>;
    const uh = heapKeyOf(userKey);
    const e = map.get(uh);
    if (e !== undefined) e.stored = stored;
    else map.set(uh, { key: userKey, stored });
  }

  mapRemove(m: StateMeta, userKey: unknown): void {
    const c = this.cell(m);
    if (c === undefined) return;
    const map = c.value as Map<HeapKey, MapEntry>;
    if (!map.delete(heapKeyOf(userKey))) return;
    this.stale(c);
    if (map.size === 0) this.dropCell(m);
  }

  mapEntries(m: StateMeta): Array<[unknown, unknown]> {
    const c = this.cell(m);
    const out: Array<[unknown, unknown]> = [];
    if (c === undefined) return out;
    this.stale(c);
    for (const e of (c.value as Map<HeapKey, MapEntry>).values()) out.push([e.key, e.stored]);
    return out;
  }

  mapIsEmpty(m: StateMeta): boolean {
    const map = this.cell(m)?.value as Map<HeapKey, MapEntry> | undefined;
    return map === undefined || map.size === 0;
  }

  protected scan(m: StateMeta, kg: number, visit: CellVisitor): void {
    const table = (m.store as HeapStore).tables[kg - this.keyGroupRange.start];
    if (table === undefined) return;
    for (const cells of table.values()) {
      for (const c of cellList(cells)) {
        if (m.kind === 'map') {
          const entries: Array<[unknown, unknown]> = [];
          for (const me of (c.value as Map<HeapKey, MapEntry>).values()) entries.push([me.key, me.stored]);
          visit(c.key, c.ns, entries);
        } else {
          visit(c.key, c.ns, c.value);
        }
      }
    }
  }

  protected override encodeCells(m: StateMeta, kg: number, now: number, writer: KeyGroupSnapshotWriter): void {
    const i = kg - this.keyGroupRange.start;
    const table = (m.store as HeapStore).tables[i];
    if (table === undefined) return;
    // The key group's last snapshot, which unchanged cells are copied from; never with TTL.
    const last = m.ttlWrapped ? undefined : (this.kgBytes[i] ?? undefined);
    // Indexed loops over the cell arrays: this runs over every cell of a dirty key group.
    for (const cells of table.values()) {
      if (cells instanceof Cell) this.writeCell(m, cells, now, writer, last);
      else if (cells instanceof Map) for (const c of cells.values()) this.writeCell(m, c, now, writer, last);
      else for (let j = 0; j < cells.length; j++) this.writeCell(m, cells[j] as Cell, now, writer, last);
    }
  }

  /** Writes one cell: copied from `last` while it is unchanged, else encoded afresh. */
  private writeCell(m: StateMeta, c: Cell, now: number, writer: KeyGroupSnapshotWriter, last: Uint8Array | undefined): void {
    if (last !== undefined && c.snapAt >= 0) {
      c.snapAt = writer.copy(last, c.snapAt, c.snapLen);
      return;
    }
    let payload = c.value;
    if (m.kind === 'map') {
      const entries: Array<[unknown, unknown]> = [];
      for (const me of (c.value as Map<HeapKey, MapEntry>).values()) entries.push([me.key, me.stored]);
      payload = entries;
    }
    const live = this.livePayload(m, payload, now);
    if (live === MISSING) return;
    const at = writer.cell((c.keyBytes ??= encodeKey(c.key)), (c.nsBytes ??= encodeKey(c.ns)), encodeCellPayload(this.storedForSnapshot(m, live)));
    if (m.ttlWrapped) return;
    c.snapAt = at;
    c.snapLen = writer.size - at;
  }

  protected override unchangedKeyGroup(kg: number): Uint8Array | null | undefined {
    const i = kg - this.keyGroupRange.start;
    if (this.dirty === undefined || this.dirty[i] === 1) return undefined;
    for (const m of this.metas.values()) if (m.ttlWrapped) return undefined;
    return this.kgBytes[i];
  }

  protected override keyGroupEncoded(kg: number, bytes: Uint8Array | null): void {
    const i = kg - this.keyGroupRange.start;
    this.kgBytes[i] = bytes;
    (this.dirty ??= new Uint8Array(this.keyGroupRange.end - this.keyGroupRange.start + 1).fill(1))[i] = 0;
  }

  protected clearAll(): void {
    this.dirty = undefined;
    this.kgBytes = [];
    for (const m of this.metas.values()) {
      const st = m.store as HeapStore;
      for (const t of st.tables) t.clear();
      st.cachedVersion = -1;
      st.cachedCells = undefined;
      st.cellKeyVersion = -1;
      st.cachedCell = undefined;
    }
  }

  protected closeStorage(): Promise<void> {
    this.clearAll();
    return Promise.resolve();
  }
}

export function createHeapKeyedStateBackend(options: KeyedStateBackendOptions = {}): KeyedStateBackend {
  return new HeapKeyedStateBackend(options);
}
