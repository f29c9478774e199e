import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TimeMap } from './time-map.js';

const EPOCH_MS = 1_700_000_000_000;

/** Times as timers see them: epoch ms near each other, and the odd ones (fractions, far, tiny, infinite). */
const time = fc.oneof(
  fc.integer({ min: -5000, max: 5000 }).map((d) => EPOCH_MS + d),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0, -0, 1e-17, -1e-17, 0.5, EPOCH_MS + 0.25, EPOCH_MS + 2 ** 31, EPOCH_MS - 2 ** 31 - 1, 2 ** 53, -(2 ** 53), Infinity, -Infinity),
  fc.double({ noNaN: true }),
);

const op = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), time, value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), time }),
);

test('TimeMap behaves as a Map keyed by the time itself, for any times and any order of sets and deletes', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), fc.array(time, { maxLength: 20 }), (ops, probes) => {
      const m = new TimeMap<number>();
      const want = new Map<number, number>();
      for (const o of ops) {
        if (o.kind === 'set') {
          m.set(o.time, o.value);
          want.set(o.time, o.value);
        } else {
          m.delete(o.time);
          want.delete(o.time);
        }
        assert.equal(m.size, want.size);
      }
      for (const t of [...probes, ...ops.map((o) => o.time)]) assert.equal(m.get(t), want.get(t), `time ${t}`);
      assert.deepEqual([...m.values()].sort((a, b) => a - b), [...want.values()].sort((a, b) => a - b));
    }),
    { numRuns: 500 },
  );
});

test('TimeMap keeps times apart that lie within rounding of one offset from its base', () => {
  const m = new TimeMap<string>();
  m.set(1, 'one');
  // 1e-17 - 1 rounds to -1, the offset of 0: the two must still be different keys.
  m.set(0, 'zero');
  m.set(1e-17, 'tiny');
  assert.equal(m.get(0), 'zero');
  assert.equal(m.get(1e-17), 'tiny');
  assert.equal(m.size, 3);
});
