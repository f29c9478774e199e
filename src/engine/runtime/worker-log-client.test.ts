import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from '../../log/log.js';
import { LocalLogAccess } from '../sources/local-log-access.js';
import { decodeBatches, encodeBatch } from '../../codec/record-batch.js';
import { SluiceError } from '../../errors.js';
import { WorkerLogClient } from './worker-log-client.js';
import { serveLog } from './worker-log-server.js';
import { toWire } from './worker-protocol.js';

async function withProxy(fn: (client: WorkerLogClient, log: Log) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-log-proxy-'));
  const log = await Log.open({ dataDir: dir, flush: { mode: 'os' }, cleaner: false });
  const ch = new MessageChannel();
  const server = serveLog(ch.port1, new LocalLogAccess(log));
  const client = new WorkerLogClient(ch.port2);
  try {
    await fn(client, log);
  } finally {
    client.close();
    server.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the log proxy reads, appends, waits and writes markers through a port, batch by batch', async () => {
  await withProxy(async (client, log) => {
    assert.equal(await client.hasTopic('t'), false);
    assert.equal(await client.ensureTopic('t', 2), 2);
    assert.equal(await client.partitionCount('t'), 2);
    // A wait with nothing to read times out and reports the offsets.
    const [o0] = await client.waitForData('t', [0], [0], 20, 'read_uncommitted');
    assert.equal(o0?.highWatermark, 0);
    const waiting = client.waitForData('t', [0, 1], [0, 0], 5_000, 'read_uncommitted');
    const big = Array.from({ length: 300 }, (_v, i) => ({ value: Buffer.from(`record-${i}-${'x'.repeat(20)}`), timestamp: i }));
    await client.append('t', 1, encodeBatch(big));
    const woke = await waiting;
    assert.equal(woke[1]?.highWatermark, 300, 'the wait ended when partition 1 got data');
    const read = await client.read('t', 1, 0, 1 << 20, 'read_uncommitted');
    const values = decodeBatches(read.records).flatMap((b) => b.records.map((r) => r.value?.toString()));
    assert.deepEqual(values, big.map((r) => r.value.toString()));
    assert.equal(read.offsets.logEndOffset, 300);
    // Transactions: invisible to read_committed until the marker.
    await client.append('t', 0, encodeBatch([{ value: Buffer.from('tx') }], { producerId: 5, producerEpoch: 0, baseSequence: 0, isTransactional: true }));
    assert.equal((await client.read('t', 0, 0, 1 << 20, 'read_committed')).records.length, 0);
    await client.appendControl('t', 0, { producerId: 5, producerEpoch: 0, commit: true, coordinatorEpoch: 0 });
    const [o] = await client.offsets('t', [0]);
    assert.equal(o?.lastStableOffset, 2);
    await client.flush('t', [0, 1]);
    assert.equal(log.partition('t', 0).lastStableOffset, 2);
  });
});

test('errors cross the proxy as typed SluiceErrors; a closed proxy fails fast', async () => {
  await withProxy(async (client) => {
    await assert.rejects(client.partitionCount('missing'), (e: unknown) => e instanceof SluiceError && e.code === 'UNKNOWN_TOPIC');
    await client.ensureTopic('t', 1);
    await assert.rejects(client.read('t', 0, 99, 1024, 'read_committed'), (e: unknown) => e instanceof SluiceError && e.code === 'OFFSET_OUT_OF_RANGE');
    client.close();
    await assert.rejects(client.hasTopic('t'), (e: unknown) => e instanceof SluiceError && e.code === 'LOG_CLOSED');
  });
});

test('bytes from the shared Buffer pool are copied, other buffers are handed over whole', () => {
  const small = Buffer.from('pooled');
  const neighbour = Buffer.from('neighbour');
  const w = toWire(small);
  const ch = new MessageChannel();
  ch.port1.postMessage(w.bytes, w.transfer);
  ch.port1.close();
  assert.equal(small.toString(), 'pooled', 'the pooled buffer is still usable');
  assert.equal(neighbour.toString(), 'neighbour');
  const big = Buffer.allocUnsafe(64 * 1024).fill(7);
  const wb = toWire(big.subarray(10, 100));
  assert.equal(wb.bytes.buf, big.buffer, 'no copy: the same ArrayBuffer travels');
  assert.deepEqual([wb.bytes.off, wb.bytes.len], [10, 90]);
});
