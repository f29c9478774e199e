import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, SluiceError, isSluiceError, toSluiceError } from './errors.js';

test('a SluiceError takes its retriable flag from its code unless overridden', () => {
  const e = new SluiceError('DISK_FULL', 'no space');
  assert.equal(e.retriable, ERROR_CODES.DISK_FULL.retriable);
  assert.equal(new SluiceError('DISK_FULL', 'x', { retriable: false }).retriable, false);
  assert.ok(isSluiceError(e, 'DISK_FULL'));
  assert.ok(!isSluiceError(e, 'IO_ERROR'));
});

test('toSluiceError keeps SluiceErrors and wraps anything else with its cause', () => {
  const original = new SluiceError('TIMEOUT', 't');
  assert.equal(toSluiceError(original), original);
  const wrapped = toSluiceError(new Error('boom'), 'IO_ERROR');
  assert.equal(wrapped.code, 'IO_ERROR');
  assert.equal(wrapped.message, 'boom');
  assert.ok(wrapped.cause instanceof Error);
});
