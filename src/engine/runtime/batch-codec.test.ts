// The batch codec delivers exactly what structured clone would: for batches of one shape
// (sent as columns), for batches that break the shape part-way (sent as they are), and for
// values structured clone treats specially. Each encoded batch crosses a real structured clone
// with its buffers transferred, as postMessage does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBatch, decodeTimestamps, encodeBatch, encodeTimestamps, type EncodedBatch } from './batch-codec.js';

function roundTrip(values: readonly unknown[]): { out: unknown[]; columns: boolean } {
  const transfer: ArrayBuffer[] = [];
  const enc = encodeBatch(values, transfer);
  const sent = structuredClone(enc, { transfer }) as EncodedBatch;
  return { out: decodeBatch(sent, values.length), columns: sent.sig !== undefined };
}

type Leaf = 'n' | 's' | 'b' | 'any';
interface ShapeSpec {
  keys: string[];
  fields: (Leaf | ShapeSpec)[];
}

const leafValue: Record<Leaf, fc.Arbitrary<unknown>> = {
  n: fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER)),
  s: fc.string({ unit: 'grapheme' }),
  b: fc.boolean(),
  any: fc.oneof(fc.constant(null), fc.constant(undefined), fc.bigInt(), fc.date({ noInvalidDate: true }), fc.array(fc.integer(), { maxLength: 3 }), fc.integer(), fc.string()),
};

const key = fc.oneof(fc.constantFrom('id', 'ts', 'url', 'window', 'value', '0', 'a b', 'é', '"q"', 'back\\slash'), fc.string({ minLength: 1, maxLength: 6 }));

const shapeSpec: fc.Arbitrary<ShapeSpec> = fc.letrec<{ shape: ShapeSpec }>((tie) => ({
  shape: fc
    .uniqueArray(fc.tuple(key, fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constantFrom<Leaf>('n', 's', 'b', 'any'), tie('shape'))), {
      minLength: 1,
      maxLength: 6,
      selector: ([k]) => k,
    })
    .map((entries) => ({ keys: entries.map(([k]) => k), fields: entries.map(([, f]) => f) })),
})).shape;

function hasAny(spec: ShapeSpec): boolean {
  return spec.fields.some((f) => (typeof f === 'string' ? f === 'any' : hasAny(f)));
}

function recordOf(spec: ShapeSpec): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(...spec.fields.map((f) => (typeof f === 'string' ? leafValue[f] : recordOf(f)))).map((vals) => {
    const o: Record<string, unknown> = {};
    spec.keys.forEach((k, i) => (o[k] = vals[i]));
    return o;
  });
}

/** An invalid Date is not deep-equal even to itself, so values holding one cannot be compared. */
function hasInvalidDate(v: unknown, seen = new Set<unknown>()): boolean {
  if (v instanceof Date) return Number.isNaN(v.getTime());
  if (typeof v !== 'object' || v === null || seen.has(v)) return false;
  seen.add(v);
  const inner = v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? [...v] : Object.values(v);
  return inner.some((x) => hasInvalidDate(x, seen));
}

const anything = fc
  .anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true })
  .filter((v) => !hasInvalidDate(v));

test('batches of one shape round-trip as columns, equal to structured clone', () => {
  fc.assert(
    fc.property(
      shapeSpec.chain((s) => fc.tuple(fc.constant(s), fc.array(recordOf(s), { minLength: 2, maxLength: 40 }))),
      ([spec, batch]) => {
        const { out, columns } = roundTrip(batch);
        assert.deepStrictEqual(out, structuredClone(batch));
        // Fields of 'any' type may differ in type between records; typed ones never do.
        if (!hasAny(spec)) assert.equal(columns, true, 'a batch of one typed shape travels as columns');
      },
    ),
    { numRuns: 1500 },
  );
});

test('a batch broken by a record of another shape or type is delivered whole and equal', () => {
  fc.assert(
    fc.property(
      shapeSpec.chain((s) => fc.tuple(fc.array(recordOf(s), { minLength: 2, maxLength: 20 }), fc.nat(), fc.oneof(anything, shapeSpec.chain(recordOf)))),
      ([batch, at, odd]) => {
        const mixed: unknown[] = [...batch];
        mixed.splice(1 + (at % batch.length), 0, odd);
        assert.deepStrictEqual(roundTrip(mixed).out, structuredClone(mixed));
      },
    ),
    { numRuns: 1500 },
  );
});

test('arbitrary values (maps, dates, typed arrays, null prototypes, sparse arrays) equal structured clone', () => {
  fc.assert(
    fc.property(fc.array(anything, { maxLength: 20 }), (batch) => {
      assert.deepStrictEqual(roundTrip(batch).out, structuredClone(batch));
    }),
    { numRuns: 1500 },
  );
});

test('class instances, keys in another order and missing keys', () => {
  class Bid {
    constructor(
      readonly auction: number,
      readonly price: number,
      readonly channel: string,
    ) {}
    get doubled(): number {
      return this.price * 2;
    }
  }
  const bids = [new Bid(1, 10, 'a'), new Bid(2, 20, 'b'), new Bid(3, -0, '')];
  const r = roundTrip(bids);
  assert.equal(r.columns, true, 'records of one class travel as columns');
  assert.deepStrictEqual(r.out, structuredClone(bids));
  assert.ok(Object.is((r.out[2] as Bid).price, -0));

  const reordered = [{ a: 1, b: 2 }, { b: 2, a: 1 }];
  const ro = roundTrip(reordered);
  assert.equal(ro.columns, false, 'another key order is another shape');
  assert.deepStrictEqual(Object.keys(ro.out[1] as object), ['b', 'a']);

  const missing = [{ a: 1, b: undefined as unknown }, { a: 2, c: undefined as unknown }];
  assert.deepStrictEqual(roundTrip(missing).out, structuredClone(missing));

  // Objects structured clone treats specially, whose for-in keys match the first record's.
  const special = [{ 0: 'x' }, Uint32Array.from([7]), Object('s') as unknown, Object.assign(new Date(0), { 0: 'y' })];
  const rs = roundTrip(special);
  assert.deepStrictEqual(rs.out, structuredClone(special));
  assert.ok(rs.out[1] instanceof Uint32Array && rs.out[3] instanceof Date);

  const numbers = [1, 2.5, -0, NaN];
  const rn = roundTrip(numbers);
  assert.equal(rn.columns, true);
  assert.deepStrictEqual(rn.out, numbers);
});

test('timestamps cross as one transferred column', () => {
  const ts = [0, 1_700_000_000_123, -5, 2 ** 53 - 1];
  const transfer: ArrayBuffer[] = [];
  const enc = encodeTimestamps(ts, transfer);
  assert.equal(transfer.length, 1);
  const sent = structuredClone(enc, { transfer });
  assert.equal(enc.byteLength, 0, 'the buffer was handed over, not copied');
  assert.deepStrictEqual(decodeTimestamps(sent), ts);
});
