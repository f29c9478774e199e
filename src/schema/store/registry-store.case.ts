// The shared test body every RegistryStore implementation passes (memory and log-backed).
import assert from 'node:assert/strict';
import type { RegistryStore } from './registry-store.js';

export async function registryStoreCase(open: () => Promise<RegistryStore>, reopen: (() => Promise<RegistryStore>) | undefined): Promise<void> {
  const store = await open();
  assert.deepEqual(await store.load(), []);
  await store.append([
    { key: 'a', value: '1' },
    { key: 'b', value: '2' },
  ]);
  await store.append([{ key: 'a', value: null }]);
  const loaded = await store.load();
  // whatever compaction happened, the latest value per key must be the last one written
  const latest = new Map<string, string | null>();
  for (const e of loaded) latest.set(e.key, e.value);
  assert.equal(latest.get('b'), '2');
  assert.ok(!latest.has('a') || latest.get('a') === null);
  if (reopen) {
    await store.close();
    const again = await reopen();
    const after = new Map<string, string | null>();
    for (const e of await again.load()) after.set(e.key, e.value);
    assert.equal(after.get('b'), '2');
    assert.ok(!after.has('a') || after.get('a') === null);
    await again.close();
  } else {
    await store.close();
  }
}
