import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { decodeKeyGroupSnapshot, MAGIC, SNAPSHOT_FORMAT_VERSION } from './snapshot-format.js';
import type { SnapshotState } from './snapshot-format.js';
import { KeyGroupSnapshotWriter } from './snapshot-writer.js';
import { packValue } from './value-codec.js';
import type { StateKind } from './types.js';

interface StateSpec {
  name: string;
  kind: StateKind;
  ttlMs: number | null;
  wrapped: boolean;
  cells: Array<[Uint8Array, Uint8Array, unknown]>;
}

const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max });
const payload = fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer(), { maxLength: 5 }), fc.constant(null), fc.record({ n: fc.double({ noNaN: true }) }));
const stateSpec: fc.Arbitrary<StateSpec> = fc.record({
  // Names across the msgpack string sizes (fixstr, str8, str16) and outside ASCII.
  name: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), fc.string({ minLength: 300, maxLength: 400 })),
  kind: fc.constantFrom<StateKind>('value', 'list', 'map', 'reducing', 'aggregating'),
  ttlMs: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.integer({ min: 2 ** 32, max: Number.MAX_SAFE_INTEGER })),
  wrapped: fc.boolean(),
  cells: fc.array(fc.tuple(bytes(12), bytes(4), payload), { maxLength: 6 }),
});

/** What the snapshot should decode to, written the way the format was written before: one msgpackr tree. */
function viaMsgpackr(mp: number, kg: number, states: StateSpec[]): Uint8Array {
  const packr = new Packr({ useRecords: false, moreTypes: true, structuredClone: true });
  const tree = {
    mp,
    kg,
    states: states
      .filter((s) => s.cells.length > 0)
      .map((s) => ({ name: s.name, kind: s.kind, ttlMs: s.ttlMs, wrapped: s.wrapped, cells: s.cells.flatMap(([k, n, p]) => [k, n, packValue(p)]) })),
  };
  return Buffer.concat([MAGIC, Buffer.from([SNAPSHOT_FORMAT_VERSION]), packr.pack(tree)]);
}

/**
 * Every cell is written twice: first as parts into a scratch key group, then, for every other
 * cell, copied from there by the (offset, length) `cell` reported (what a backend does with
 * an unchanged cell), the rest as parts again.
 */
function viaWriter(w: KeyGroupSnapshotWriter, mp: number, kg: number, states: StateSpec[]): Uint8Array | null {
  const spans: Array<[number, number]> = [];
  w.begin();
  for (const s of states) {
    w.beginState(s.name, s.kind, s.ttlMs, s.wrapped);
    for (const [k, n, p] of s.cells) {
      const at = w.cell(k, n, packValue(p));
      spans.push([at, w.size - at]);
    }
  }
  const earlier = w.finish(mp, kg);
  w.begin();
  let i = 0;
  for (const s of states) {
    w.beginState(s.name, s.kind, s.ttlMs, s.wrapped);
    for (const [k, n, p] of s.cells) {
      const [at, len] = spans[i] as [number, number];
      if (i++ % 2 === 1) w.copy(earlier as Uint8Array, at, len);
      else w.cell(k, n, packValue(p));
    }
  }
  return w.finish(mp, kg);
}

/** Byte strings as number arrays: msgpackr read them back as Uint8Array, bins read back as Buffer; both serve. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

test('the writer writes what the msgpackr tree decoded to: names, kinds, TTLs, cells and payloads', () => {
  const w = new KeyGroupSnapshotWriter();
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 32768 }), fc.nat(), fc.array(stateSpec, { maxLength: 4 }), (mp, kgSeed, states) => {
      const kg = kgSeed % mp;
      const out = viaWriter(w, mp, kg, states);
      if (states.every((s) => s.cells.length === 0)) {
        assert.equal(out, null, 'no cells in any state: no snapshot');
        return;
      }
      assert.ok(out !== null);
      const got = decodeKeyGroupSnapshot(out);
      const want = decodeKeyGroupSnapshot(viaMsgpackr(mp, kg, states));
      assert.equal(got.maxParallelism, mp);
      assert.equal(got.keyGroup, kg);
      assert.deepEqual(plain(got.states), plain(want.states));
    }),
    { numRuns: 300 },
  );
});

test('payloads and keys of every bin size (8, 16 and 32-bit lengths) come back byte for byte', () => {
  const w = new KeyGroupSnapshotWriter();
  const sizes = [0, 1, 255, 256, 65535, 65536, 200_000];
  w.begin();
  w.beginState('s', 'value', null, false);
  for (const n of sizes) w.cell(new Uint8Array(n).fill(n & 0xff), new Uint8Array(Math.min(n, 300)).fill(7), packValue(new Uint8Array(n).fill(3)));
  const got = decodeKeyGroupSnapshot(w.finish(128, 5) as Uint8Array);
  const cells = (got.states[0] as SnapshotState).cells;
  assert.equal(cells.length, sizes.length * 3);
  sizes.forEach((n, i) => {
    assert.deepEqual(new Uint8Array(cells[i * 3] as Uint8Array), new Uint8Array(n).fill(n & 0xff), `key of ${n} bytes`);
    assert.equal((cells[i * 3 + 1] as Uint8Array).length, Math.min(n, 300));
    assert.deepEqual(new Uint8Array(cells[i * 3 + 2] as Uint8Array), new Uint8Array(n).fill(3), `payload of ${n} bytes`);
  });
});

test('states without cells are left out, and each key group starts empty', () => {
  const w = new KeyGroupSnapshotWriter();
  w.begin();
  w.beginState('empty', 'list', null, false);
  w.beginState('full', 'value', 5000, true);
  w.cell(new Uint8Array([1]), new Uint8Array([2]), packValue({ v: 1, t: 2 }));
  w.beginState('empty too', 'map', null, false);
  const got = decodeKeyGroupSnapshot(w.finish(128, 0) as Uint8Array);
  assert.deepEqual(
    got.states.map((s) => [s.name, s.kind, s.ttlMs, s.wrapped]),
    [['full', 'value', 5000, true]],
  );
  w.begin();
  w.beginState('empty', 'list', null, false);
  assert.equal(w.finish(128, 1), null, 'the first key group left nothing behind');
  // The same name with other settings (a state restored under another descriptor) is its own head.
  w.begin();
  w.beginState('full', 'list', null, false);
  w.cell(new Uint8Array([1]), new Uint8Array([2]), packValue([1]));
  assert.deepEqual(
    decodeKeyGroupSnapshot(w.finish(128, 2) as Uint8Array).states.map((s) => [s.name, s.kind, s.ttlMs, s.wrapped]),
    [['full', 'list', null, false]],
  );
});
