// Operator (non-keyed) list state for sources, sinks and broadcast state: each subtask
// keeps lists of plain values, and on restore at another parallelism the lists are
// redistributed: 'split' deals all subtasks' elements round-robin, 'union' gives every
// subtask everything (as Flink's getListState / getUnionListState), 'broadcast' gives each
// new subtask one old subtask's identical copy.
// May import: errors, types.
import { SluiceError } from '../../errors.js';
import type { OperatorListState, OperatorStateMode, OperatorStateSnapshot, OperatorStateStore } from './types.js';

class ListHandle<T> implements OperatorListState<T> {
  elements: T[] = [];
  constructor(readonly mode: OperatorStateMode) {}
  get(): readonly T[] {
    return this.elements;
  }
  add(value: T): void {
    this.elements.push(value);
  }
  update(values: readonly T[]): void {
    this.elements = values.slice();
  }
  clear(): void {
    this.elements = [];
  }
}

class MemoryOperatorStateStore implements OperatorStateStore {
  private readonly lists = new Map<string, ListHandle<unknown>>();

  constructor(restored: OperatorStateSnapshot | undefined) {
    if (restored === undefined) return;
    if (typeof restored !== 'object' || restored === null || typeof restored.states !== 'object' || restored.states === null) {
      throw new SluiceError('STATE_ERROR', 'invalid operator state snapshot');
    }
    for (const [name, s] of Object.entries(restored.states)) {
      if (!s || (s.mode !== 'split' && s.mode !== 'union' && s.mode !== 'broadcast') || !Array.isArray(s.elements)) {
        throw new SluiceError('STATE_ERROR', `invalid operator state '${name}' in snapshot`);
      }
      const h = new ListHandle<unknown>(s.mode);
      h.elements = s.elements.slice();
      this.lists.set(name, h);
    }
  }

  getListState<T>(name: string, mode: OperatorStateMode = 'split'): OperatorListState<T> {
    const h = this.lists.get(name);
    if (h !== undefined) {
      if (h.mode !== mode) throw new SluiceError('STATE_ERROR', `operator state '${name}' is ${h.mode} state, asked for ${mode}`);
      return h as ListHandle<T>;
    }
    const created = new ListHandle<T>(mode);
    this.lists.set(name, created as ListHandle<unknown>);
    return created;
  }

  snapshot(): OperatorStateSnapshot {
    const states: Record<string, { mode: OperatorStateMode; elements: unknown[] }> = {};
    for (const [name, h] of this.lists) states[name] = { mode: h.mode, elements: h.elements.slice() };
    return { states };
  }
}

export function createOperatorStateStore(restored?: OperatorStateSnapshot): OperatorStateStore {
  return new MemoryOperatorStateStore(restored);
}

/**
 * Given the snapshots of every old subtask (in subtask order), the snapshot each of
 * `newParallelism` new subtasks starts from. Deterministic, loses and duplicates nothing
 * for 'split' state.
 */
export function redistributeOperatorState(
  snapshots: readonly OperatorStateSnapshot[],
  newParallelism: number,
): OperatorStateSnapshot[] {
  if (!Number.isInteger(newParallelism) || newParallelism < 1) {
    throw new SluiceError('INVALID_ARGUMENT', `parallelism must be a positive integer, got ${newParallelism}`);
  }
  const all = new Map<string, { mode: OperatorStateMode; elements: unknown[] }>();
  // broadcast: the copy of each old subtask, by name (new subtask i takes copy i mod old count).
  const copies = new Map<string, unknown[][]>();
  for (const snap of snapshots) {
    for (const [name, s] of Object.entries(snap.states)) {
      if (s.mode === 'broadcast') {
        if (all.has(name) && all.get(name)!.mode !== 'broadcast') throw new SluiceError('STATE_ERROR', `operator state '${name}' has mixed modes across subtasks`);
        all.set(name, { mode: 'broadcast', elements: [] });
        const list = copies.get(name) ?? [];
        list.push(s.elements.slice());
        copies.set(name, list);
        continue;
      }
      const cur = all.get(name);
      if (cur === undefined) all.set(name, { mode: s.mode, elements: s.elements.slice() });
      else if (cur.mode !== s.mode) throw new SluiceError('STATE_ERROR', `operator state '${name}' has mixed modes across subtasks`);
      else for (const e of s.elements) cur.elements.push(e);
    }
  }
  const out: Array<{ states: Record<string, { mode: OperatorStateMode; elements: unknown[] }> }> = [];
  for (let i = 0; i < newParallelism; i++) out.push({ states: {} });
  for (const [name, s] of all) {
    if (s.mode === 'broadcast') {
      const list = copies.get(name)!;
      out.forEach((o, i) => (o.states[name] = { mode: 'broadcast', elements: list[i % list.length]!.slice() }));
    } else if (s.mode === 'union') {
      for (const o of out) o.states[name] = { mode: 'union', elements: s.elements.slice() };
    } else {
      for (const o of out) o.states[name] = { mode: 'split', elements: [] };
      s.elements.forEach((e, i) => out[i % newParallelism]!.states[name]!.elements.push(e));
    }
  }
  return out;
}
