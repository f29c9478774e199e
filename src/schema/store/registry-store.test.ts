import { test } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryRegistryStore } from './registry-store.js';
import { LogRegistryStore } from './log-registry-store.js';
import { registryStoreCase } from './registry-store.case.js';

test('memory store', async () => {
  await registryStoreCase(async () => new MemoryRegistryStore(), undefined);
});

test('log-backed store survives reopening', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-regstore-'));
  try {
    await registryStoreCase(
      () => LogRegistryStore.open({ dataDir: dir }),
      () => LogRegistryStore.open({ dataDir: dir }),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
