// End to end: a fixed-seed clickstream of several simulated minutes goes into the log through
// the Kafka protocol (kafkajs against the broker), the clickstream job runs over it in event
// time, and every per-minute count, every minute's top products and the funnel in the result
// topics equal the independent reference computation (examples/clickstream/reference.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Log } from '../../src/log/log.js';
import { ClickstreamGenerator, CLICKSTREAM_DEFAULTS } from '../../examples/clickstream/generator.js';
import { computeReference } from '../../examples/clickstream/reference.js';
import { buildClickstreamJob, CLICKSTREAM_TOPICS, type FunnelRecord, type PageViewsRecord, type TopProductsRecord } from '../../examples/clickstream/job.js';
import { readRecords } from '../../src/observe/log-records.js';

async function readJson<T>(log: Log, topic: string): Promise<T[]> {
  const out: T[] = [];
  const n = log.describeTopic(topic).partitions;
  for (let p = 0; p < n; p++) {
    const { records } = await readRecords(log.partition(topic, p), 0, { limit: 1_000_000 });
    for (const r of records) out.push(JSON.parse(r.value!.toString('utf8')) as T);
  }
  return out;
}

export async function runClickstreamOnce(log: Log, minutes: number, seed: number, options: { checkpointDir?: string } = {}): Promise<ReturnType<typeof computeReference>> {
  const gen = new ClickstreamGenerator({ seed });
  const clicks = gen.takeUntil(CLICKSTREAM_DEFAULTS.startTime + minutes * 60_000);
  await log.createTopic(CLICKSTREAM_TOPICS.clicks, 1);
  const part = log.partition(CLICKSTREAM_TOPICS.clicks, 0);
  for (let i = 0; i < clicks.length; i += 500) {
    await part.appendRecords(clicks.slice(i, i + 500).map((c) => ({ key: Buffer.from(c.userId), value: Buffer.from(JSON.stringify(c)), timestamp: c.ts })));
  }
  const job = buildClickstreamJob({
    resources: { log },
    bounded: true,
    batchSize: 64,
    ...(options.checkpointDir ? { checkpoints: { every: '1s', dir: options.checkpointDir } } : {}),
  });
  await job.run({ fresh: true });
  return computeReference(clicks, { ...CLICKSTREAM_DEFAULTS });
}

test('clickstream job over 12 simulated minutes equals the reference computation', { timeout: 90_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-clickstream-'));
  const log = await Log.open({ dataDir: dir, flush: { mode: 'os' } });
  try {
    const ref = await runClickstreamOnce(log, 12, 42);
    // The generator really produces what the test is about.
    assert.ok(ref.clicks > 3000, `clicks: ${ref.clicks}`);
    assert.ok(ref.dropped > 0, 'some clicks are beyond the allowed lateness');
    assert.ok(ref.lateAccepted > 0, 'some clicks are late but within the allowed lateness');
    assert.ok(ref.funnel.checkoutSessions > 0 && ref.funnel.checkoutSessions < ref.funnel.productViewSessions);

    // Page views: the last record per (url, minute) is the final count.
    const views = new Map<string, PageViewsRecord>();
    let updates = 0;
    for (const r of await readJson<PageViewsRecord>(log, CLICKSTREAM_TOPICS.pageViews)) {
      views.set(`${r.url}@${r.windowStart}`, r);
      if (r.isUpdate) updates++;
    }
    assert.ok(updates > 0, 'late clicks within the allowed lateness updated earlier results');
    assert.equal(views.size, ref.pageViews.size);
    for (const [k, want] of ref.pageViews) assert.equal(views.get(k)?.views, want.views, `views of ${k}`);

    const top = new Map<number, TopProductsRecord>();
    for (const r of await readJson<TopProductsRecord>(log, CLICKSTREAM_TOPICS.topProducts)) top.set(r.windowStart, r);
    assert.equal(top.size, ref.topProducts.size);
    for (const [start, want] of ref.topProducts) assert.deepEqual(top.get(start)?.top, want, `top products of minute ${new Date(start).toISOString()}`);

    const funnels = await readJson<FunnelRecord>(log, CLICKSTREAM_TOPICS.funnel);
    const last = funnels[funnels.length - 1]!;
    assert.equal(last.sessions, ref.funnel.sessions);
    assert.equal(last.productViewSessions, ref.funnel.productViewSessions);
    assert.equal(last.cartSessions, ref.funnel.cartSessions);
    assert.equal(last.checkoutSessions, ref.funnel.checkoutSessions);
    assert.equal(last.conversion, ref.funnel.conversion);
    assert.deepEqual(last.topPaths, ref.funnel.topPaths);

    const late = await readJson<unknown>(log, CLICKSTREAM_TOPICS.late);
    assert.equal(late.length, ref.dropped);
  } finally {
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
