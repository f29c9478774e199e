import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from '../../log/log.js';
import { MetricsRegistry } from '../../observe/metrics.js';
import { decodeBatches } from '../../codec/record-batch.js';
import type { Record as LogRecord } from '../../codec/record-batch.js';
import { SluiceError } from '../../errors.js';
import { DeadLetterWriter, DEAD_LETTERS_METRIC, DLQ_HEADERS, sanitizeTopicName } from './dead-letters.js';
import { WorkerLogClient } from '../runtime/worker-log-client.js';
import { serveLog } from '../runtime/worker-log-server.js';
import { LocalLogAccess } from './local-log-access.js';

async function withLog(fn: (log: Log) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-dlq-'));
  const log = await Log.open({ dataDir: dir, flush: { mode: 'os' }, cleaner: false });
  try {
    await fn(log);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function letters(log: Log, topic: string): Promise<LogRecord[]> {
  const r = await log.partition(topic, 0).read(0, { maxBytes: 1 << 20 });
  return decodeBatches(r.records).flatMap((b) => b.records);
}

function headers(r: LogRecord | undefined): Record<string, string | undefined> {
  return Object.fromEntries((r?.headers ?? []).map((h) => [h.key, h.value?.toString()]));
}

test('a dead letter carries reason, origin, both timestamps, format, error code and reason; counted in the metric and the job counter', async () => {
  await withLog(async (log) => {
    const metrics = new MetricsRegistry();
    const counted: [string, number | undefined][] = [];
    const w = DeadLetterWriter.forSource('orders', { resources: { log, metrics }, count: (m, n) => counted.push([m, n]) }, 'json');
    assert.equal(w.topic, 'orders.dlq');
    await w.write([
      { key: Buffer.from('k1'), value: Buffer.from('{bad'), error: new SluiceError('DESERIALIZATION_FAILED', 'not JSON', { details: { reason: 'NOT_JSON' } }), partition: 2, offset: 41, timestamp: 1234 },
      { key: null, value: Buffer.from('x'), error: new Error('mapper threw'), partition: 0, offset: 7 },
    ]);
    const before = Date.now();
    await w.write([{ key: null, value: null, error: 'plain text', partition: 1, offset: 3, timestamp: -1 }]);
    const got = await letters(log, 'orders.dlq');
    assert.equal(got.length, 3);
    const [a, b, c] = got.map(headers);
    assert.equal(got[0]?.key?.toString(), 'k1');
    assert.equal(got[0]?.value?.toString(), '{bad');
    assert.equal(a?.[DLQ_HEADERS.reason], 'not JSON');
    assert.equal(a?.[DLQ_HEADERS.topic], 'orders');
    assert.equal(a?.[DLQ_HEADERS.partition], '2');
    assert.equal(a?.[DLQ_HEADERS.offset], '41');
    assert.equal(a?.[DLQ_HEADERS.timestamp], '1234', 'the original record timestamp');
    assert.equal(a?.[DLQ_HEADERS.format], 'json');
    assert.equal(a?.[DLQ_HEADERS.errorCode], 'DESERIALIZATION_FAILED');
    assert.equal(a?.[DLQ_HEADERS.errorReason], 'NOT_JSON');
    assert.ok(Number(a?.[DLQ_HEADERS.failedAt]) > 1_600_000_000_000, 'time of failure');
    assert.equal(got[0]?.timestamp, Number(a?.[DLQ_HEADERS.failedAt]), 'the letter is stamped with the time of failure');
    assert.equal(b?.[DLQ_HEADERS.reason], 'mapper threw');
    assert.equal(b?.[DLQ_HEADERS.errorCode], 'DESERIALIZATION_FAILED');
    assert.equal(b?.[DLQ_HEADERS.timestamp], undefined, 'unknown original timestamp: no header');
    assert.equal(b?.[DLQ_HEADERS.errorReason], undefined);
    assert.equal(c?.[DLQ_HEADERS.reason], 'plain text');
    assert.equal(c?.[DLQ_HEADERS.timestamp], undefined);
    assert.ok(Number(c?.[DLQ_HEADERS.failedAt]) >= before);
    assert.equal(got[2]?.value, null);
    assert.match(metrics.expose(), new RegExp(`^${DEAD_LETTERS_METRIC}\\{source="orders"\\} 3$`, 'm'));
    assert.deepEqual(counted, [
      ['dead-letters', 2],
      ['dead-letters', 1],
    ]);
  });
});

test('deadLetterTopic false counts and drops; a topic needs the log; file paths become topic names', async () => {
  await withLog(async (log) => {
    const counted: number[] = [];
    const w = DeadLetterWriter.forSource('a', { resources: {}, count: (_m, n) => counted.push(n ?? 1) }, 'json', false);
    await w.write([{ key: null, value: Buffer.from('x'), error: 'bad', partition: 0, offset: 0 }]);
    assert.deepEqual(counted, [1]);
    assert.equal(log.hasTopic('a.dlq'), false);
    assert.throws(() => DeadLetterWriter.forSource('a', { resources: {}, count: () => undefined }, 'json'), (e: unknown) => e instanceof SluiceError && e.code === 'INVALID_CONFIG');
    assert.equal(sanitizeTopicName('/data/in/events 2024.jsonl'), 'events_2024.jsonl');
    assert.equal(sanitizeTopicName('/'), 'source');
    // Nothing to write: no topic is created.
    const idle = DeadLetterWriter.forSource('quiet', { resources: { log }, count: () => undefined }, 'json');
    await idle.write([]);
    assert.equal(log.hasTopic('quiet.dlq'), false);
  });
});

test('inside a worker: the writer reaches the main thread log through the LogAccess proxy', async () => {
  await withLog(async (log) => {
    const ch = new MessageChannel();
    const server = serveLog(ch.port1, new LocalLogAccess(log));
    const client = new WorkerLogClient(ch.port2);
    try {
      // A worker's resources hold the proxy in place of the Log.
      const w = DeadLetterWriter.forSource('clicks', { resources: { log: client }, count: () => undefined }, 'avro');
      await w.write([{ key: null, value: Buffer.from('a'), error: new SluiceError('SCHEMA_NOT_FOUND', 'unknown writer schema id 9'), partition: 1, offset: 5, timestamp: 10 }]);
      await w.write([{ key: null, value: Buffer.from('b'), error: 'bad', partition: 1, offset: 6, timestamp: 11 }]);
      const got = await letters(log, 'clicks.dlq');
      assert.deepEqual(got.map((r) => r.value?.toString()), ['a', 'b']);
      const h = headers(got[0]);
      assert.equal(h[DLQ_HEADERS.errorCode], 'SCHEMA_NOT_FOUND');
      assert.equal(h[DLQ_HEADERS.format], 'avro');
      assert.equal(h[DLQ_HEADERS.timestamp], '10');
    } finally {
      client.close();
      server.close();
    }
  });
});
