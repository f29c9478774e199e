// The WebSocket broadcast sink: a client that stops reading is dropped with a reason once its
// send buffer passes the limit (memory stays bounded, the pipeline does not wait), while a
// healthy client receives every record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pipeline } from '../../src/engine/api/pipeline.js';
import { generatorSource } from '../../src/engine/sources/generator-source.js';
import { WebSocketBroadcast } from '../../src/connectors/websocket/websocket-broadcast.js';

/** A client that completes the WebSocket handshake and then never reads again. */
function stalledClient(port: number): Promise<{ socket: net.Socket; closedByServer: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const key = randomBytes(16).toString('base64');
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.once('data', (d) => {
      if (!d.toString().startsWith('HTTP/1.1 101')) return reject(new Error('handshake failed'));
      socket.pause(); // stop reading: the kernel buffers fill, then the server's buffer grows
      const closedByServer = new Promise<void>((r) => socket.once('close', () => r()));
      resolve({ socket, closedByServer });
    });
  });
}

test('a stalled client is dropped and memory stays bounded; a healthy client gets every record', { timeout: 60_000 }, async () => {
  const LIMIT = 4 << 20;
  const server = await WebSocketBroadcast.start({ maxBufferedBytes: LIMIT });
  // The healthy client reads on its own thread, as a browser would, not in the pipeline's event loop.
  const wsPath = createRequire(import.meta.url).resolve('ws');
  const healthy = new Worker(
    `const { parentPort, workerData } = require('worker_threads');
     const WebSocket = require(workerData.wsPath);
     const ws = new WebSocket(workerData.url);
     let received = 0, last = -1, inOrder = true;
     ws.on('open', () => parentPort.postMessage({ open: true }));
     ws.on('message', (m) => { const v = JSON.parse(m.toString()); if (v.i !== last + 1) inOrder = false; last = v.i; received++; });
     ws.on('close', (code) => parentPort.postMessage({ closed: code }));
     parentPort.on('message', () => { parentPort.postMessage({ received, inOrder }); });`,
    { eval: true, workerData: { url: server.url, wsPath } },
  );
  let healthyClosed: number | undefined;
  healthy.on('message', (m: { closed?: number }) => {
    if (m.closed !== undefined) healthyClosed = m.closed;
  });
  await new Promise<void>((r) => healthy.once('message', () => r()));
  const report = (): Promise<{ received: number; inOrder: boolean }> =>
    new Promise((r) => {
      const on = (m: { received?: number; inOrder?: boolean }): void => {
        if (m.received === undefined) return;
        healthy.off('message', on);
        r(m as { received: number; inOrder: boolean });
      };
      healthy.on('message', on);
      healthy.postMessage('report');
    });
  const stalled = await stalledClient(server.port);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(server.stats.clients, 2);

  const N = 40_000;
  const pad = 'x'.repeat(1500);
  const job = pipeline('ws-out', { batchSize: 200 });
  job.from(generatorSource({ count: N, ratePerSecond: 20_000, generate: (i) => ({ i, pad }) })).to(server.sink());
  const heapBefore = process.memoryUsage().heapUsed;
  await job.run();
  assert.equal(server.stats.dropped, 1, 'the stalled client was dropped while the job ran');
  // Reading again, the client finds its connection closed by the server.
  stalled.socket.resume();
  await stalled.closedByServer;
  // Let the healthy client drain what is still in flight.
  const deadline = Date.now() + 20_000;
  let got = await report();
  while (got.received < N && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    got = await report();
  }

  assert.equal(server.stats.dropped, 1, 'exactly the stalled client was dropped');
  assert.equal(healthyClosed, undefined, 'the healthy client stayed connected');
  assert.equal(got.received, N, 'the healthy client received every record');
  assert.ok(got.inOrder, 'in order');
  // Bounded: no client ever had much more than the limit queued (one message of slack).
  assert.ok(server.stats.maxBuffered <= LIMIT + 2000, `max buffered ${server.stats.maxBuffered}`);
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 40 * LIMIT, 'heap did not grow with the stalled client');
  await healthy.terminate();
  stalled.socket.destroy();
  await server.close();
});
