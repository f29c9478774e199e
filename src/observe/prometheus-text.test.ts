import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry } from './metrics.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

test('the registry exposition parses back to the values recorded', () => {
  const r = new MetricsRegistry();
  r.counter('a_total', 'A "quoted" \\ help\nline', ['x']).labels('v"1\\\n').inc(3);
  r.gauge('g', 'G').set(-2.5);
  const h = r.histogram('h_seconds', 'H', ['k'], [0.1, 1]);
  h.labels('a').observe(0.05);
  h.labels('a').observe(5);
  const fams = parsePrometheusText(r.expose());
  assert.equal(sampleValue(fams, 'a_total', 'a_total', { x: 'v"1\\\n' }), 3);
  assert.equal(sampleValue(fams, 'g', 'g', {}), -2.5);
  assert.equal(sampleValue(fams, 'h_seconds', 'h_seconds_count', { k: 'a' }), 2);
  assert.equal(sampleValue(fams, 'h_seconds', 'h_seconds_bucket', { k: 'a', le: '+Inf' }), 2);
});

test('malformed expositions are refused with the offending line', () => {
  const bad = [
    'x 1\n', // no TYPE
    '# TYPE x counter\nx -1\n', // negative counter
    '# TYPE x gauge\nx{a="1} 1\n', // unterminated label
    '# TYPE x gauge\nx 1\nx 2\n', // duplicate series
    '# TYPE x gauge\nx one\n', // bad value
    '# TYPE x gauge\nx 1', // no final newline
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', // not cumulative
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', // no +Inf
    '# TYPE x gauge\n# TYPE x gauge\nx 1\n', // second TYPE
  ];
  for (const text of bad) assert.throws(() => parsePrometheusText(text), /exposition|histogram/, JSON.stringify(text));
});
