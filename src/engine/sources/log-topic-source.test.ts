import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from '../../log/log.js';
import { pipeline } from '../api/pipeline.js';
import { topic } from './log-topic-source.js';
import { topicSink } from '../sinks/log-topic-sink.js';
import { collectSink } from '../sinks/collect-sink.js';
import { json } from '../formats/json.js';
import { decodeBatches } from '../../codec/record-batch.js';
import { encodeBatch } from '../../codec/record-batch.js';

async function withLog(fn: (log: Log) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-topic-src-'));
  const log = await Log.open({ dataDir: dir });
  try {
    await fn(log);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('records that do not decode go to <topic>.dlq with the reason, are counted, and the job goes on', async () => {
  await withLog(async (log) => {
    await log.createTopic('clicks', 1);
    await log.partition('clicks', 0).appendRecords([
      { value: Buffer.from('{"n":1}') },
      { value: Buffer.from('{not json') },
      { value: Buffer.from('{"n":2}') },
      { value: null },
    ]);
    const sink = collectSink<{ n: number }>();
    const job = pipeline('dlq', { resources: { log } });
    job.from(topic('clicks', { format: json<{ n: number }>(), bounded: true })).to(sink);
    const res = await job.run();
    assert.deepEqual(sink.collected.values, [{ n: 1 }, { n: 2 }]);
    assert.equal(res.metrics['dead-letters'], 2);
    const read = await log.partition('clicks.dlq', 0).read(0, { maxBytes: 1 << 20 });
    const dead = decodeBatches(read.records).flatMap((b) => b.records);
    assert.equal(dead.length, 2);
    assert.equal(dead[0]?.value?.toString(), '{not json');
    const h = Object.fromEntries((dead[0]?.headers ?? []).map((x) => [x.key, x.value?.toString()]));
    assert.match(h['sluice.dlq.reason'] ?? '', /not JSON/);
    assert.equal(h['sluice.dlq.offset'], '1');
    assert.equal(h['sluice.dlq.topic'], 'clicks');
  });
});

test('read_committed skips aborted transactions and waits for open ones', async () => {
  await withLog(async (log) => {
    await log.createTopic('t', 1);
    const p = log.partition('t', 0);
    const rec = (n: number) => ({ value: Buffer.from(JSON.stringify(n)), timestamp: 1 });
    await p.append(encodeBatch([rec(1), rec(2)], { producerId: 7, producerEpoch: 0, baseSequence: 0, isTransactional: true }));
    await p.appendControl({ producerId: 7, producerEpoch: 0, commit: false, coordinatorEpoch: 0 });
    await p.appendRecords([rec(3)]);
    await p.append(encodeBatch([rec(4)], { producerId: 8, producerEpoch: 0, baseSequence: 0, isTransactional: true }));
    await p.appendControl({ producerId: 8, producerEpoch: 0, commit: true, coordinatorEpoch: 0 });
    await p.append(encodeBatch([rec(5)], { producerId: 9, producerEpoch: 0, baseSequence: 0, isTransactional: true }));
    const sink = collectSink<number>();
    const job = pipeline('rc', { resources: { log } });
    job.from(topic('t', { format: json<number>(), bounded: true })).to(sink);
    await job.run();
    assert.deepEqual(sink.collected.values, [3, 4], 'aborted 1,2 skipped; open 5 not visible');
  });
});

test('topic sink without checkpoints writes plain records that every reader sees', async () => {
  await withLog(async (log) => {
    const job = pipeline('plain-sink', { resources: { log } });
    const src = await import('./collection-source.js');
    job.from(src.fromCollection([1, 2, 3])).to(topicSink('nums', { format: json<number>(), createPartitions: 2, key: (n) => String(n) }));
    await job.run();
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await log.partition('nums', i).read(0, { maxBytes: 1 << 20, isolation: 'read_committed' });
      for (const b of decodeBatches(r.records)) for (const x of b.records) seen.push(Number(x.value?.toString()));
    }
    assert.deepEqual(seen.sort(), [1, 2, 3]);
  });
});
