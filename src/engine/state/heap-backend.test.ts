import { createHeapKeyedStateBackend } from './heap-backend.js';
import { keyedStateBackendCases } from './keyed-state-backend.case.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { encodeKey } from './key-codec.js';
import { decodeKeyGroupSnapshot } from './snapshot-format.js';
import { keyGroupFor } from './key-group.js';
import { listStateDescriptor, valueStateDescriptor } from './descriptors.js';
import type { KeyGroupSnapshot } from './types.js';

keyedStateBackendCases('heap backend', (o) => createHeapKeyedStateBackend(o));


const byKg = (snaps: KeyGroupSnapshot[]): Map<number, Uint8Array> => new Map(snaps.map((s) => [s.keyGroup, s.bytes]));

test('heap snapshots are incremental: unchanged key groups keep their bytes, changes and mutated reads are captured', () => {
  const b = createHeapKeyedStateBackend();
  const v = b.getValueState(valueStateDescriptor<{ n: number }>('v'));
  const c = b.getValueState(valueStateDescriptor<number>('c'));
  for (let k = 0; k < 50; k++) {
    b.setCurrentKey(k);
    v.update({ n: k });
    c.update(k);
  }
  const first = byKg(b.snapshot());
  const again = byKg(b.snapshot());
  assert.equal(again.size, first.size);
  for (const [kg, bytes] of again) assert.equal(bytes, first.get(kg), 'nothing changed: the same bytes object is reused');

  // A primitive read leaves the key group clean; a write or an object read (mutated in place) does not.
  b.setCurrentKey(1);
  assert.equal(c.value(), 1);
  b.setCurrentKey(2);
  c.update(200);
  b.setCurrentKey(3);
  (v.value() as { n: number }).n = 300;
  const third = byKg(b.snapshot());
  const dirty = new Set([keyGroupFor(2, 128), keyGroupFor(3, 128)]);
  for (const [kg, bytes] of third) {
    if (dirty.has(kg)) assert.notEqual(bytes, first.get(kg));
    else assert.equal(bytes, first.get(kg), `key group ${kg} was not touched`);
  }

  const r = createHeapKeyedStateBackend();
  r.restore(b.snapshot());
  const rv = r.getValueState(valueStateDescriptor<{ n: number }>('v'));
  const rc = r.getValueState(valueStateDescriptor<number>('c'));
  for (let k = 0; k < 50; k++) {
    r.setCurrentKey(k);
    assert.deepEqual(rv.value(), { n: k === 3 ? 300 : k });
    assert.equal(rc.value(), k === 2 ? 200 : k);
  }
  // A removed key disappears from the next snapshot.
  r.setCurrentKey(7);
  rv.clear();
  rc.clear();
  const s = r.snapshot();
  const r2 = createHeapKeyedStateBackend();
  r2.restore(s);
  r2.setCurrentKey(7);
  assert.equal(r2.getValueState(valueStateDescriptor<number>('c')).value(), undefined);
});

test('list appends after a snapshot are in the next one; version 1 snapshots (payload inline) still restore', () => {
  const b = createHeapKeyedStateBackend();
  const l = b.getListState(listStateDescriptor<number>('l'));
  b.setCurrentKey('k');
  l.add(1);
  b.snapshot();
  l.add(2);
  const r = createHeapKeyedStateBackend();
  r.restore(b.snapshot());
  r.setCurrentKey('k');
  assert.deepEqual([...r.getListState(listStateDescriptor<number>('l')).get()], [1, 2]);

  const packr = new Packr({ useRecords: false, moreTypes: true, structuredClone: true });
  const kg = keyGroupFor('k', 128);
  const body = packr.pack({ mp: 128, kg, states: [{ name: 'l', kind: 'list', ttlMs: null, wrapped: false, cells: [encodeKey('k'), encodeKey(null), [5, 6]] }] });
  const v1 = Buffer.concat([Buffer.from('SLKS', 'latin1'), Buffer.from([1]), body]);
  assert.deepEqual(decodeKeyGroupSnapshot(v1).states[0]?.cells[2], [5, 6]);
  const old = createHeapKeyedStateBackend();
  old.restore([{ keyGroup: kg, maxParallelism: 128, bytes: v1 }]);
  old.setCurrentKey('k');
  assert.deepEqual([...old.getListState(listStateDescriptor<number>('l')).get()], [5, 6]);
});

test('an unchanged cell is copied from where the last snapshot put it, also after the cells before it moved', () => {
  const b = createHeapKeyedStateBackend();
  const v = b.getValueState(valueStateDescriptor<string>('v'));
  // Three keys of one key group, so every snapshot rewrites all three in one key group's bytes.
  const kg = keyGroupFor(0, 128);
  const keys = [0];
  for (let k = 1; keys.length < 3; k++) if (keyGroupFor(k, 128) === kg) keys.push(k);
  const [first, second, third] = keys as [number, number, number];
  const put = (k: number, s: string): void => {
    b.setCurrentKey(k);
    v.update(s);
  };
  put(first, 'a');
  put(second, 'second');
  put(third, 'third');
  b.snapshot();
  // Each round the first cell changes size, which moves the unchanged two within the bytes.
  for (const s of ['a much longer value than before', '', 'x'.repeat(300)]) {
    put(first, s);
    const r = createHeapKeyedStateBackend();
    r.restore(b.snapshot());
    const rv = r.getValueState(valueStateDescriptor<string>('v'));
    for (const [k, want] of [
      [first, s],
      [second, 'second'],
      [third, 'third'],
    ] as const) {
      r.setCurrentKey(k);
      assert.equal(rv.value(), want, `key ${k} after the first became ${s.length} characters`);
    }
  }
});

test("a key's cells share its key bytes: one cell, then several, then fewer, each snapshot restores every cell under its key", () => {
  const b = createHeapKeyedStateBackend();
  const v = b.getValueState(valueStateDescriptor<string>('v'));
  const put = (k: unknown, ns: unknown, s: string | undefined): void => {
    b.setCurrentKey(k);
    b.setCurrentNamespace(ns);
    v.update(s);
  };
  const want = new Map<string, string>();
  const check = (): void => {
    const r = createHeapKeyedStateBackend();
    r.restore(b.snapshot());
    const rv = r.getValueState(valueStateDescriptor<string>('v'));
    const got = new Map<string, string>();
    for (const k of [7, 'k', { id: 1 }]) {
      for (const ns of [null, 'w1', 'w2', 'w3', 'w4']) {
        r.setCurrentKey(k);
        r.setCurrentNamespace(ns);
        const x = rv.value();
        if (x !== undefined) got.set(`${JSON.stringify(k)} ${ns}`, x);
      }
    }
    assert.deepEqual(got, want);
  };
  const step = (k: unknown, ns: string | null, s: string | undefined): void => {
    put(k, ns, s);
    if (s === undefined) want.delete(`${JSON.stringify(k)} ${ns}`);
    else want.set(`${JSON.stringify(k)} ${ns}`, s);
  };
  // A single cell per key, snapshotted (its key bytes computed), then more namespaces join it.
  step(7, null, 'a');
  step('k', null, 'b');
  step({ id: 1 }, 'w1', 'c');
  check();
  step(7, 'w1', 'd');
  step('k', 'w2', 'e');
  step({ id: 1 }, 'w2', 'f');
  check();
  step(7, 'w2', 'g');
  step(7, 'w3', 'h');
  step({ id: 1 }, 'w3', 'i');
  check();
  // Cells go, down to none for a key, and come back.
  step(7, null, undefined);
  step(7, 'w2', undefined);
  step('k', null, undefined);
  step('k', 'w2', undefined);
  check();
  step('k', 'w4', 'j');
  step(7, 'w4', 'l');
  check();
});
