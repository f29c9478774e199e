// Durability under SIGKILL: the broker runs as a child process (`sluice broker`) while an
// idempotent kafkajs producer sends with acks=-1; the broker is killed 10 times at random
// moments and restarted on the same data dir. After every restart each acknowledged record
// is present exactly once (nothing acknowledged is lost, retries never duplicate) and the
// offsets of each partition strictly increase.
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
import { Fetch } from '../../src/broker/protocol/messages.js';
import { RawClient, requestFrame } from './raw-client.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const TOPIC = 'crash';
const PARTITIONS = 2;

async function startChild(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'broker', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--default-partitions', String(PARTITIONS)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`broker did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`broker exited ${code}: ${out}`));
    });
  });
  child.removeAllListeners('exit');
  return { child, port };
}

/** Every record of a partition, read over the wire from offset 0 to the high watermark. */
async function readPartition(port: number, partition: number): Promise<{ offset: number; value: string }[]> {
  const c = await RawClient.connect(port);
  const out: { offset: number; value: string }[] = [];
  try {
    let offset = 0;
    for (let id = 1; ; id++) {
      c.send(requestFrame(Fetch, 11, id, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: TOPIC, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 8 << 20 }] }], forgottenTopicsData: [], rackId: '' }));
      const frame = (await c.next(10_000))!;
      const body = decodeFromBuffer<{ responses: { partitions: { errorCode: number; highWatermark: number; records: Buffer }[] }[] }>(Fetch, 'response', 11, frame.subarray(4));
      const p = body.responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, 0);
      for (const b of decodeBatches(p.records)) {
        for (const r of b.records) {
          if (r.offset < offset) continue;
          out.push({ offset: r.offset, value: r.value!.toString() });
          offset = r.offset + 1;
        }
      }
      if (offset >= p.highWatermark) return out;
    }
  } finally {
    c.close();
  }
}

test('SIGKILL the broker 10 times under acks=-1 idempotent load: acknowledged records survive exactly once', { timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-crash-'));
  const acked = new Set<string>();
  let child: ChildProcess | undefined;
  try {
    for (let cycle = 0; cycle < 10; cycle++) {
      const started = await startChild(dir);
      child = started.child;
      const port = started.port;

      // Check everything acknowledged so far, after the restart.
      if (cycle > 0) {
        const seen = new Map<string, number>();
        for (let p = 0; p < PARTITIONS; p++) {
          const records = await readPartition(port, p);
          for (let i = 1; i < records.length; i++) assert.ok(records[i]!.offset > records[i - 1]!.offset, 'offsets strictly increase');
          for (const r of records) seen.set(r.value, (seen.get(r.value) ?? 0) + 1);
        }
        for (const v of acked) assert.equal(seen.get(v), 1, `cycle ${cycle}: acknowledged ${v} present exactly once`);
        for (const [v, n] of seen) assert.equal(n, 1, `cycle ${cycle}: ${v} stored ${n} times`);
      }

      const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], clientId: `crash-${cycle}`, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      let n = 0;
      let stop = false;
      const load = (async () => {
        while (!stop) {
          const values = Array.from({ length: 20 }, (_, i) => `c${cycle}-${n + i}`);
          n += values.length;
          try {
            await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value, i) => ({ value, partition: i % PARTITIONS })) });
            for (const v of values) acked.add(v);
          } catch {
            return; // the broker is gone
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 700)));
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
      stop = true;
      await load;
      await producer.disconnect().catch(() => undefined);
    }
    assert.ok(acked.size > 200, `acknowledged ${acked.size} records across the crashes`);
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
