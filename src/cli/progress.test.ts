// The progress bar draws only on a terminal and renders the fraction done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress } from './progress.js';

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, columns: 80, write: (s: string) => (out.push(s), true) } };
}

test('nothing is written when the stream is not a terminal', () => {
  const { out, stream } = sink(false);
  const p = new Progress('verify', 1000, stream);
  p.update(500);
  p.finish();
  assert.equal(p.enabled, false);
  assert.deepEqual(out, []);
});

test('on a terminal the bar shows the fraction done and ends with a newline', () => {
  const { out, stream } = sink(true);
  const p = new Progress('produce', 2048, stream);
  p.update(1024);
  assert.match(out.join(''), /produce \[#+-+\] {2}50% 1\.0 KiB\/2\.0 KiB/);
  p.finish();
  assert.match(out.at(-2)!, /100%/);
  assert.equal(out.at(-1), '\n');
  assert.match(new Progress('x', 10, stream, 'items').render(), /x \[-+\] {3}0% 0\/10/);
});
