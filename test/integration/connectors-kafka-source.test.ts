// The external-Kafka source (kafkajs) against `sluice broker` in-process:
//  - batches compressed with lz4, zstd, snappy (and gzip) in the log are read: kafkajs ships
//    only gzip, the connector registers the project's codecs for the others;
//  - group offsets follow checkpoints: when a checkpoint completes, the positions it stored are
//    committed to the source's group, so group lag reflects checkpointed progress.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Log } from '../../src/log/log.js';
import { Broker } from '../../src/broker/server.js';
import { pipeline } from '../../src/engine/api/pipeline.js';
import { collectSink } from '../../src/engine/sinks/collect-sink.js';
import { json } from '../../src/engine/formats/json.js';
import { encodeBatch } from '../../src/codec/record-batch.js';
import type { CompressionName } from '../../src/codec/compression.js';
import { readCheckpoint } from '../../src/engine/checkpoint/checkpoint-storage.js';
import { kafkaSource } from '../../src/connectors/kafka/kafka-source.js';

let dir: string;
let log: Log;
let broker: Broker;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-src-'));
  log = await Log.open({ dataDir: join(dir, 'broker'), cleaner: false });
  broker = await Broker.start({ log, port: 0, ownsLog: false });
});

after(async () => {
  await broker.stop();
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Ev {
  c: string;
  i: number;
}

test('reads batches compressed with lz4, zstd, snappy and gzip', { timeout: 60_000 }, async () => {
  const codecs: CompressionName[] = ['lz4', 'zstd', 'snappy', 'gzip'];
  await log.createTopic('zipped', 2);
  const expected: Ev[] = [];
  for (const [k, codec] of codecs.entries()) {
    for (let p = 0; p < 2; p++) {
      const recs = Array.from({ length: 250 }, (_v, j) => ({ c: codec, i: k * 1000 + p * 500 + j }));
      expected.push(...recs);
      await log.partition('zipped', p).append(encodeBatch(recs.map((r) => ({ value: Buffer.from(JSON.stringify(r)), timestamp: 1000 + r.i })), { compression: codec }));
    }
  }
  const sink = collectSink<Ev>();
  const job = pipeline('zipped', { resources: { log } });
  job.from(kafkaSource<Ev>({ brokers: [`127.0.0.1:${broker.port}`], topics: 'zipped', groupId: 'zipped', format: json(), bounded: true })).to(sink);
  const res = await job.run();
  assert.equal(res.metrics['dead-letters'] ?? 0, 0);
  const byI = (a: Ev, b: Ev): number => a.i - b.i;
  assert.deepEqual([...sink.collected.values].sort(byI), expected.sort(byI));
  for (const codec of codecs) assert.equal(sink.collected.values.filter((v) => v.c === codec).length, 500, codec);
});

test('group offsets are the positions of the completed checkpoints (no periodic commits of delivered positions)', { timeout: 60_000 }, async () => {
  await log.createTopic('lagged', 3);
  for (let p = 0; p < 3; p++) {
    await log.partition('lagged', p).appendRecords(Array.from({ length: 400 }, (_v, i) => ({ value: Buffer.from(JSON.stringify({ c: 'x', i })) })));
  }
  const brokers = [`127.0.0.1:${broker.port}`];
  const ck = join(dir, 'lag-ck');
  const sink = collectSink<Ev>();
  const job = pipeline('lagged', { resources: { log }, parallelism: 2, checkpoints: { every: 50, dir: ck }, batchSize: 50 });
  job.from(kafkaSource<Ev>({ brokers, topics: 'lagged', groupId: 'lag-group', format: json(), commitIntervalMs: 0 }), { uid: 'src' }).to(sink);
  const handle = job.start();
  const admin = new Kafka({ clientId: 'lag-check', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const committed = async (): Promise<Map<number, number>> => {
      const res = await admin.fetchOffsets({ groupId: 'lag-group', topics: ['lagged'] });
      return new Map((res[0]?.partitions ?? []).filter((x) => Number(x.offset) >= 0).map((x) => [x.partition, Number(x.offset)]));
    };
    // While running, checkpoints complete and the group follows them.
    const deadline = Date.now() + 30_000;
    while ((await committed()).size < 3 || sink.collected.values.length < 1200) {
      assert.ok(Date.now() < deadline, 'the group got offsets for all partitions while the job ran');
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await handle.stop({ savepoint: true });
    assert.ok(res.savepoint);
    const sp = await readCheckpoint(res.savepoint);
    const stored = sp.sources['src'] ?? {};
    const got = await committed();
    for (let p = 0; p < 3; p++) {
      assert.equal(stored[`lagged:${p}`], 400, `the savepoint holds the end of partition ${p}`);
      assert.equal(got.get(p), stored[`lagged:${p}`], `group offset of partition ${p} = the savepoint's position`);
    }
  } finally {
    await admin.disconnect();
  }
});
