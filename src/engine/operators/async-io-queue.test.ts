import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { QueueSlot, ResultQueue } from './async-io-queue.js';
import { Fifo, OrderedQueue, UnorderedQueue } from './async-io-queue.js';
import { backoffDelay } from './async-io-options.js';

interface El extends QueueSlot {
  id: number;
}

type Ev = { e: number } | { w: number };

/** Script: elements and watermarks arrive in order; completions happen in a random order interleaved with arrivals. */
const scriptArb = fc
  .array(fc.oneof({ weight: 4, arbitrary: fc.constant<'e'>('e') }, { weight: 1, arbitrary: fc.constant<'w'>('w') }), { maxLength: 60 })
  .chain((kinds) =>
    fc.record({
      kinds: fc.constant(kinds),
      // For every step, which pending element (index mod pending) completes, if any.
      picks: fc.array(fc.option(fc.nat(), { nil: undefined }), { minLength: kinds.length * 2 + 1, maxLength: kinds.length * 2 + 1 }),
    }),
  );

function run(make: (emit: { element(e: El): void; watermark(w: number): void }) => ResultQueue<El>, kinds: readonly ('e' | 'w')[], picks: readonly (number | undefined)[]) {
  const out: Ev[] = [];
  const q = make({ element: (e) => out.push({ e: e.id }), watermark: (w) => out.push({ w }) });
  const pending: El[] = [];
  const arrivals: Ev[] = [];
  let id = 0;
  let w = 0;
  let p = 0;
  const completeOne = (): void => {
    const pick = picks[p++];
    if (pick === undefined || pending.length === 0) return;
    const [el] = pending.splice(pick % pending.length, 1);
    q.complete(el as El);
  };
  for (const k of kinds) {
    if (k === 'e') {
      const el: El = { id: id++, done: false, segment: undefined };
      arrivals.push({ e: el.id });
      q.add(el);
      pending.push(el);
    } else {
      arrivals.push({ w: ++w });
      q.addWatermark(w);
    }
    completeOne();
  }
  while (pending.length > 0) q.complete(pending.shift() as El);
  return { out, arrivals, q };
}

test('ordered queue: output equals the arrival sequence whatever the completion order', () => {
  fc.assert(
    fc.property(scriptArb, ({ kinds, picks }) => {
      const { out, arrivals, q } = run((emit) => new OrderedQueue<El>(emit), kinds, picks);
      assert.deepEqual(out, arrivals);
      assert.equal(q.inFlight, 0);
      assert.equal(q.holding, false);
    }),
  );
});

test('unordered queue: every element once, watermarks in order, no element crosses a watermark', () => {
  fc.assert(
    fc.property(scriptArb, ({ kinds, picks }) => {
      const { out, arrivals, q } = run((emit) => new UnorderedQueue<El>(emit), kinds, picks);
      assert.equal(q.inFlight, 0);
      assert.equal(q.holding, false);
      const ids = out.filter((x): x is { e: number } => 'e' in x).map((x) => x.e);
      assert.deepEqual([...ids].sort((a, b) => a - b), arrivals.filter((x): x is { e: number } => 'e' in x).map((x) => x.e));
      // The watermarks emitted rise; the last one arrived is emitted (merged ones may be skipped).
      const wms = out.filter((x): x is { w: number } => 'w' in x).map((x) => x.w);
      for (let i = 1; i < wms.length; i++) assert.ok((wms[i] as number) > (wms[i - 1] as number));
      const lastW = arrivals.filter((x): x is { w: number } => 'w' in x).at(-1);
      if (lastW) assert.equal(wms.at(-1), lastW.w);
      // Segment of an element = number of watermarks that arrived before it; emitted in the same segment.
      const segIn = new Map<number, number>();
      let seen = 0;
      for (const a of arrivals) if ('w' in a) seen = a.w;
      else segIn.set(a.e, seen);
      let current = 0;
      for (const x of out) {
        if ('w' in x) current = x.w;
        else {
          const s = segIn.get(x.e) as number;
          // Emitted after every watermark that preceded it, before any that followed it.
          assert.ok(current >= s, `element ${x.e} of segment ${s} emitted before watermark ${s}`);
          const nextW = arrivals.find((a) => 'w' in a && a.w > s);
          assert.ok(nextW === undefined || current < (nextW as { w: number }).w, `element ${x.e} emitted after a later watermark`);
        }
      }
    }),
  );
});

test('unordered queue emits a completed element at once when no watermark holds it', () => {
  const out: number[] = [];
  const q = new UnorderedQueue<El>({ element: (e) => out.push(e.id), watermark: () => out.push(-1) });
  const a: El = { id: 1, done: false, segment: undefined };
  const b: El = { id: 2, done: false, segment: undefined };
  q.add(a);
  q.add(b);
  q.complete(b);
  assert.deepEqual(out, [2]);
  q.addWatermark(5);
  const c: El = { id: 3, done: false, segment: undefined };
  q.add(c);
  q.complete(c);
  assert.deepEqual(out, [2], 'c waits behind the watermark that waits for a');
  q.complete(a);
  assert.deepEqual(out, [2, 1, -1, 3]);
});

test('fifo keeps order across compaction', () => {
  const f = new Fifo<number>();
  let next = 0;
  let expect = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 100; i++) f.push(next++);
    for (let i = 0; i < 90; i++) assert.equal(f.shift(), expect++);
  }
  assert.equal(f.size, next - expect);
  assert.deepEqual([...f], Array.from({ length: next - expect }, (_v, i) => expect + i));
  assert.equal(f.peekLast(), next - 1);
  assert.equal(f.peekLast(1), next - 2);
});

test('backoff grows by the multiplier, is capped at max and jitter only shortens it', () => {
  const base = { backoffInitialMs: 10, backoffMaxMs: 1000, multiplier: 3, jitter: 0, random: () => 0.5 };
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, base)), [10, 30, 90, 270, 810, 1000]);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 0.9999, noNaN: true }), (n, jitter, r) => {
      const d = backoffDelay(n, { ...base, jitter, random: () => r });
      const full = backoffDelay(n, base);
      assert.ok(d <= full && d >= Math.floor(full * (1 - jitter)) - 1, `${d} vs ${full}`);
    }),
  );
});
