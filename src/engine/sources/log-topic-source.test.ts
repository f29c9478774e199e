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
import { SluiceError } from '../../errors.js';
import { logAccessFrom } from './topic-log.js';
import { MetricsRegistry } from '../../observe/metrics.js';

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
      { value: Buffer.from('{"n":1}'), timestamp: 500 },
      { value: Buffer.from('{not json'), timestamp: 501 },
      { value: Buffer.from('{"n":2}'), timestamp: 502 },
      { value: null, timestamp: 503 },
    ]);
    const sink = collectSink<{ n: number }>();
    const metrics = new MetricsRegistry();
    const job = pipeline('dlq', { resources: { log, metrics } });
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
    assert.equal(h['sluice.dlq.timestamp'], '501', "the original record's timestamp");
    assert.ok(Number(h['sluice.dlq.failed-at']) > 1_600_000_000_000, 'and the time of failure');
    assert.match(metrics.expose(), /^sluice_dead_letters_total\{source="clicks"\} 2$/m);
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

/**
 * A class-based format shaped like the schema registry's: needs open(), knows "schema ids"
 * only after fetching them (decode throws a retriable error the first time), uses `this`.
 * Wire form: "<id>:<json>".
 */
class FetchingFormat {
  readonly name = 'fetching';
  opens = 0;
  asyncDecodes = 0;
  private ready = false;
  private readonly known = new Set<string>();
  constructor(private readonly registry: ReadonlySet<string>) {}
  async open(): Promise<void> {
    this.opens++;
    await new Promise((r) => setTimeout(r, 5));
    this.ready = true;
  }
  private requireOpen(): void {
    if (!this.ready) throw new SluiceError('STATE_ERROR', 'used before open()');
  }
  decode(bytes: Buffer): { n: number } {
    this.requireOpen();
    const s = bytes.toString();
    const id = s.slice(0, s.indexOf(':'));
    if (!this.known.has(id)) throw new SluiceError('SCHEMA_NOT_FOUND', `writer schema ${id} is not cached yet`, { retriable: true });
    return JSON.parse(s.slice(id.length + 1)) as { n: number };
  }
  async decodeAsync(bytes: Buffer): Promise<{ n: number }> {
    this.asyncDecodes++;
    const id = bytes.toString().split(':')[0] as string;
    await new Promise((r) => setTimeout(r, 1));
    if (!this.registry.has(id)) throw new SluiceError('SCHEMA_NOT_FOUND', `unknown writer schema id ${id}`);
    this.known.add(id);
    return this.decode(bytes);
  }
  encode(v: { n: number }): Buffer {
    this.requireOpen();
    return Buffer.from(`1:${JSON.stringify(v)}`);
  }
}

test('formats are opened once, a retriable decode error waits for decodeAsync, only what still fails is dead-lettered (with error code headers)', async () => {
  await withLog(async (log) => {
    await log.createTopic('ev', 2);
    for (let p = 0; p < 2; p++) {
      await log.partition('ev', p).appendRecords([
        { value: Buffer.from(`1:{"n":${p * 10 + 1}}`) },
        { value: Buffer.from(`2:{"n":${p * 10 + 2}}`) },
        { value: Buffer.from(`9:{"n":${p * 10 + 3}}`) },
        { value: Buffer.from(`1:{"n":${p * 10 + 4}}`) },
        { value: Buffer.from(`9:{"n":${p * 10 + 5}}`) },
      ]);
    }
    const inFormat = new FetchingFormat(new Set(['1', '2']));
    const outFormat = new FetchingFormat(new Set(['1']));
    const job = pipeline('fetching', { resources: { log }, parallelism: 2 });
    job
      .from(topic('ev', { format: inFormat, bounded: true }))
      .map((v) => ({ n: v.n * 100 }))
      .to(topicSink('ev-out', { format: outFormat, createPartitions: 1, exactlyOnce: false }));
    const res = await job.run();
    assert.equal(inFormat.opens, 1, 'one open for the two source subtasks');
    assert.equal(outFormat.opens, 1, 'one open for the two sink subtasks');
    const out = await log.partition('ev-out', 0).read(0, { maxBytes: 1 << 20 });
    const got = decodeBatches(out.records).flatMap((b) => b.records.map((r) => r.value?.toString()));
    assert.deepEqual(got.sort(), ['1:{"n":100}', '1:{"n":1100}', '1:{"n":1200}', '1:{"n":1400}', '1:{"n":200}', '1:{"n":400}'].sort());
    // id 1 and 2 fetched once each (per partition reader at most), id 9 tried every time.
    assert.ok(inFormat.asyncDecodes >= 4 && inFormat.asyncDecodes <= 8, `async decodes: ${inFormat.asyncDecodes}`);
    assert.equal(res.metrics['dead-letters'], 4);
    const dlq = await log.partition('ev.dlq', 0).read(0, { maxBytes: 1 << 20 });
    const dead = decodeBatches(dlq.records).flatMap((b) => b.records);
    assert.equal(dead.length, 4);
    for (const d of dead) {
      const h = Object.fromEntries((d.headers ?? []).map((x) => [x.key, x.value?.toString()]));
      assert.equal(h['sluice.dlq.reason'], 'unknown writer schema id 9');
      assert.equal(h['sluice.dlq.error-code'], 'SCHEMA_NOT_FOUND');
      assert.equal(h['sluice.dlq.error-reason'], undefined, 'no details.reason on this error');
      assert.equal(h['sluice.dlq.format'], 'fetching');
      assert.match(h['sluice.dlq.offset'] ?? '', /^[24]$/);
    }
  });
});

test('dead letters carry the error code and details.reason; a concurrent creation of the DLQ topic is waited for', async () => {
  await withLog(async (log) => {
    await log.createTopic('raw', 1);
    await log.partition('raw', 0).appendRecords([{ value: Buffer.from('{"n":1}') }, { value: null }]);
    // Someone else is creating the dead-letter topic right now: the log answers TOPIC_EXISTS
    // while that creation is pending; the source must wait for it, not fail the job.
    const other = log.createTopic('raw.dlq', 1);
    const sink = collectSink<{ n: number }>();
    const job = pipeline('dlq-race', { resources: { log } });
    job.from(topic('raw', { format: json<{ n: number }>(), bounded: true })).to(sink);
    const access = logAccessFrom({ log }, 'test');
    const [res] = await Promise.all([job.run(), other, access.ensureTopic('raw.dlq', 1)]);
    assert.equal(res.metrics['dead-letters'], 1);
    const read = await log.partition('raw.dlq', 0).read(0, { maxBytes: 1 << 20 });
    const [d] = decodeBatches(read.records).flatMap((b) => b.records);
    const h = Object.fromEntries((d?.headers ?? []).map((x) => [x.key, x.value?.toString()]));
    assert.equal(h['sluice.dlq.error-code'], 'DESERIALIZATION_FAILED');
    assert.equal(h['sluice.dlq.error-reason'], 'NULL_VALUE');
    assert.equal(h['sluice.dlq.reason'], 'null value (tombstone)');
  });
});

test('a small batch size reads every record once across polls (read-ahead kept between polls) and stops at the bounded end', async () => {
  await withLog(async (log) => {
    await log.createTopic('many', 1);
    const part = log.partition('many', 0);
    for (let b = 0; b < 20; b++) await part.appendRecords(Array.from({ length: 50 }, (_v, i) => ({ value: Buffer.from(String(b * 50 + i)) })));
    const sink = collectSink<number>();
    const job = pipeline('small-batches', { resources: { log }, batchSize: 7 });
    job.from(topic('many', { format: json<number>(), bounded: true })).to(sink);
    const res = await job.run();
    assert.deepEqual(sink.collected.values, Array.from({ length: 1000 }, (_v, i) => i));
    assert.equal(res.metrics['records-in'], 1000);
  });
});
