// The one test suite every KeyedStateBackend must pass (decision 10). heap-backend.test.ts
// and lmdb-backend.test.ts call keyedStateBackendCases with their factory; the bodies are
// shared so the two backends cannot disagree on semantics.
// May import: everything in state/, node:test, node:assert.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSluiceError } from '../../errors.js';
import {
  aggregatingStateDescriptor,
  listStateDescriptor,
  mapStateDescriptor,
  reducingStateDescriptor,
  valueStateDescriptor,
} from './descriptors.js';
import { keyGroupFor, keyGroupRangeFor } from './key-group.js';
import type { AggregateFunction, KeyedStateBackend, KeyedStateBackendOptions, KeyGroupSnapshot, StateTtlConfig } from './types.js';

export type BackendFactory = (options: KeyedStateBackendOptions) => KeyedStateBackend;

export interface CaseOptions {
  /** Number of keys for the rescaling round trips. */
  keys?: number;
}

const avg: AggregateFunction<number, { sum: number; n: number }, number> = {
  createAccumulator: () => ({ sum: 0, n: 0 }),
  add: (v, acc) => ({ sum: acc.sum + v, n: acc.n + 1 }),
  merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
  getResult: (acc) => acc.sum / acc.n,
};

class ManualClock {
  t = 1_000;
  now = (): number => this.t;
}

function stateError(err: unknown): boolean {
  return isSluiceError(err, 'STATE_ERROR');
}

/** Writes state of every kind for `keys` keys (two namespaces for list state). */
function populate(b: KeyedStateBackend, keys: readonly unknown[], indexOf: (k: unknown) => number = (k) => keys.indexOf(k)): void {
  const v = b.getValueState(valueStateDescriptor<number>('v'));
  const l = b.getListState(listStateDescriptor<string>('l'));
  const m = b.getMapState(mapStateDescriptor<string, number>('m'));
  const r = b.getReducingState(reducingStateDescriptor<number>('r', (a, c) => a + c));
  const a = b.getAggregatingState(aggregatingStateDescriptor('a', avg));
  keys.forEach((k) => {
    const i = indexOf(k);
    b.setCurrentKey(k);
    b.setCurrentNamespace(null);
    v.update(i);
    l.add(`x${i}`);
    m.put('p', i);
    m.put('q', -i - 1);
    r.add(i);
    r.add(1);
    a.add(i);
    a.add(i + 2);
    b.setCurrentNamespace('w2');
    l.add(`y${i}`);
  });
  b.setCurrentNamespace(null);
}

function check(b: KeyedStateBackend, keys: readonly unknown[], indexOf: (k: unknown) => number): void {
  const v = b.getValueState(valueStateDescriptor<number>('v'));
  const l = b.getListState(listStateDescriptor<string>('l'));
  const m = b.getMapState(mapStateDescriptor<string, number>('m'));
  const r = b.getReducingState(reducingStateDescriptor<number>('r', (a, c) => a + c));
  const a = b.getAggregatingState(aggregatingStateDescriptor('a', avg));
  for (const k of keys) {
    const i = indexOf(k);
    b.setCurrentKey(k);
    b.setCurrentNamespace(null);
    assert.equal(v.value(), i, `value of ${String(k)}`);
    assert.deepEqual([...l.get()], [`x${i}`]);
    assert.deepEqual(m.entries().sort((x, y) => x[0].localeCompare(y[0])), [['p', i], ['q', -i - 1]]);
    assert.equal(r.get(), i + 1);
    assert.equal(a.get(), i + 1);
    b.setCurrentNamespace('w2');
    assert.deepEqual([...l.get()], [`y${i}`]);
  }
  b.setCurrentNamespace(null);
}

export function keyedStateBackendCases(name: string, factory: BackendFactory, caseOptions: CaseOptions = {}): void {
  const open: KeyedStateBackend[] = [];
  const make = (o: KeyedStateBackendOptions = {}): KeyedStateBackend => {
    const b = factory(o);
    open.push(b);
    return b;
  };
  const closeAll = async (): Promise<void> => {
    while (open.length > 0) await open.pop()!.close();
  };
  afterEach(closeAll);
  after(closeAll);
  const nKeys = caseOptions.keys ?? 400;

  describe(`${name}: state kinds`, () => {
    it('value state: default, update, clear, per key', () => {
      const b = make();
      const s = b.getValueState(valueStateDescriptor<number>('count', { defaultValue: 7 }));
      b.setCurrentKey('a');
      assert.equal(s.value(), 7);
      s.update(1);
      b.setCurrentKey('b');
      assert.equal(s.value(), 7);
      s.update(2);
      b.setCurrentKey('a');
      assert.equal(s.value(), 1);
      s.update(5);
      assert.equal(s.value(), 5);
      s.clear();
      assert.equal(s.value(), 7);
      b.setCurrentKey('b');
      assert.equal(s.value(), 2);
      s.update(undefined);
      assert.equal(s.value(), 7);
      assert.deepEqual(b.keys('count'), []);
    });

    it('value state holds structured values', () => {
      const b = make();
      const s = b.getValueState(valueStateDescriptor<{ n: number; tags: string[]; big: bigint }>('obj'));
      b.setCurrentKey(42);
      s.update({ n: 1, tags: ['a', 'b'], big: 2n ** 70n });
      b.setCurrentKey(43);
      b.setCurrentKey(42);
      assert.deepEqual(s.value(), { n: 1, tags: ['a', 'b'], big: 2n ** 70n });
    });

    it('list state: add, addAll, update, clear, empty', () => {
      const b = make();
      const s = b.getListState(listStateDescriptor<number>('l'));
      b.setCurrentKey('k');
      assert.deepEqual([...s.get()], []);
      s.add(1);
      s.add(2);
      s.addAll([3, 4]);
      assert.deepEqual([...s.get()], [1, 2, 3, 4]);
      s.update([9, 8]);
      assert.deepEqual([...s.get()], [9, 8]);
      b.setCurrentKey('other');
      assert.deepEqual([...s.get()], []);
      b.setCurrentKey('k');
      s.update([]);
      assert.deepEqual([...s.get()], []);
      s.add(5);
      s.clear();
      assert.deepEqual([...s.get()], []);
      assert.deepEqual(b.keys('l'), []);
    });

    it('map state: put, get, contains, remove, entries, keys, values, isEmpty, clear', () => {
      const b = make();
      const s = b.getMapState(mapStateDescriptor<unknown, string | undefined>('m'));
      b.setCurrentKey('k');
      assert.equal(s.isEmpty(), true);
      s.put('a', 'A');
      s.put(1, 'one');
      s.put({ x: 1, y: 2 }, 'obj');
      s.put('u', undefined);
      assert.equal(s.get('a'), 'A');
      assert.equal(s.get({ y: 2, x: 1 }), 'obj', 'object user keys compare by content, not property order');
      assert.equal(s.get('1'), undefined, "'1' and 1 are different user keys");
      assert.equal(s.contains('u'), true, 'an undefined value is still present');
      assert.equal(s.contains('nope'), false);
      assert.equal(s.isEmpty(), false);
      s.putAll([['b', 'B'], ['a', 'A2']]);
      assert.equal(s.get('a'), 'A2');
      s.remove(1);
      assert.equal(s.contains(1), false);
      const entries = s.entries().map(([k, v]) => [JSON.stringify(k), v]).sort();
      assert.deepEqual(entries, [['"a"', 'A2'], ['"b"', 'B'], ['"u"', undefined], ['{"x":1,"y":2}', 'obj']]);
      assert.equal(s.keys().length, 4);
      assert.deepEqual(s.values().filter((v) => v !== undefined).sort(), ['A2', 'B', 'obj']);
      b.setCurrentKey('k2');
      assert.equal(s.isEmpty(), true);
      s.put('z', 'Z');
      b.setCurrentKey('k');
      s.clear();
      assert.equal(s.isEmpty(), true);
      assert.deepEqual(s.entries(), []);
      b.setCurrentKey('k2');
      assert.equal(s.get('z'), 'Z', 'clearing one key leaves another');
      assert.deepEqual(b.keys('m'), ['k2']);
    });

    it('reducing state reduces; aggregating state aggregates', () => {
      const b = make();
      const r = b.getReducingState(reducingStateDescriptor<number>('max', (x, y) => Math.max(x, y)));
      const a = b.getAggregatingState(aggregatingStateDescriptor('avg', avg));
      b.setCurrentKey(['composite', 1]);
      assert.equal(r.get(), undefined);
      assert.equal(a.get(), undefined);
      for (const v of [3, 9, 4]) {
        r.add(v);
        a.add(v);
      }
      assert.equal(r.get(), 9);
      assert.equal(a.get(), 16 / 3);
      b.setCurrentKey(['composite', 2]);
      assert.equal(r.get(), undefined);
      b.setCurrentKey(['composite', 1]);
      r.clear();
      a.clear();
      assert.equal(r.get(), undefined);
      assert.equal(a.get(), undefined);
    });

    it('same handle for the same name; another kind under that name is a STATE_ERROR', () => {
      const b = make();
      const d = valueStateDescriptor<number>('x');
      assert.equal(b.getValueState(d), b.getValueState(valueStateDescriptor<number>('x')));
      assert.throws(() => b.getListState(listStateDescriptor<number>('x')), stateError);
      assert.deepEqual(b.stateNames(), ['x']);
    });

    it('access without a current key, and after close, is a STATE_ERROR', async () => {
      const b = make();
      const s = b.getValueState(valueStateDescriptor<number>('x'));
      assert.throws(() => s.value(), stateError);
      b.setCurrentKey('k');
      s.update(1);
      await b.close();
      assert.throws(() => s.value(), stateError);
      assert.throws(() => b.snapshot(), stateError);
      await b.close();
    });
  });

  describe(`${name}: keys and namespaces`, () => {
    it('keys compare canonically: property order, -0, number vs string vs bigint', () => {
      const b = make();
      const s = b.getValueState(valueStateDescriptor<string>('v'));
      b.setCurrentKey({ a: 1, b: [2, 'x'] });
      s.update('obj');
      b.setCurrentKey({ b: [2, 'x'], a: 1 });
      assert.equal(s.value(), 'obj');
      b.setCurrentKey(0);
      s.update('zero');
      b.setCurrentKey(-0);
      assert.equal(s.value(), 'zero');
      b.setCurrentKey('0');
      assert.equal(s.value(), undefined);
      b.setCurrentKey(0n);
      assert.equal(s.value(), undefined);
      s.update('big');
      b.setCurrentKey('\u0001s0');
      assert.equal(s.value(), undefined, 'a string that looks like an internal encoding is its own key');
      b.setCurrentKey(Buffer.from('key-bytes'));
      s.update('bytes');
      b.setCurrentKey(Buffer.from('key-bytes'));
      assert.equal(s.value(), 'bytes');
      assert.equal(b.keys('v').length, 3 + 1);
    });

    it('rejects unsupported keys with INVALID_ARGUMENT', () => {
      const b = make();
      assert.throws(() => b.setCurrentKey(() => 1), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
      assert.throws(() => b.setCurrentKey(new Map()), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
      assert.throws(() => b.setCurrentKey(Symbol('s')), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
    });

    it('namespaces isolate state of one key', () => {
      const b = make();
      const s = b.getListState(listStateDescriptor<number>('l'));
      b.setCurrentKey('k');
      b.setCurrentNamespace({ start: 0, end: 10 });
      s.add(1);
      b.setCurrentNamespace({ start: 10, end: 20 });
      s.add(2);
      b.setCurrentNamespace({ end: 10, start: 0 });
      assert.deepEqual([...s.get()], [1]);
      b.setCurrentNamespace(null);
      assert.deepEqual([...s.get()], []);
      assert.deepEqual(b.keys('l', { start: 10, end: 20 }), ['k']);
      assert.deepEqual(b.keys('l', { start: 20, end: 30 }), []);
      assert.deepEqual(b.keys('l'), ['k']);
    });

    it('mergeNamespaces merges list, reducing and aggregating state and clears the sources', () => {
      const b = make();
      const l = b.getListState(listStateDescriptor<string>('l'));
      const r = b.getReducingState(reducingStateDescriptor<number>('r', (x, y) => x + y));
      const a = b.getAggregatingState(aggregatingStateDescriptor('a', avg));
      b.getValueState(valueStateDescriptor<number>('v'));
      b.setCurrentKey('k');
      const put = (ns: string, s: string, n: number): void => {
        b.setCurrentNamespace(ns);
        l.add(s);
        r.add(n);
        a.add(n);
      };
      put('w1', 'a', 1);
      put('w2', 'b', 2);
      put('w2', 'c', 3);
      put('w3', 'd', 10);
      b.setCurrentKey('other');
      put('w2', 'untouched', 100);
      b.setCurrentKey('k');
      b.setCurrentNamespace('elsewhere');
      for (const n of ['l', 'r', 'a']) b.mergeNamespaces(n, 'w1', ['w2', 'w3', 'missing', 'w1']);
      assert.equal(b.getCurrentNamespace(), 'elsewhere', 'merging restores the current namespace');
      b.setCurrentNamespace('w1');
      assert.deepEqual([...l.get()], ['a', 'b', 'c', 'd']);
      assert.equal(r.get(), 16);
      assert.equal(a.get(), 4);
      for (const ns of ['w2', 'w3']) {
        b.setCurrentNamespace(ns);
        assert.deepEqual([...l.get()], []);
        assert.equal(r.get(), undefined);
        assert.equal(a.get(), undefined);
      }
      b.setCurrentKey('other');
      b.setCurrentNamespace('w2');
      assert.deepEqual([...l.get()], ['untouched']);
      // merging into an empty target moves the source
      b.setCurrentKey('k');
      b.mergeNamespaces('l', 'fresh', ['w1']);
      b.setCurrentNamespace('fresh');
      assert.deepEqual([...l.get()], ['a', 'b', 'c', 'd']);
      assert.throws(() => b.mergeNamespaces('v', 'w1', ['w2']), stateError);
    });

    it('a key outside the key-group range is refused', () => {
      const range = keyGroupRangeFor(0, 2, 128);
      const b = make({ maxParallelism: 128, keyGroupRange: range });
      let inside = 0;
      let outside = 0;
      for (let i = 0; i < 50; i++) {
        const kg = keyGroupFor(`k${i}`, 128);
        if (kg >= range.start && kg <= range.end) {
          b.setCurrentKey(`k${i}`);
          assert.equal(b.getCurrentKeyGroup(), kg);
          inside++;
        } else {
          assert.throws(() => b.setCurrentKey(`k${i}`), stateError);
          outside++;
        }
      }
      assert.ok(inside > 0 && outside > 0);
    });
  });

  describe(`${name}: snapshot and restore`, () => {
    const keys = Array.from({ length: nKeys }, (_, i) => (i % 3 === 0 ? `key-${i}` : i % 3 === 1 ? i : { id: i }));
    const indexOf = (k: unknown): number => (typeof k === 'string' ? Number(k.slice(4)) : typeof k === 'number' ? k : (k as { id: number }).id);

    it('round trip into a fresh backend', () => {
      const a = make();
      populate(a, keys, indexOf);
      const snaps = a.snapshot();
      assert.ok(snaps.length > 1 && snaps.length <= 128);
      for (const s of snaps) assert.equal(s.maxParallelism, 128);
      const b = make();
      b.restore(snaps);
      check(b, keys, indexOf);
      assert.equal(b.keys('v').length, keys.length);
      assert.deepEqual(b.stateNames().sort(), ['a', 'l', 'm', 'r', 'v']);
    });

    it('restore replaces existing state, and works before the states are registered', () => {
      const a = make();
      populate(a, keys.slice(0, 10), indexOf);
      const snaps = a.snapshot();
      const b = make();
      b.restore(snaps);
      const v = b.getValueState(valueStateDescriptor<number>('v'));
      b.setCurrentKey(keys[3]);
      assert.equal(v.value(), 3);
      v.update(1000);
      b.setCurrentKey('not-in-snapshot');
      v.update(5);
      b.restore(snaps);
      b.setCurrentKey(keys[3]);
      assert.equal(v.value(), 3);
      b.setCurrentKey('not-in-snapshot');
      assert.equal(v.value(), undefined);
    });

    for (const [from, to] of [[2, 1], [2, 4], [1, 3], [3, 2]] as const) {
      it(`rescale ${from} -> ${to} loses and duplicates nothing`, () => {
        const all: KeyGroupSnapshot[] = [];
        for (let i = 0; i < from; i++) {
          const range = keyGroupRangeFor(i, from);
          const b = make({ keyGroupRange: range });
          const mine = keys.filter((k) => {
            const kg = keyGroupFor(k);
            return kg >= range.start && kg <= range.end;
          });
          populate(b, mine, indexOf);
          const snaps = b.snapshot();
          for (const s of snaps) assert.ok(s.keyGroup >= range.start && s.keyGroup <= range.end);
          all.push(...snaps);
        }
        let seen = 0;
        for (let j = 0; j < to; j++) {
          const range = keyGroupRangeFor(j, to);
          const b = make({ keyGroupRange: range });
          b.restore(all); // every subtask gets everything and keeps its own key groups
          const mine = keys.filter((k) => {
            const kg = keyGroupFor(k);
            return kg >= range.start && kg <= range.end;
          });
          check(b, mine, indexOf);
          const listed = b.keys('v');
          assert.equal(listed.length, mine.length, 'no foreign or duplicated keys');
          assert.equal(b.keys('l', 'w2').length, mine.length);
          seen += listed.length;
        }
        assert.equal(seen, keys.length);
      });
    }

    it('a snapshot of a sub-range holds only that range', () => {
      const a = make();
      populate(a, keys, indexOf);
      const snaps = a.snapshot({ start: 10, end: 19 });
      assert.ok(snaps.length > 0);
      for (const s of snaps) assert.ok(s.keyGroup >= 10 && s.keyGroup <= 19);
    });

    it('bad snapshot bytes and a different maxParallelism are STATE_ERRORs that leave the backend empty', () => {
      const a = make();
      populate(a, keys.slice(0, 20), indexOf);
      const snaps = a.snapshot();
      const b = make();
      const v = b.getValueState(valueStateDescriptor<number>('v'));
      b.setCurrentKey('pre');
      v.update(1);
      const first = snaps[0]!;
      const corrupt = Buffer.from(first.bytes);
      corrupt[corrupt.length - 3] = 0xc1; // a msgpack "never used" byte
      assert.throws(() => b.restore([first, { ...first, bytes: corrupt }]), stateError);
      assert.deepEqual(b.keys('v'), []);
      assert.throws(() => b.restore([{ ...first, bytes: Buffer.from('nonsense') }]), stateError);
      assert.throws(() => b.restore([{ ...first, bytes: first.bytes.subarray(0, 10) }]), stateError);
      const c = make({ maxParallelism: 256 });
      assert.throws(() => c.restore(snaps), stateError);
      // the good snapshots still restore afterwards
      b.restore(snaps);
      assert.equal(b.keys('v').length, 20);
    });
  });

  describe(`${name}: TTL`, () => {
    const ttl = (updateType: StateTtlConfig['updateType']): StateTtlConfig => ({ ttlMs: 100, updateType });

    it('OnCreateAndWrite: reads do not extend, writes do, expired is never returned', () => {
      const clock = new ManualClock();
      const b = make({ clock: clock.now });
      const v = b.getValueState(valueStateDescriptor<number>('v', { ttl: ttl('OnCreateAndWrite'), defaultValue: -1 }));
      b.setCurrentKey('k');
      v.update(1);
      clock.t += 60;
      assert.equal(v.value(), 1);
      clock.t += 39;
      assert.equal(v.value(), 1, 'still alive at 99 ms');
      clock.t += 1;
      assert.equal(v.value(), -1, 'expired at 100 ms although it was read');
      v.update(2);
      clock.t += 99;
      v.update(3);
      clock.t += 99;
      assert.equal(v.value(), 3, 'the write restarted its life');
      clock.t += 1;
      assert.equal(v.value(), -1);
      assert.deepEqual(b.keys('v'), []);
    });

    it('OnReadAndWrite: reads extend the life', () => {
      const clock = new ManualClock();
      const b = make({ clock: clock.now });
      const v = b.getValueState(valueStateDescriptor<number>('v', { ttl: ttl('OnReadAndWrite') }));
      const m = b.getMapState(mapStateDescriptor<string, number>('m', { ttl: ttl('OnReadAndWrite') }));
      b.setCurrentKey('k');
      v.update(1);
      m.put('a', 1);
      m.put('b', 2);
      for (let i = 0; i < 5; i++) {
        clock.t += 90;
        assert.equal(v.value(), 1);
        assert.equal(m.get('a'), 1);
      }
      clock.t += 100;
      assert.equal(v.value(), undefined);
      assert.equal(m.get('a'), undefined);
      assert.equal(m.isEmpty(), true);
    });

    it('list elements and map entries expire one by one; reducing and aggregating as a whole', () => {
      const clock = new ManualClock();
      const b = make({ clock: clock.now });
      const l = b.getListState(listStateDescriptor<number>('l', { ttl: ttl('OnCreateAndWrite') }));
      const m = b.getMapState(mapStateDescriptor<string, number>('m', { ttl: ttl('OnCreateAndWrite') }));
      const r = b.getReducingState(reducingStateDescriptor<number>('r', (x, y) => x + y, { ttl: ttl('OnCreateAndWrite') }));
      const a = b.getAggregatingState(aggregatingStateDescriptor('a', avg, { ttl: ttl('OnCreateAndWrite') }));
      b.setCurrentKey('k');
      l.add(1);
      m.put('old', 1);
      r.add(5);
      a.add(5);
      clock.t += 50;
      l.add(2);
      m.put('new', 2);
      clock.t += 50; // first batch is now 100 ms old
      assert.deepEqual([...l.get()], [2]);
      assert.deepEqual(m.entries(), [['new', 2]]);
      assert.equal(r.get(), undefined);
      assert.equal(a.get(), undefined);
      r.add(7);
      a.add(7);
      assert.equal(r.get(), 7, 'an expired reducing value does not take part in the next add');
      assert.equal(a.get(), 7);
      clock.t += 50;
      assert.deepEqual([...l.get()], []);
      assert.equal(m.isEmpty(), true);
    });

    it('expired entries are not written into snapshots; timestamps survive restore', () => {
      const clock = new ManualClock();
      const b = make({ clock: clock.now });
      const desc = valueStateDescriptor<string>('v', { ttl: ttl('OnCreateAndWrite') });
      const ldesc = listStateDescriptor<string>('l', { ttl: ttl('OnCreateAndWrite') });
      const mdesc = mapStateDescriptor<string, string>('m', { ttl: ttl('OnCreateAndWrite') });
      const v = b.getValueState(desc);
      const l = b.getListState(ldesc);
      const m = b.getMapState(mdesc);
      for (let i = 0; i < 20; i++) {
        b.setCurrentKey(`old${i}`);
        v.update('o');
        l.add('o');
        m.put('o', 'o');
      }
      clock.t += 60;
      for (let i = 0; i < 20; i++) {
        b.setCurrentKey(`new${i}`);
        v.update('n');
        l.add('n');
        m.put('n', 'n');
      }
      b.setCurrentKey('mixed');
      l.add('n');
      m.put('n', 'n');
      clock.t += 40; // the "old" entries expire now, never having been read
      const snaps = b.snapshot();
      const c = make({ clock: clock.now });
      c.restore(snaps);
      const keys = c.keys('v').map(String).sort();
      assert.deepEqual(keys, Array.from({ length: 20 }, (_, i) => `new${i}`).sort());
      assert.equal(c.keys('l').length, 21);
      assert.equal(c.keys('m').length, 21);
      const cv = c.getValueState(desc);
      c.setCurrentKey('new3');
      assert.equal(cv.value(), 'n');
      clock.t += 60; // 100 ms after the "new" writes: their restored timestamps still count
      assert.equal(cv.value(), undefined);
      assert.equal(c.snapshot().length, 0, 'nothing live, nothing snapshotted');
    });

    it('switching TTL on for a state restored without it is a STATE_ERROR', () => {
      const a = make();
      populate(a, keys0());
      const b = make();
      b.restore(a.snapshot());
      assert.throws(() => b.getValueState(valueStateDescriptor<number>('v', { ttl: ttl('OnCreateAndWrite') })), stateError);
    });
  });
}

function keys0(): string[] {
  return ['a', 'b', 'c'];
}
