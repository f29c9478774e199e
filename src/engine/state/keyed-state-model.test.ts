// Property test: a random sequence of operations gives the same observable results on the
// heap backend, the LMDB backend and a plain reference model built on Maps. Snapshots taken
// mid-sequence are restored crosswise (heap <- LMDB, LMDB <- heap) so the two backends'
// snapshot formats must also agree.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  aggregatingStateDescriptor,
  listStateDescriptor,
  mapStateDescriptor,
  reducingStateDescriptor,
  valueStateDescriptor,
} from './descriptors.js';
import { createHeapKeyedStateBackend } from './heap-backend.js';
import { createLmdbKeyedStateBackend } from './lmdb-backend.js';
import type { AggregateFunction, KeyedStateBackend } from './types.js';

const KEYS: unknown[] = ['a', 1, { id: 1, t: 'x' }, [2, 'x'], 3n];
const NSS: unknown[] = [null, 'w1', { start: 0, end: 5 }];
const UKS: unknown[] = ['p', 2, ['q'], { u: 1 }];
const TTL = 50;

type Op =
  | { t: 'key'; k: number }
  | { t: 'ns'; n: number }
  | { t: 'vUpdate'; x: number }
  | { t: 'vClear' }
  | { t: 'vGet' }
  | { t: 'lAdd'; x: number }
  | { t: 'lUpdate'; xs: number[] }
  | { t: 'lClear' }
  | { t: 'lGet' }
  | { t: 'mPut'; u: number; x: number }
  | { t: 'mRemove'; u: number }
  | { t: 'mGet'; u: number }
  | { t: 'mEntries' }
  | { t: 'mClear' }
  | { t: 'rAdd'; x: number }
  | { t: 'rGet' }
  | { t: 'aAdd'; x: number }
  | { t: 'aGet' }
  | { t: 'merge'; target: number; sources: number[] }
  | { t: 'tvUpdate'; x: number }
  | { t: 'tvGet' }
  | { t: 'advance'; ms: number }
  | { t: 'keys' }
  | { t: 'snapshotRestore' };

const small = fc.integer({ min: -50, max: 50 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  // Keys 0..2 most of the time, so operations meet state written earlier under the same key.
  { weight: 3, arbitrary: fc.record({ t: fc.constant('key' as const), k: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 2 }) }, fc.integer({ min: 0, max: KEYS.length - 1 })) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('ns' as const), n: fc.integer({ min: 0, max: NSS.length - 1 }) }) },
  fc.record({ t: fc.constant('vUpdate' as const), x: small }),
  fc.record({ t: fc.constant('vClear' as const) }),
  fc.record({ t: fc.constant('vGet' as const) }),
  { weight: 3, arbitrary: fc.record({ t: fc.constant('lAdd' as const), x: small }) },
  fc.record({ t: fc.constant('lUpdate' as const), xs: fc.array(small, { maxLength: 3 }) }),
  fc.record({ t: fc.constant('lClear' as const) }),
  fc.record({ t: fc.constant('lGet' as const) }),
  fc.record({ t: fc.constant('mPut' as const), u: fc.integer({ min: 0, max: UKS.length - 1 }), x: small }),
  fc.record({ t: fc.constant('mRemove' as const), u: fc.integer({ min: 0, max: UKS.length - 1 }) }),
  fc.record({ t: fc.constant('mGet' as const), u: fc.integer({ min: 0, max: UKS.length - 1 }) }),
  fc.record({ t: fc.constant('mEntries' as const) }),
  fc.record({ t: fc.constant('mClear' as const) }),
  fc.record({ t: fc.constant('rAdd' as const), x: small }),
  fc.record({ t: fc.constant('rGet' as const) }),
  fc.record({ t: fc.constant('aAdd' as const), x: small }),
  fc.record({ t: fc.constant('aGet' as const) }),
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('merge' as const),
      target: fc.integer({ min: 0, max: NSS.length - 1 }),
      sources: fc.array(fc.integer({ min: 0, max: NSS.length - 1 }), { maxLength: 3 }),
    }),
  },
  fc.record({ t: fc.constant('tvUpdate' as const), x: small }),
  fc.record({ t: fc.constant('tvGet' as const) }),
  fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ t: fc.constant('keys' as const) }),
  fc.record({ t: fc.constant('snapshotRestore' as const) }),
);

const sumCount: AggregateFunction<number, [number, number], string> = {
  createAccumulator: () => [0, 0],
  add: (v, acc) => [acc[0] + v, acc[1] + 1],
  merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
  getResult: (acc) => `${acc[0]}/${acc[1]}`,
};

interface Cell {
  v?: number;
  l: number[];
  m: Map<number, number>;
  r?: number;
  a?: [number, number];
  tv?: { v: number; t: number };
}

/** The reference: plain Maps indexed by (key index, namespace index). */
class Model {
  k = -1;
  n = 0;
  now = 0;
  cells = new Map<string, Cell>();
  private cell(n = this.n): Cell {
    const id = `${this.k}/${n}`;
    let c = this.cells.get(id);
    if (!c) this.cells.set(id, (c = { l: [], m: new Map() }));
    return c;
  }
  private liveTv(c: Cell): number | undefined {
    if (c.tv && this.now >= c.tv.t + TTL) delete c.tv;
    return c.tv?.v;
  }
  apply(op: Op): unknown {
    if (op.t === 'key') return void (this.k = op.k);
    if (op.t === 'ns') return void (this.n = op.n);
    if (op.t === 'advance') return void (this.now += op.ms);
    if (op.t === 'snapshotRestore') return undefined;
    if (op.t === 'keys') {
      const live: number[] = [];
      for (let k = 0; k < KEYS.length; k++) {
        let any = false;
        for (let n = 0; n < NSS.length; n++) if (this.cells.get(`${k}/${n}`)?.l.length) any = true;
        if (any) live.push(k);
      }
      return live;
    }
    if (this.k < 0) return 'no-key';
    const c = this.cell();
    switch (op.t) {
      case 'vUpdate': c.v = op.x; return undefined;
      case 'vClear': delete c.v; return undefined;
      case 'vGet': return c.v;
      case 'lAdd': c.l.push(op.x); return undefined;
      case 'lUpdate': c.l = op.xs.slice(); return undefined;
      case 'lClear': c.l = []; return undefined;
      case 'lGet': return c.l.slice();
      case 'mPut': c.m.set(op.u, op.x); return undefined;
      case 'mRemove': c.m.delete(op.u); return undefined;
      case 'mGet': return c.m.get(op.u);
      case 'mEntries': return [...c.m.entries()].sort((a, b) => a[0] - b[0]);
      case 'mClear': c.m.clear(); return undefined;
      case 'rAdd': c.r = c.r === undefined ? op.x : c.r + op.x; return undefined;
      case 'rGet': return c.r;
      case 'aAdd': c.a = sumCount.add(op.x, c.a ?? sumCount.createAccumulator()); return undefined;
      case 'aGet': return c.a === undefined ? undefined : sumCount.getResult(c.a);
      case 'tvUpdate': c.tv = { v: op.x, t: this.now }; return undefined;
      case 'tvGet': {
        const v = this.liveTv(c);
        if (c.tv) c.tv.t = this.now; // OnReadAndWrite
        return v;
      }
      case 'merge': {
        const t = this.cell(op.target);
        for (const s of op.sources) {
          if (s === op.target) continue;
          const src = this.cell(s);
          t.l = t.l.concat(src.l);
          src.l = [];
          if (src.r !== undefined) t.r = t.r === undefined ? src.r : t.r + src.r;
          delete src.r;
          if (src.a !== undefined) t.a = t.a === undefined ? src.a : sumCount.merge(t.a, src.a);
          delete src.a;
        }
        return undefined;
      }
    }
  }
}

class Real {
  k = -1;
  clock = { now: 0 };
  constructor(public b: KeyedStateBackend) {}
  get v() { return this.b.getValueState(valueStateDescriptor<number>('v')); }
  get l() { return this.b.getListState(listStateDescriptor<number>('l')); }
  get m() { return this.b.getMapState(mapStateDescriptor<unknown, number>('m')); }
  get r() { return this.b.getReducingState(reducingStateDescriptor<number>('r', (x, y) => x + y)); }
  get a() { return this.b.getAggregatingState(aggregatingStateDescriptor('a', sumCount)); }
  get tv() { return this.b.getValueState(valueStateDescriptor<number>('tv', { ttl: { ttlMs: TTL, updateType: 'OnReadAndWrite' } })); }
  apply(op: Op, other: Real): unknown {
    if (op.t === 'key') {
      this.k = op.k;
      return void this.b.setCurrentKey(KEYS[op.k]);
    }
    if (op.t === 'ns') return void this.b.setCurrentNamespace(NSS[op.n]);
    if (op.t === 'advance') return void (this.clock.now += op.ms);
    if (op.t === 'snapshotRestore') {
      // Take the OTHER backend's snapshot (both hold the same state), so formats must agree.
      for (const s of ['v', 'l', 'm', 'r', 'a', 'tv'] as const) void this[s];
      this.b.restore(other.b.snapshot());
      return undefined;
    }
    if (op.t === 'keys') return this.b.keys('l').map((k) => KEYS.findIndex((x) => JSON.stringify(x, big) === JSON.stringify(k, big))).sort();
    if (this.k < 0) return 'no-key';
    switch (op.t) {
      case 'vUpdate': return void this.v.update(op.x);
      case 'vClear': return void this.v.clear();
      case 'vGet': return this.v.value();
      case 'lAdd': return void this.l.add(op.x);
      case 'lUpdate': return void this.l.update(op.xs);
      case 'lClear': return void this.l.clear();
      case 'lGet': return [...this.l.get()];
      case 'mPut': return void this.m.put(UKS[op.u], op.x);
      case 'mRemove': return void this.m.remove(UKS[op.u]);
      case 'mGet': return this.m.get(UKS[op.u]);
      case 'mEntries':
        return this.m.entries().map(([u, x]) => [UKS.findIndex((y) => JSON.stringify(y) === JSON.stringify(u)), x]).sort((p, q) => p[0]! - q[0]!);
      case 'mClear': return void this.m.clear();
      case 'rAdd': return void this.r.add(op.x);
      case 'rGet': return this.r.get();
      case 'aAdd': return void this.a.add(op.x);
      case 'aGet': return this.a.get();
      case 'tvUpdate': return void this.tv.update(op.x);
      case 'tvGet': return this.tv.value();
      case 'merge':
        void this.l; void this.r; void this.a;
        for (const s of ['l', 'r', 'a']) this.b.mergeNamespaces(s, NSS[op.target], op.sources.map((i) => NSS[i]));
        return undefined;
    }
  }
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

describe('keyed state: heap, LMDB and a reference model agree', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-state-model-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('on random operation sequences', async () => {
    const heapClock = { now: 0 };
    const lmdbClock = { now: 0 };
    const heap = new Real(createHeapKeyedStateBackend({ clock: () => heapClock.now }));
    const lmdb = new Real(createLmdbKeyedStateBackend({ path: join(root, 'db'), clock: () => lmdbClock.now, writeBufferEntries: 4 }));
    heap.clock = heapClock;
    lmdb.clock = lmdbClock;
    try {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
          heap.b.restore([]);
          lmdb.b.restore([]);
          heap.k = lmdb.k = -1;
          heapClock.now = lmdbClock.now = 0;
          heap.b.setCurrentNamespace(null);
          lmdb.b.setCurrentNamespace(null);
          const model = new Model();
          // restore([]) keeps the current key (if any) set on the backends; mirror "no key" by
          // selecting key 0 first in both the model and the backends.
          for (const r of [heap, lmdb]) r.apply({ t: 'key', k: 0 }, r);
          model.apply({ t: 'key', k: 0 });
          ops.forEach((op, i) => {
            const expected = model.apply(op);
            const h = heap.apply(op, lmdb);
            const l = lmdb.apply(op, heap);
            assert.deepEqual(h, expected, `heap, op ${i} ${JSON.stringify(op)}`);
            assert.deepEqual(l, expected, `lmdb, op ${i} ${JSON.stringify(op)}`);
          });
        }),
        {
          numRuns: 200,
          examples: [
            [[
              { t: 'ns', n: 1 }, { t: 'lAdd', x: 1 }, { t: 'ns', n: 0 }, { t: 'lAdd', x: 2 },
              { t: 'merge', target: 0, sources: [1, 2] }, { t: 'lGet' }, { t: 'ns', n: 1 }, { t: 'lGet' }, { t: 'keys' },
            ]],
          ],
        },
      );
    } finally {
      await heap.b.close();
      await lmdb.b.close();
    }
  });
});
