// Graceful shutdown of the `sluice broker` child process, once per signal (SIGTERM, SIGINT):
// while an idempotent kafkajs producer sends with acks=-1 and a long-poll fetch waits, the
// signal must make the broker refuse new connections, answer the requests it already holds
// (the long poll returns early instead of being dropped), flush the log, write its recovery
// points and exit 0 within a bound. After a restart on the same data dir every acknowledged
// record is there exactly once and the recovery report shows a clean stop: every partition
// resumed from its recovery point, nothing re-validated, nothing truncated.
// Why a child process: only a real signal delivered to the CLI exercises the verb's handler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { decodeBatches } from '../../src/codec/record-batch.js';
import { decodeFromBuffer } from '../../src/broker/protocol/codec.js';
import { ApiVersions, Fetch } from '../../src/broker/protocol/messages.js';
import { Broker } from '../../src/broker/server.js';
import { Log } from '../../src/log/log.js';
import { RawClient, requestFrame } from './raw-client.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const TOPIC = 'shutdown';
const IDLE_TOPIC = 'shutdown-idle';
const PARTITIONS = 2;
/** How long the broker may take from the signal to exit (its own drain timeout is 10 s). */
const EXIT_BOUND_MS = 8_000;
const LONG_POLL_MS = 30_000;

interface Child {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startChild(dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'broker', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--default-partitions', String(PARTITIONS)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`broker did not start within 30 s: ${out}`)), 30_000);
    const onData = (): void => {
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        child.stdout!.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code }) => {
      clearTimeout(t);
      reject(new Error(`broker exited ${code} before listening: ${out}`));
    });
  });
  return { child, port, output: () => out, exited };
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface FetchPartition {
  errorCode: number;
  highWatermark: number;
  records: Buffer | null;
}
type FetchBody = { responses: { partitions: FetchPartition[] }[] };

function fetchFrame(id: number, topic: string, partition: number, offset: number, maxWaitMs: number, minBytes: number): Buffer {
  return requestFrame(Fetch, 11, id, {
    replicaId: -1,
    maxWaitMs,
    minBytes,
    maxBytes: 8 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 8 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
}

/** Every record value of a partition, read over the wire from offset 0 to the high watermark. */
async function readPartition(port: number, partition: number): Promise<string[]> {
  const c = await RawClient.connect(port);
  const out: string[] = [];
  try {
    let offset = 0;
    for (let id = 1; ; id++) {
      c.send(fetchFrame(id, TOPIC, partition, offset, 0, 0));
      const frame = await c.next(10_000);
      assert.ok(frame, 'fetch answered');
      const p = decodeFromBuffer<FetchBody>(Fetch, 'response', 11, frame.subarray(4)).responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, 0);
      for (const b of decodeBatches(p.records ?? Buffer.alloc(0))) {
        for (const r of b.records) {
          if (r.offset < offset) continue;
          out.push(r.value!.toString());
          offset = r.offset + 1;
        }
      }
      if (offset >= p.highWatermark) return out;
    }
  } finally {
    c.close();
  }
}

/** True when a fresh connection gets no ApiVersions answer: refused, reset or closed unanswered. */
async function newConnectionRefused(port: number): Promise<boolean> {
  let c: RawClient;
  try {
    c = await RawClient.connect(port);
  } catch {
    return true; // ECONNREFUSED: the listener is gone
  }
  try {
    c.send(requestFrame(ApiVersions, 3, 1, { clientSoftwareName: 'late', clientSoftwareVersion: '1' }));
    return (await c.next(5_000)) === undefined;
  } finally {
    c.close();
  }
}

async function shutdownUnderLoad(signal: 'SIGTERM' | 'SIGINT'): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-shutdown-'));
  let child: Child | undefined;
  const acked = new Set<string>();
  try {
    child = await startChild(dir);
    const port = child.port;
    const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], clientId: `shutdown-${signal}`, logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }, { topic: IDLE_TOPIC, numPartitions: 1 }] });
    await admin.disconnect();

    // A long poll on an empty partition, parked for up to LONG_POLL_MS.
    const poll = await RawClient.connect(port);
    poll.send(fetchFrame(7, IDLE_TOPIC, 0, 0, LONG_POLL_MS, 1));

    // Two idempotent acks=-1 producers keep produce requests in flight at all times.
    let stop = false;
    const producers = await Promise.all(
      [0, 1].map(async (pi) => {
        const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 200 } });
        await producer.connect();
        const load = (async () => {
          for (let n = 0; !stop; ) {
            const values = Array.from({ length: 50 }, (_, i) => `${signal}-p${pi}-${n + i}`);
            n += values.length;
            try {
              await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value, i) => ({ value, partition: i % PARTITIONS })) });
              for (const v of values) acked.add(v);
            } catch {
              return; // the broker stopped; these values are unacknowledged
            }
          }
        })();
        return { producer, load };
      }),
    );
    await waitFor(() => acked.size >= 1000, 20_000, 'the producers to get 1000 records acknowledged');

    const signalledAt = Date.now();
    child.child.kill(signal);
    await waitFor(() => child!.output().includes(`${signal}, stopping`), 5_000, 'the broker to log that it is stopping');
    assert.equal(await newConnectionRefused(port), true, 'a connection opened after the signal gets no answer');

    // The parked long poll is answered (empty, no error) rather than dropped or left to expire.
    const answer = await poll.next(EXIT_BOUND_MS);
    assert.ok(answer, 'the in-flight long poll got a response before the connection closed');
    assert.equal(answer.readInt32BE(0), 7);
    const pp = decodeFromBuffer<FetchBody>(Fetch, 'response', 11, answer.subarray(4)).responses[0]!.partitions[0]!;
    assert.equal(pp.errorCode, 0);
    assert.ok(Date.now() - signalledAt < LONG_POLL_MS / 2, 'the long poll ended early because of the shutdown');
    poll.close();

    const exit = await Promise.race([child.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), EXIT_BOUND_MS).unref())]);
    assert.ok(exit, `the broker exited within ${EXIT_BOUND_MS} ms of ${signal}; output:\n${child.output()}`);
    assert.deepEqual(exit, { code: 0, signal: null }, `clean exit; output:\n${child.output()}`);
    assert.match(child.output(), /stopped; log flushed/);

    stop = true;
    for (const p of producers) {
      await p.load;
      await p.producer.disconnect().catch(() => undefined);
    }
    assert.ok(acked.size >= 1000);

    // Restart on the same directory: a clean stop leaves nothing to rescan or cut.
    const log = await Log.open({ dataDir: dir });
    const report = log.recoveryReport;
    assert.deepEqual(report.failed, []);
    assert.equal(report.truncatedBytes, 0);
    const ours = report.partitions.filter((p) => p.topic === TOPIC);
    assert.equal(ours.length, PARTITIONS);
    for (const p of report.partitions) {
      assert.equal(p.recoveredFrom, 'recovery-point', `${p.topic}/${p.partition} resumed from its recovery point`);
      assert.equal(p.validatedBytes, 0, `${p.topic}/${p.partition}: nothing past the recovery point to re-validate`);
      assert.equal(p.truncatedBytes, 0);
      assert.equal(p.truncatedAt, undefined);
      assert.deepEqual(p.deletedSegments, []);
    }
    assert.ok(ours.reduce((s, p) => s + p.logEndOffset, 0) >= acked.size, 'log end offsets cover every acknowledged record');

    const broker = await Broker.start({ log, port: 0 });
    try {
      const seen = new Map<string, number>();
      for (let p = 0; p < PARTITIONS; p++) for (const v of await readPartition(broker.port, p)) seen.set(v, (seen.get(v) ?? 0) + 1);
      for (const v of acked) assert.equal(seen.get(v), 1, `acknowledged ${v} is present exactly once after ${signal}`);
      for (const [v, n] of seen) assert.equal(n, 1, `${v} stored ${n} times`);
    } finally {
      await broker.stop();
    }
  } finally {
    if (child && child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('SIGTERM under acks=-1 load and a long poll: refuse new connections, finish in-flight, flush, exit 0, clean recovery', { timeout: 60_000 }, async () => {
  await shutdownUnderLoad('SIGTERM');
});

test('SIGINT under acks=-1 load and a long poll: same graceful stop', { timeout: 60_000 }, async () => {
  await shutdownUnderLoad('SIGINT');
});
