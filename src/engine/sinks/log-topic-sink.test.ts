import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { Log } from '../../log/log.js';
import { pipeline } from '../api/pipeline.js';
import { fromCollection } from '../sources/collection-source.js';
import { topicSink } from './log-topic-sink.js';
import { string } from '../formats/string.js';
import { decodeBatches } from '../../codec/record-batch.js';

test('keyed records land on the partition a Kafka producer (kafkajs DefaultPartitioner) picks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-topic-sink-'));
  const log = await Log.open({ dataDir: dir, cleaner: false });
  try {
    const PARTITIONS = 7;
    const keys = ['21', 'abc', '', 'user-1', 'user-42', 'ü-utf8', 'a-much-longer-key-with-a-tail-of-3'];
    for (let i = 0; i < 60; i++) keys.push(`k${i}`);
    const job = pipeline('keyed-sink', { resources: { log }, parallelism: 2 });
    job.from(fromCollection(keys, { partitions: 2 })).to(topicSink('keyed', { format: string(), createPartitions: PARTITIONS, key: (k) => k }));
    await job.run();

    const kafkaPartitioner = kafkajs.Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_v, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
    const placed = new Map<string, number>();
    for (let p = 0; p < PARTITIONS; p++) {
      const r = await log.partition('keyed', p).read(0, { maxBytes: 1 << 20 });
      for (const b of decodeBatches(r.records)) for (const rec of b.records) placed.set(rec.key?.toString() ?? '<null>', p);
    }
    assert.equal(placed.size, keys.length, 'every key written once');
    const used = new Set<number>();
    for (const k of keys) {
      const expected = kafkaPartitioner({ topic: 'keyed', partitionMetadata, message: { key: Buffer.from(k), value: null } });
      assert.equal(placed.get(k), expected, `key "${k}"`);
      used.add(expected);
    }
    assert.ok(used.size >= 5, 'the keys spread over the partitions');
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
