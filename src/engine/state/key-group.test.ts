import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { isSluiceError } from '../../errors.js';
import { decodeKey, encodeKey, heapKeyOf } from './key-codec.js';
import { keyGroupFor, keyGroupRangeFor, keyHash, subtaskForKey, subtaskForKeyGroup } from './key-group.js';

const sampleKeys: unknown[] = [
  'user-1', '', 'ünïcödé', '\u0001s', 0, 1, -1, 1.5, 2 ** 40, NaN, Infinity, 7n, -(2n ** 80n), true, false, null, undefined,
  [1, 'a'], { a: 1, b: [true, null] }, Buffer.from([0, 1, 255]),
];

describe('key hashing', () => {
  it('is the same in another process (no identity, seed or insertion-order dependence)', () => {
    const here = sampleKeys.map((k) => keyHash(k));
    const script = `
      import { keyHash } from './src/engine/state/key-group.ts';
      const keys = ['user-1', '', 'ünïcödé', '\\u0001s', 0, 1, -1, 1.5, 2 ** 40, NaN, Infinity, 7n, -(2n ** 80n), true, false, null, undefined,
        [1, 'a'], { b: [true, null], a: 1 }, Buffer.from([0, 1, 255])];
      console.log(JSON.stringify(keys.map((k) => keyHash(k))));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../../../', import.meta.url).pathname,
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.deepEqual(JSON.parse(out), here);
  });

  it('keeps the hashes that checkpoints already hold: a changed hash would restore keys into the wrong key group', () => {
    const keys: unknown[] = [0, 1, -1, 7, 123456, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1.5, -0.25, 1e300, 'a', 'auction-1', true, null, [1, 'x'], { a: 1 }];
    const hashes = [
      2122954615, 2393540102, 2655517871, 3517105350, 1390884835, 1544037931, 3625761430, 232623822, 2855124395, 2420947151, 4288361793, 2148926266,
      4091244266, 2940933360, 1764415444, 3458027603, 697314150,
    ];
    assert.deepEqual(keys.map((k) => keyHash(k)), hashes);
    assert.deepEqual(keys.map((k) => keyGroupFor(k, 128)), hashes.map((h) => h % 128));
  });

  it('equal keys hash equal, canonical encodings agree, distinct kinds differ', () => {
    assert.equal(keyHash(0), keyHash(-0));
    assert.ok(Object.is(heapKeyOf(-0), 0), 'a heap key has no negative zero, as a decoded key has none');
    assert.equal(keyHash({ x: 1, y: { p: 1, q: 2 } }), keyHash({ y: { q: 2, p: 1 }, x: 1 }));
    assert.notEqual(keyHash(1), keyHash('1'));
    assert.notEqual(keyHash(1), keyHash(1n));
    assert.notEqual(keyHash([1, 2]), keyHash([2, 1]));
    const arb = fc.anything({ maxDepth: 3, withBigInt: true, withNullPrototype: false, withBoxedValues: false, withMap: false, withSet: false, withDate: false, withTypedArray: false, withSparseArray: false });
    fc.assert(
      fc.property(arb, (k) => {
        const bytes = encodeKey(k);
        const back = decodeKey(bytes);
        // the decoded key is the same key: same bytes, same hash, same heap identity
        assert.ok(encodeKey(back).equals(bytes));
        assert.equal(keyHash(back), keyHash(k));
        assert.equal(heapKeyOf(back), heapKeyOf(k));
      }),
      { numRuns: 300 },
    );
  });

  it('spreads keys over key groups', () => {
    const counts = new Array<number>(128).fill(0);
    for (let i = 0; i < 128_00; i++) counts[keyGroupFor(`k${i}`)]!++;
    assert.ok(Math.min(...counts) > 50 && Math.max(...counts) < 160, `min ${Math.min(...counts)} max ${Math.max(...counts)}`);
    const ints = new Array<number>(128).fill(0);
    for (let i = 0; i < 128_00; i++) ints[keyGroupFor(i)]!++;
    assert.ok(Math.min(...ints) > 50 && Math.max(...ints) < 160);
  });

  it('rejects unsupported and cyclic keys with INVALID_ARGUMENT', () => {
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    for (const bad of [() => 0, Symbol('x'), new Date(), new Map(), cyclic]) {
      assert.throws(() => keyHash(bad), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
      assert.throws(() => encodeKey(bad), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
    }
  });

  it('decodeKey refuses garbage with STATE_ERROR or TRUNCATED_INPUT', () => {
    for (const bytes of [Buffer.from([0x42]), Buffer.from([0x06, 5, 0x61]), Buffer.from([0x07, 0xff, 0xff, 0x7f]), Buffer.from([0x01, 0x01])]) {
      assert.throws(() => decodeKey(bytes), (e) => isSluiceError(e, 'STATE_ERROR') || isSluiceError(e, 'TRUNCATED_INPUT'));
    }
  });
});

describe('key group ranges', () => {
  it('partition [0, maxParallelism) into contiguous ranges; the owner of each key group agrees', () => {
    for (const maxP of [1, 7, 128, 1000]) {
      for (let p = 1; p <= Math.min(maxP, 13); p++) {
        let next = 0;
        for (let i = 0; i < p; i++) {
          const r = keyGroupRangeFor(i, p, maxP);
          assert.equal(r.start, next, `maxP ${maxP} p ${p} subtask ${i}`);
          assert.ok(r.end >= r.start);
          for (let kg = r.start; kg <= r.end; kg++) assert.equal(subtaskForKeyGroup(kg, p, maxP), i);
          next = r.end + 1;
        }
        assert.equal(next, maxP);
      }
    }
  });

  it('matches Flink for 128 key groups at parallelism 3', () => {
    // Flink: start = ceil(i * 128 / 3), end = ceil((i + 1) * 128 / 3) - 1
    assert.deepEqual([0, 1, 2].map((i) => keyGroupRangeFor(i, 3, 128)), [
      { start: 0, end: 42 },
      { start: 43, end: 85 },
      { start: 86, end: 127 },
    ]);
  });

  it('routes a key to the subtask whose range holds its key group', () => {
    for (let i = 0; i < 500; i++) {
      const key = { user: i };
      const s = subtaskForKey(key, 4);
      const r = keyGroupRangeFor(s, 4);
      const kg = keyGroupFor(key);
      assert.ok(kg >= r.start && kg <= r.end);
    }
  });

  it('bad arguments are INVALID_ARGUMENT', () => {
    for (const [i, p, m] of [[0, 0, 128], [2, 2, 128], [0, 200, 128], [0, 1, 0], [0, 1, 40000], [-1, 2, 128]] as const) {
      assert.throws(() => keyGroupRangeFor(i, p, m), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
    }
  });
});
