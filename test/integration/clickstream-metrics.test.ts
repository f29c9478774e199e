// /metrics and the JSON API while the clickstream job runs over clicks sent through the Kafka
// protocol: the exposition parses strictly (src/observe/prometheus-text.ts) and passes the real
// `promtool check metrics` (Debian's prometheus package) without a warning, and its counters
// agree with what the test sent (records read, valid and invalid clicks, dead letters, late
// clicks, broker produce requests and bytes per topic).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Log } from '../../src/log/log.js';
import { Broker } from '../../src/broker/server.js';
import { MetricsRegistry } from '../../src/observe/metrics.js';
import { ObserveServer } from '../../src/observe/http-server.js';
import { monitorPipeline } from '../../src/observe/job-monitor.js';
import { registerLogMetrics } from '../../src/observe/log-metrics.js';
import { parsePrometheusText, sampleValue } from '../../src/observe/prometheus-text.js';
import { ClickstreamGenerator, CLICKSTREAM_DEFAULTS } from '../../examples/clickstream/generator.js';
import { computeReference } from '../../examples/clickstream/reference.js';
import { buildClickstreamJob, CLICKSTREAM_TOPICS } from '../../examples/clickstream/job.js';

const execFileAsync = promisify(execFile);

test('/metrics is valid Prometheus text and its counters match the records sent', { timeout: 90_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-metrics-'));
  const log = await Log.open({ dataDir: dir, flush: { mode: 'os' } });
  const registry = new MetricsRegistry();
  registerLogMetrics(registry, log);
  await log.createTopic(CLICKSTREAM_TOPICS.clicks, 1);
  const broker = await Broker.start({ log, ownsLog: false, port: 0, metrics: registry });
  let server: ObserveServer | undefined;
  try {
    const clicks = new ClickstreamGenerator({ seed: 7 }).takeUntil(CLICKSTREAM_DEFAULTS.startTime + 6 * 60_000);
    const kafka = new Kafka({ clientId: 'metrics-test', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
    // Idempotent: the partition then remembers this producer's id (sluice_log_producer_ids).
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < clicks.length; i += 250) {
      await producer.send({ topic: CLICKSTREAM_TOPICS.clicks, messages: clicks.slice(i, i + 250).map((c) => ({ key: c.userId, value: JSON.stringify(c), timestamp: String(c.ts) })) });
    }
    // Bad input: 3 records that are not JSON (dead letters), 2 JSON values that are not clicks.
    await producer.send({ topic: CLICKSTREAM_TOPICS.clicks, messages: ['{oops', 'not json', '\u0000\u0001'].map((value) => ({ value })) });
    await producer.send({ topic: CLICKSTREAM_TOPICS.clicks, messages: [{ value: '{"hello":1}' }, { value: '[1,2,3]' }] });
    await producer.disconnect();

    const job = buildClickstreamJob({ resources: { log }, bounded: true, batchSize: 64 });
    const monitor = monitorPipeline(job, { registry, log });
    server = await ObserveServer.start({ registry, log, port: 0, jobs: () => [monitor] });
    const handle = job.start({ fresh: true });
    monitor.attach(handle);
    await handle.done;
    const ref = computeReference(clicks, { ...CLICKSTREAM_DEFAULTS });

    // A real client reads the topic back through the broker (fetched bytes per topic).
    // (Asynchronously: the broker runs in this process.)
    const kcat = await execFileAsync('kcat', ['-b', `127.0.0.1:${broker.port}`, '-C', '-t', CLICKSTREAM_TOPICS.clicks, '-o', 'beginning', '-e', '-q'], { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 });
    assert.equal(kcat.stdout.trim().split('\n').length, clicks.length + 5);
    const res = await fetch(`${server.url}metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const exposition = await res.text();
    const fams = parsePrometheusText(exposition);
    // The real Prometheus linter: exit 0 and nothing printed (no naming or type warnings).
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8', timeout: 30_000 });
    assert.equal(promtool.error, undefined, `promtool could not run: ${String(promtool.error)}`);
    assert.equal(`${promtool.stdout}${promtool.stderr}`.trim(), '', 'promtool check metrics prints no problem');
    assert.equal(promtool.status, 0);
    const v = (family: string, labels: Record<string, string>, name = family): number | undefined => sampleValue(fams, family, name, labels);
    const job1 = { job: 'clickstream' };
    assert.equal(v('sluice_records_in_total', { ...job1, operator: 'clicks' }), clicks.length + 2);
    assert.equal(v('sluice_records_out_total', { ...job1, operator: 'validate' }), clicks.length + 2);
    assert.equal(v('sluice_records_in_total', { ...job1, operator: 'invalid-sink' }), 2);
    assert.equal(v('sluice_dead_letters_total', job1), 3);
    assert.equal(v('sluice_records_in_total', { ...job1, operator: 'late-sink' }), ref.dropped);
    assert.ok(ref.dropped > 0);
    assert.equal(v('sluice_log_end_offset', { topic: CLICKSTREAM_TOPICS.clicks, partition: '0' }), clicks.length + 5);
    assert.equal(v('sluice_log_producer_ids', { topic: CLICKSTREAM_TOPICS.clicks, partition: '0' }), 1);
    const produce = fams.get('sluice_broker_requests_total')?.samples.find((s) => s.labels['api'] === 'Produce');
    assert.ok(produce && produce.value >= Math.ceil(clicks.length / 250), 'broker produce requests counted');
    assert.ok((fams.get('sluice_broker_bytes_in_total')?.samples[0]?.value ?? 0) > 0);
    // Bytes per topic: at least every value sent (batches add headers; kafkajs sends uncompressed).
    const valueBytes = clicks.reduce((n, c) => n + Buffer.byteLength(JSON.stringify(c)), 0);
    const topicBytesIn = v('sluice_bytes_in_total', { topic: CLICKSTREAM_TOPICS.clicks }) ?? 0;
    assert.ok(topicBytesIn > valueBytes, `bytes in ${topicBytesIn} > ${valueBytes}`);
    assert.ok(topicBytesIn <= (fams.get('sluice_broker_bytes_in_total')?.samples[0]?.value ?? 0));
    assert.ok((v('sluice_bytes_out_total', { topic: CLICKSTREAM_TOPICS.clicks }) ?? 0) >= topicBytesIn, 'kcat fetched every batch');
    // End-to-end latency is sampled (one observation per sink subtask and monitor sample with new writes).
    const latencyCount = v('sluice_end_to_end_latency_seconds', { ...job1, sink: 'page-views-sink' }, 'sluice_end_to_end_latency_seconds_count');
    assert.ok(latencyCount !== undefined && latencyCount >= 1, `latency samples: ${latencyCount}`);
    assert.ok(latencyCount <= v('sluice_records_in_total', { ...job1, operator: 'page-views-sink' })!);
    // Busy, backpressured and idle time per operator come from the engine's status API.
    assert.ok(v('sluice_operator_busy_seconds_total', { ...job1, operator: 'page-views' })! > 0, 'window operator busy time');
    assert.ok(v('sluice_operator_idle_seconds_total', { ...job1, operator: 'page-views' }) !== undefined);
    assert.ok(v('sluice_operator_backpressured_seconds_total', { ...job1, operator: 'clicks' }) !== undefined);

    // Every metric the Grafana dashboard queries exists in the exposition.
    const dashboard = fs.readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8');
    const used = new Set([...dashboard.matchAll(/\b(sluice_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, '')));
    assert.ok(used.size > 10);
    for (const name of used) assert.ok(fams.has(name), `dashboard metric ${name} is exposed`);

    // The JSON API the UI reads.
    const jobView = (await (await fetch(`${server.url}api/jobs/clickstream`)).json()) as { status: string; nodes: { uid: string; recordsIn: number; watermark: number | null }[] };
    assert.equal(jobView.status, 'finished');
    assert.equal(jobView.nodes.find((n) => n.uid === 'page-views')?.recordsIn, clicks.length);
    const topics = (await (await fetch(`${server.url}api/topics`)).json()) as { topics: { name: string; records: number }[] };
    assert.equal(topics.topics.find((t) => t.name === CLICKSTREAM_TOPICS.clicks)?.records, clicks.length + 5);
    assert.ok(topics.topics.some((t) => t.name === CLICKSTREAM_TOPICS.pageViews));
    const peek = (await (await fetch(`${server.url}api/topics/${CLICKSTREAM_TOPICS.clicks}/records?limit=5`)).json()) as { records: { value: string }[] };
    assert.equal(peek.records.length, 5);
    const missing = await fetch(`${server.url}api/topics/nope/records`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'UNKNOWN_TOPIC');
    assert.equal((await fetch(`${server.url}api/topics/${CLICKSTREAM_TOPICS.clicks}/records?partition=abc`)).status, 400);
    assert.equal((await fetch(`${server.url}api/nothing`)).status, 404);
    assert.equal((await fetch(`${server.url}metrics`, { method: 'POST' })).status, 405);
  } finally {
    await server?.stop();
    await broker.stop();
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
