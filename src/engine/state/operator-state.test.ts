import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSluiceError } from '../../errors.js';
import { createOperatorStateStore, redistributeOperatorState } from './operator-state.js';
import type { OperatorStateSnapshot } from './types.js';

describe('operator state', () => {
  function subtask(i: number): OperatorStateSnapshot {
    const s = createOperatorStateStore();
    const offsets = s.getListState<[number, number]>('offsets');
    offsets.add([i * 2, 100 + i]);
    offsets.add([i * 2 + 1, 200 + i]);
    s.getListState<string>('seen', 'union').update([`u${i}`]);
    s.getListState<string>('rules', 'broadcast').update(['r1', 'r2']);
    return s.snapshot();
  }

  it('snapshot and restore a store', () => {
    const s = createOperatorStateStore(subtask(0));
    assert.deepEqual(s.getListState('offsets').get(), [[0, 100], [1, 201 - 1]]);
    assert.throws(() => s.getListState('offsets', 'union'), (e) => isSluiceError(e, 'STATE_ERROR'));
  });

  for (const [from, to] of [[2, 3], [3, 1], [2, 2]] as const) {
    it(`split state redistributes ${from} -> ${to} without loss or duplicates; union goes to everyone; broadcast is not duplicated`, () => {
      const olds = Array.from({ length: from }, (_, i) => subtask(i));
      const news = redistributeOperatorState(olds, to);
      assert.equal(news.length, to);
      const all = news.flatMap((n) => createOperatorStateStore(n).getListState<[number, number]>('offsets').get().map((e) => e[0]));
      assert.deepEqual(all.sort((a, b) => a - b), Array.from({ length: from * 2 }, (_, i) => i));
      const sizes = news.map((n) => n.states['offsets']!.elements.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, 'split is even');
      for (const n of news) {
        const store = createOperatorStateStore(n);
        assert.deepEqual([...store.getListState<string>('seen', 'union').get()].sort(), Array.from({ length: from }, (_, i) => `u${i}`));
        assert.deepEqual(store.getListState<string>('rules', 'broadcast').get(), ['r1', 'r2']);
      }
    });
  }

  it('rejects malformed snapshots', () => {
    assert.throws(() => createOperatorStateStore({ states: { x: { mode: 'weird' as never, elements: [] } } }), (e) => isSluiceError(e, 'STATE_ERROR'));
    assert.throws(() => redistributeOperatorState([], 0), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
  });
});
