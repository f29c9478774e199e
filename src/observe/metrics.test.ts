import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry } from './metrics.js';
import { isSluiceError } from '../errors.js';

test('counters with labels expose one line per label set, escaped', () => {
  const r = new MetricsRegistry();
  const c = r.counter('sluice_requests_total', 'Requests by API', ['api', 'error']);
  c.labels('produce', 'NONE').inc();
  c.labels('produce', 'NONE').inc(2);
  c.labels('fetch', 'say "hi"\n').inc();
  const text = r.expose();
  assert.match(text, /^# HELP sluice_requests_total Requests by API$/m);
  assert.match(text, /^# TYPE sluice_requests_total counter$/m);
  assert.match(text, /^sluice_requests_total\{api="produce",error="NONE"\} 3$/m);
  assert.match(text, /^sluice_requests_total\{api="fetch",error="say \\"hi\\"\\n"\} 1$/m);
});

test('histograms expose cumulative buckets, sum and count', () => {
  const r = new MetricsRegistry();
  const h = r.histogram('latency_seconds', 'Latency', [], [0.1, 1]);
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const text = r.expose();
  assert.match(text, /^latency_seconds_bucket\{le="0.1"\} 1$/m);
  assert.match(text, /^latency_seconds_bucket\{le="1"\} 2$/m);
  assert.match(text, /^latency_seconds_bucket\{le="\+Inf"\} 3$/m);
  assert.match(text, /^latency_seconds_sum 5.55$/m);
  assert.match(text, /^latency_seconds_count 3$/m);
  assert.equal(h.labels().quantile(0.5), 1 * 0 + 0.1 + ((1.5 - 1) / 1) * 0.9);
});

test('gauge collectors run before exposition', () => {
  const r = new MetricsRegistry();
  const g = r.gauge('lag', 'Lag', ['partition']);
  let n = 0;
  g.collect(() => g.labels('0').set(++n));
  assert.match(r.expose(), /^lag\{partition="0"\} 1$/m);
  assert.match(r.expose(), /^lag\{partition="0"\} 2$/m);
});

test('bad names, label counts and type clashes are typed errors', () => {
  const r = new MetricsRegistry();
  assert.throws(() => r.counter('bad-name', 'x'), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
  assert.throws(() => r.counter('ok', 'x', ['le']), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
  const c = r.counter('c_total', 'x', ['a']);
  assert.throws(() => c.labels(), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
  assert.equal(r.counter('c_total', 'x', ['a']), c);
  assert.throws(() => r.gauge('c_total', 'x'), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
});
