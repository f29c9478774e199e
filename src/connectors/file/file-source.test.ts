// The file source: JSON lines and CSV read once, bad lines to the dead-letter topic with
// their file and byte offset, resuming at a checkpointed byte offset, following appended data
// and replaying at event-time pace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from '../../log/log.js';
import { decodeBatches } from '../../codec/record-batch.js';
import { pipeline } from '../../engine/api/pipeline.js';
import { collectSink } from '../../engine/sinks/collect-sink.js';
import type { SourceBatch } from '../../engine/sources/source.js';
import { MetricsRegistry } from '../../observe/metrics.js';
import { fileSource } from './file-source.js';
import { DLQ_HEADERS, DEAD_LETTERS_METRIC } from '../../engine/sources/dead-letters.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'sluice-filesrc-'));
}

test('JSON lines: bad lines become dead letters with headers and a metric; the rest flows', async () => {
  const dir = tmp();
  try {
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, '{"a":1}\nnot json\n{"a":2}\n\n{"a":3}');
    const log = await Log.open({ dataDir: join(dir, 'log') });
    const metrics = new MetricsRegistry();
    const sink = collectSink<{ a: number }>();
    const job = pipeline('fs', { resources: { log, metrics } });
    job.from(fileSource<{ a: number }>({ paths: [path] })).to(sink);
    const res = await job.run();
    assert.deepEqual(sink.collected.values, [{ a: 1 }, { a: 2 }, { a: 3 }]);
    assert.equal(res.metrics['dead-letters'], 1);
    assert.match(metrics.expose(), new RegExp(`${DEAD_LETTERS_METRIC}\\{source="${path.replace(/[/.]/g, '.')}"\\} 1`));
    const read = await log.partition('events.jsonl.dlq', 0).read(0, { maxBytes: 1 << 20 });
    const [letter] = decodeBatches(read.records).flatMap((b) => b.records);
    assert.equal(letter?.value?.toString(), 'not json');
    const h = Object.fromEntries(letter!.headers.map((x) => [x.key, x.value?.toString()]));
    assert.equal(h[DLQ_HEADERS.topic], path);
    assert.equal(h[DLQ_HEADERS.offset], '8');
    assert.match(h[DLQ_HEADERS.reason] ?? '', /not JSON/);
    assert.equal(h[DLQ_HEADERS.errorCode], 'DESERIALIZATION_FAILED');
    assert.equal(h[DLQ_HEADERS.errorReason], 'NOT_JSON');
    assert.equal(h[DLQ_HEADERS.format], 'jsonl');
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CSV with header, quoted newlines; a short row is a dead letter (dropped when asked)', async () => {
  const dir = tmp();
  try {
    const path = join(dir, 'p.csv');
    writeFileSync(path, 'id,name\n1,"Ann\nLee"\n2\n3,"say ""x"""\n');
    const sink = collectSink<Record<string, string>>();
    const job = pipeline('csv');
    job.from(fileSource<Record<string, string>>({ paths: [path], format: 'csv', deadLetterTopic: false })).to(sink);
    const res = await job.run();
    assert.deepEqual(sink.collected.values, [{ id: '1', name: 'Ann\nLee' }, { id: '3', name: 'say "x"' }]);
    assert.equal(res.metrics['dead-letters'], 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('positions are byte offsets: a reader restored at one resumes with the next record', async () => {
  const dir = tmp();
  try {
    const path = join(dir, 'x.csv');
    writeFileSync(path, 'k,v\na,1\nb,2\nc,3\n');
    const src = fileSource<Record<string, string>>({ paths: [path], format: 'csv', deadLetterTopic: false });
    const ctx = { subtaskIndex: 0, parallelism: 1, resources: {}, jobName: 'j', count: () => undefined };
    const r1 = await src.createReader({ ...ctx, restoredPositions: undefined });
    const b1 = (await r1.poll(1, 10)) as SourceBatch<Record<string, string>>;
    // The header slot comes first; read until one record was delivered.
    let batch = b1;
    while (batch.values.length === 0) batch = (await r1.poll(1, 10)) as SourceBatch<Record<string, string>>;
    assert.deepEqual(batch.values, [{ k: 'a', v: '1' }]);
    const r2 = await src.createReader({ ...ctx, restoredPositions: { [path]: batch.position } });
    const rest: Record<string, string>[] = [];
    for (let b = await r2.poll(10, 10); b !== 'end'; b = await r2.poll(10, 10)) if (b) rest.push(...b.values);
    assert.deepEqual(rest, [{ k: 'b', v: '2' }, { k: 'c', v: '3' }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('follow: appended lines arrive (fs.watch), at event-time pace when replaying', async () => {
  const dir = tmp();
  try {
    const path = join(dir, 'tail.jsonl');
    writeFileSync(path, '{"t":0}\n');
    const sink = collectSink<{ t: number }>();
    const job = pipeline('tail');
    job.from(fileSource<{ t: number }>({ paths: [path], follow: true, timestampOf: (v) => v.t, replay: { speed: 2 }, deadLetterTopic: false })).to(sink);
    const started = Date.now();
    const handle = job.start();
    appendFileSync(path, '{"t":200}\n{"t":400}\n');
    const deadline = Date.now() + 10_000;
    while (sink.collected.values.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const elapsed = Date.now() - started;
    await handle.stop();
    assert.deepEqual(sink.collected.values, [{ t: 0 }, { t: 200 }, { t: 400 }]);
    // 400 ms of event time at speed 2 takes at least ~200 ms of wall time.
    assert.ok(elapsed >= 190, `paced: ${elapsed} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
