// End to end: a fixed-seed clickstream of several simulated minutes goes into the log through
// the Kafka protocol (kafkajs against the broker), the clickstream job runs over it in event
// time, and every per-minute count, every minute's top products and the funnel in the result
// topics equal the independent reference computation (examples/clickstream/reference.ts), and
// so do the PostgreSQL tables the job writes exactly-once (real server 127.0.0.1:5432, db
// `test`, tables unique to the run). Early results run throughout: only final values count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Log } from '../../src/log/log.js';
import { ClickstreamGenerator, CLICKSTREAM_DEFAULTS } from '../../examples/clickstream/generator.js';
import { computeReference } from '../../examples/clickstream/reference.js';
import { buildClickstreamJob, CLICKSTREAM_TOPICS, type FunnelRecord, type PageViewsRecord, type SessionRecord, type TopProductsRecord } from '../../examples/clickstream/job.js';
import { readRecords } from '../../src/observe/log-records.js';

const PG: pg.ClientConfig = { host: '127.0.0.1', port: 5432, user: process.env['PGUSER'] ?? 'postgres', database: 'test' };

async function readJson<T>(log: Log, topic: string): Promise<T[]> {
  const out: T[] = [];
  const n = log.describeTopic(topic).partitions;
  for (let p = 0; p < n; p++) {
    const { records } = await readRecords(log.partition(topic, p), 0, { limit: 1_000_000 });
    for (const r of records) out.push(JSON.parse(r.value!.toString('utf8')) as T);
  }
  return out;
}

export async function runClickstreamOnce(log: Log, minutes: number, seed: number, options: { checkpointDir?: string; earlyResultsEvery?: number; postgres?: { connection: pg.ClientConfig; tablePrefix: string } } = {}): Promise<ReturnType<typeof computeReference>> {
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
    ...(options.checkpointDir ? { checkpoints: { every: 250, dir: options.checkpointDir } } : {}),
    ...(options.earlyResultsEvery !== undefined ? { earlyResultsEvery: options.earlyResultsEvery } : {}),
    ...(options.postgres ? { postgres: options.postgres } : {}),
  });
  await job.run({ fresh: true });
  return computeReference(clicks, { ...CLICKSTREAM_DEFAULTS });
}

test('clickstream job over 12 simulated minutes equals the reference computation', { timeout: 90_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-clickstream-'));
  const log = await Log.open({ dataDir: dir, flush: { mode: 'os' } });
  const prefix = `cs_${process.pid}_${Date.now().toString(36)}_`;
  const admin = new pg.Client(PG);
  await admin.connect();
  try {
    // Early results every 100 ms of processing time: provisional page views and sessions flow
    // while the job runs, and the final figures must still equal the reference exactly.
    // Checkpoints every 250 ms make the PostgreSQL sinks commit in several transactions.
    const ref = await runClickstreamOnce(log, 12, 42, { earlyResultsEvery: 100, checkpointDir: path.join(dir, 'checkpoints'), postgres: { connection: PG, tablePrefix: prefix } });
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
    // Provisional funnels (open sessions counted early) came before the final one.
    assert.ok(funnels.some((f) => f.openSessions > 0), 'early funnel results with open sessions');
    assert.equal(last.openSessions, 0);
    const sessions = await readJson<SessionRecord>(log, CLICKSTREAM_TOPICS.sessions);
    assert.ok(sessions.some((x) => !x.final), 'provisional session results');
    assert.equal(sessions.filter((x) => x.final).length, ref.funnel.sessions, 'one final record per session');
    assert.equal(last.sessions, ref.funnel.sessions);
    assert.equal(last.productViewSessions, ref.funnel.productViewSessions);
    assert.equal(last.cartSessions, ref.funnel.cartSessions);
    assert.equal(last.checkoutSessions, ref.funnel.checkoutSessions);
    assert.equal(last.conversion, ref.funnel.conversion);
    assert.deepEqual(last.topPaths, ref.funnel.topPaths);

    const late = await readJson<unknown>(log, CLICKSTREAM_TOPICS.late);
    assert.equal(late.length, ref.dropped);

    // PostgreSQL: the same final figures, one row per key.
    const pv = await admin.query<{ url: string; window_start: Date; views: string }>(`SELECT url, window_start, views FROM ${prefix}page_views`);
    assert.equal(pv.rows.length, ref.pageViews.size);
    for (const r of pv.rows) assert.equal(Number(r.views), ref.pageViews.get(`${r.url}@${r.window_start.getTime()}`)?.views, `postgres views of ${r.url}@${r.window_start.toISOString()}`);
    const tp = await admin.query<{ window_start: Date; rank: number; product_id: string; views: string }>(`SELECT window_start, rank, product_id, views FROM ${prefix}top_products ORDER BY window_start, rank`);
    const pgTop = new Map<number, { productId: string; views: number }[]>();
    for (const r of tp.rows) {
      const list = pgTop.get(r.window_start.getTime()) ?? [];
      assert.equal(r.rank, list.length + 1, 'ranks are dense');
      list.push({ productId: r.product_id, views: Number(r.views) });
      pgTop.set(r.window_start.getTime(), list);
    }
    assert.equal(pgTop.size, ref.topProducts.size);
    for (const [start, want] of ref.topProducts) assert.deepEqual(pgTop.get(start), want, `postgres top products of ${new Date(start).toISOString()}`);
    const fn = await admin.query<{ sessions: string; product_view_sessions: string; cart_sessions: string; checkout_sessions: string; conversion: number; top_paths: unknown; open_sessions: number }>(`SELECT * FROM ${prefix}funnel`);
    assert.equal(fn.rows.length, 1);
    const f = fn.rows[0]!;
    assert.deepEqual(
      [Number(f.sessions), Number(f.product_view_sessions), Number(f.cart_sessions), Number(f.checkout_sessions), f.conversion, f.open_sessions],
      [ref.funnel.sessions, ref.funnel.productViewSessions, ref.funnel.cartSessions, ref.funnel.checkoutSessions, ref.funnel.conversion, 0],
    );
    assert.deepEqual(f.top_paths, ref.funnel.topPaths);
    // Exactly-once bookkeeping: each sink committed several checkpoints.
    const ck = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM sluice_sink_checkpoints WHERE sink_id LIKE $1`, [`%/${prefix}page_views`]);
    assert.ok(Number(ck.rows[0]!.n) >= 2, `page view checkpoints committed: ${ck.rows[0]!.n}`);
  } finally {
    for (const t of ['page_views', 'top_products', 'funnel']) await admin.query(`DROP TABLE IF EXISTS ${prefix}${t}`).catch(() => undefined);
    await admin.query(`DELETE FROM sluice_sink_checkpoints WHERE sink_id LIKE $1`, [`%/${prefix}%`]).catch(() => undefined);
    await admin.end();
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
