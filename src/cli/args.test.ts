// Argument helpers refuse bad values with INVALID_ARGUMENT naming the flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enumArg, intArg, keyValueArgs, positionals, timestampArg } from './args.js';
import { isSluiceError } from '../errors.js';

const invalid = (e: unknown) => isSluiceError(e, 'INVALID_ARGUMENT');

test('intArg parses whole numbers in range only', () => {
  assert.equal(intArg('42', '--max'), 42);
  assert.equal(intArg(undefined, '--max'), undefined);
  for (const bad of ['4.5', 'x', '', '1e3', '99999999999999999999']) assert.throws(() => intArg(bad, '--max'), invalid, bad);
  assert.throws(() => intArg('-1', '--partition', { min: 0 }), (e) => invalid(e) && /--partition/.test((e as Error).message));
});

test('timestampArg takes ms or ISO dates', () => {
  assert.equal(timestampArg('1700000000000', '--from-time'), 1_700_000_000_000);
  assert.equal(timestampArg('2023-11-14T22:13:20Z', '--from-time'), 1_700_000_000_000);
  assert.throws(() => timestampArg('yesterday', '--from-time'), invalid);
  assert.throws(() => timestampArg('2023-13-45', '--from-time'), invalid);
});

test('enumArg, positionals and keyValueArgs', () => {
  assert.equal(enumArg('json', '--format', ['text', 'json']), 'json');
  assert.throws(() => enumArg('xml', '--format', ['text', 'json']), invalid);
  assert.deepEqual(positionals(['a'], ['topic']), ['a']);
  assert.throws(() => positionals([], ['topic']), invalid);
  assert.deepEqual(keyValueArgs(['retention.ms=5', 'cleanup.policy = compact'], '--config'), { 'retention.ms': '5', 'cleanup.policy': 'compact' });
  assert.throws(() => keyValueArgs(['novalue'], '--config'), invalid);
});
