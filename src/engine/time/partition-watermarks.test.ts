import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionWatermarks } from './partition-watermarks.js';
import { boundedOutOfOrderness, monotonous } from './watermark-strategy.js';
import { ManualClock } from './clock.js';
import { toMillis } from '../api/duration.js';

test('bounded out-of-orderness: watermark = max timestamp - bound - 1', () => {
  const g = boundedOutOfOrderness('5s').createGenerator();
  assert.equal(g.current(), -Infinity);
  g.onEvent(10_000);
  g.onEvent(8_000);
  assert.equal(g.current(), 4_999);
  const m = monotonous().createGenerator();
  m.onEvent(100);
  assert.equal(m.current(), 99);
});

test('partition watermarks combine by minimum; an idle partition stops holding it back and rejoins later', () => {
  const clock = new ManualClock(0);
  const w = new PartitionWatermarks(monotonous().withIdleness('1m'), () => clock.now());
  w.addPartition('0');
  w.addPartition('1');
  w.onBatch('0', [1000]);
  assert.equal(w.advance(), undefined, 'partition 1 has no watermark yet');
  w.onBatch('1', [500]);
  assert.equal(w.advance(), 499);
  w.onBatch('0', [5000]);
  assert.equal(w.advance(), undefined);
  clock.advance(30_000);
  w.onBatch('0', [6000]);
  clock.advance(30_000);
  w.checkIdleness();
  assert.equal(w.isIdle(), false);
  assert.equal(w.advance(), 5999, 'partition 1 idle after 1 min without records');
  w.onBatch('1', [700]);
  assert.equal(w.advance(), undefined, 'a returning partition never moves the watermark back');
  w.onBatch('1', [9000]);
  assert.equal(w.advance(), undefined, 'min(5999, 8999) was already emitted');
  w.onBatch('0', [10_000]);
  assert.equal(w.advance(), 8999);
});

test('all partitions idle means the source is idle', () => {
  const clock = new ManualClock(0);
  const w = new PartitionWatermarks(monotonous().withIdleness(1000), () => clock.now());
  w.addPartition('0');
  clock.advance(1000);
  w.checkIdleness();
  assert.equal(w.isIdle(), true);
});

test('durations parse', () => {
  assert.equal(toMillis('10s'), 10_000);
  assert.equal(toMillis('1m'), 60_000);
  assert.equal(toMillis('250ms'), 250);
  assert.equal(toMillis(5), 5);
  assert.throws(() => toMillis('ten seconds'), /cannot parse/);
  assert.throws(() => toMillis(-1));
});
