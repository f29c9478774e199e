// Every Nexmark query of the benchmark (bench/nexmark) on a few thousand events through the
// engine, compared with the hand-written loop, so CI catches a broken query or an engine
// change that alters results. Also pins down the generator's specified shape: 1:3:46
// proportions, id derivation, determinism for a seed, and time advancing by the delay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NexmarkGenerator, lastBase0AuctionId, lastBase0PersonId } from '../../bench/nexmark/generator.js';
import { AUCTION, BID, PERSON, type NexmarkEvent } from '../../bench/nexmark/model.js';
import { QUERIES } from '../../bench/nexmark/queries/index.js';
import { compareResults } from '../../bench/nexmark/query.js';
import { runLoop, runQueryOnEngine } from '../../bench/nexmark/measure.js';
import { buildWindowedCount, windowCountKey, windowedCountLoop, windowedCountRx } from '../../bench/nexmark/windowed-count.js';
import { runOnEngine } from '../../bench/nexmark/measure.js';

// 200 events/s of event time: 6,000 events span 30 s, so every windowed query sees several windows.
const events: NexmarkEvent[] = new NexmarkGenerator({ seed: 7, eventsPerSecond: 200 }).events(6000);

test('generator: 1:3:46 proportions, ids from the event number, deterministic, time by the inter-event delay', () => {
  const g = new NexmarkGenerator({ seed: 3 });
  const ev = g.events(5000);
  const kinds = [0, 0, 0];
  ev.forEach((e) => kinds[e.kind]!++);
  assert.deepEqual(kinds, [100, 300, 4600]);
  ev.forEach((e, n) => {
    if (e.kind === PERSON) assert.equal(e.id, 1000 + lastBase0PersonId(n));
    if (e.kind === AUCTION) {
      assert.equal(e.id, 1000 + lastBase0AuctionId(n));
      assert.ok(e.category >= 10 && e.category < 15);
      assert.ok(e.seller >= 1000 && e.seller <= 1000 + lastBase0PersonId(n) + 10);
      assert.ok(e.expires > e.dateTime && e.reserve >= e.initialBid);
    }
    if (e.kind === BID) {
      assert.ok(e.auction >= 1000 && e.auction <= 1000 + lastBase0AuctionId(n) + 10);
      assert.ok(e.bidder >= 1000 && e.price >= 100);
    }
    // 10,000 events/s: 100 us apart, so 10 events per ms.
    assert.equal(e.dateTime, g.config.baseTime + Math.floor(n / 10));
  });
  assert.equal(ev[0]!.kind, PERSON);
  assert.equal(ev[1]!.kind, AUCTION);
  assert.equal(ev[4]!.kind, BID);
  // Event n is a pure function of (seed, n).
  const again = new NexmarkGenerator({ seed: 3 });
  assert.deepEqual(again.event(4321), ev[4321]);
  assert.deepEqual(again.events(10, 100), ev.slice(100, 110));
  assert.notDeepEqual(new NexmarkGenerator({ seed: 4 }).event(4321), ev[4321]);
});

for (const q of QUERIES) {
  test(`nexmark ${q.name}: engine equals the hand-written loop (parallelism 1 and 2, small batches)`, async () => {
    const expected = runLoop((e) => q.loop(e), events).outputs;
    assert.ok(expected.length > 0, `${q.name} should produce results on the test events`);
    const p1 = await runQueryOnEngine(q, events, { batchSize: 100 });
    assert.equal(compareResults(q, p1.outputs, expected, q.ordered), undefined);
    const p2 = await runQueryOnEngine(q, events, { parallelism: 2, batchSize: 64 });
    assert.equal(compareResults(q, p2.outputs, expected, false), undefined);
  });
}

test('nexmark q4 and q5 with checkpoints give the same results', async () => {
  for (const q of QUERIES.filter((x) => x.name === 'q4' || x.name === 'q5')) {
    const expected = runLoop((e) => q.loop(e), events).outputs;
    const r = await runQueryOnEngine(q, events, { checkpointEveryMs: 2000, batchSize: 128 });
    assert.ok(r.checkpoints >= 5, `expected periodic checkpoints, got ${r.checkpoints}`);
    assert.equal(compareResults(q, r.outputs, expected, false), undefined);
  }
});

test('windowed count: engine, loop and RxJS agree', async () => {
  const key = (o: readonly { windowStart: number; auction: number; count: number }[]): string[] =>
    o.map((c) => windowCountKey(c as never)).sort();
  const loop = key(windowedCountLoop(events));
  assert.ok(loop.length > 10);
  assert.deepEqual(key(windowedCountRx(events)), loop);
  assert.deepEqual(key((await runOnEngine('wc', buildWindowedCount, events, { batchSize: 50 })).outputs), loop);
});
