import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isSluiceError } from '../../errors.js';
import { createLmdbKeyedStateBackend } from './lmdb-backend.js';
import { keyedStateBackendCases } from './keyed-state-backend.case.js';
import { listStateDescriptor, mapStateDescriptor, valueStateDescriptor } from './descriptors.js';
import { keyGroupRangeFor } from './key-group.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-lmdb-state-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = (): string => join(root, `b${n++}`);

// A small write buffer so the shared suite exercises flushes, reads from LMDB and scans
// that cross the buffer boundary, not only the in-memory buffer.
keyedStateBackendCases('lmdb backend', (o) => createLmdbKeyedStateBackend({ ...o, path: dir(), writeBufferEntries: 7 }));

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('lmdb backend: large state', () => {
  it('holds 200k keys with a bounded heap, then snapshots and rescales them', async () => {
    const path = dir();
    const b = createLmdbKeyedStateBackend({ path, writeBufferEntries: 5_000 });
    const v = b.getValueState(valueStateDescriptor<string>('payload'));
    const m = b.getMapState(mapStateDescriptor<number, number>('counts'));
    const pad = 'x'.repeat(300);
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    const N = 200_000;
    for (let i = 0; i < N; i++) {
      b.setCurrentKey(`user-${i}`);
      v.update(`${i}:${pad}`);
      if (i % 10 === 0) m.put(i, i * 2);
      if (i % 20_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - before);
      }
    }
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    // The values alone are ~60 MB as JS strings (200k x 300+ chars x 1 byte at best); the
    // backend may hold only its write buffer (5,000 entries) in the heap.
    assert.ok(peak < 25 * 1024 * 1024, `heap grew by ${(peak / 1048576).toFixed(1)} MB while writing`);
    b.setCurrentKey('user-123456');
    assert.equal(v.value(), `123456:${pad}`);
    b.setCurrentKey('user-1230');
    assert.equal(m.get(1230), 2460);
    assert.equal(m.get(1231), undefined);

    // Restore half of the key groups into a second backend; every key of that half is back.
    const snaps = b.snapshot();
    await b.close();
    assert.equal(existsSync(join(path, 'keyed-state.mdb')), false, 'close removes the scratch files');
    const range = keyGroupRangeFor(1, 2);
    const c = createLmdbKeyedStateBackend({ path: dir(), keyGroupRange: range });
    c.restore(snaps);
    const keys = c.keys('payload');
    assert.ok(keys.length > N * 0.45 && keys.length < N * 0.55, `${keys.length} keys in half the key groups`);
    const cv = c.getValueState(valueStateDescriptor<string>('payload'));
    for (const k of keys.slice(0, 1000)) {
      c.setCurrentKey(k);
      assert.equal(cv.value(), `${String(k).slice(5)}:${pad}`);
    }
    await c.close();
  });

  it('a key too long for LMDB is a clear INVALID_ARGUMENT', async () => {
    const b = createLmdbKeyedStateBackend({ path: dir() });
    const l = b.getListState(listStateDescriptor<number>('l'));
    b.setCurrentKey('k'.repeat(5000));
    assert.throws(() => l.add(1), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
    b.setCurrentKey('short');
    l.add(1);
    assert.deepEqual([...l.get()], [1]);
    await b.close();
  });

  it('starts empty even if the directory holds an old database', async () => {
    const path = dir();
    const a = createLmdbKeyedStateBackend({ path });
    const v = a.getValueState(valueStateDescriptor<number>('v'));
    a.setCurrentKey('k');
    v.update(1);
    (a as unknown as { flush(): void }).flush();
    // simulate a crash: the files stay because close() is never called
    const b = createLmdbKeyedStateBackend({ path });
    const bv = b.getValueState(valueStateDescriptor<number>('v'));
    b.setCurrentKey('k');
    assert.equal(bv.value(), undefined);
    await b.close();
    await a.close();
  });
});
