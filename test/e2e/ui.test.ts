// The web UI in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core)
// against a live clickstream job whose event time runs 120x faster than the wall clock (a
// minute window closes every half second, sessions close after 15 s of silence): the dashboard
// renders and its live values change within 5 seconds, the job view shows every operator with
// a non-zero rate and a watermark, and the topics view lists the topics and peeks at records.
// Screenshots go to test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Log } from '../../src/log/log.js';
import { MetricsRegistry } from '../../src/observe/metrics.js';
import { ObserveServer } from '../../src/observe/http-server.js';
import { monitorPipeline } from '../../src/observe/job-monitor.js';
import { buildClickstreamJob, CLICKSTREAM_TOPICS } from '../../examples/clickstream/job.js';
import { ClickstreamResultsView } from '../../examples/clickstream/results-view.js';
import { startLiveClicks } from '../../examples/clickstream/live.js';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

async function until(page: Page, what: string, fn: string, timeoutMs: number): Promise<void> {
  try {
    await page.waitForFunction(fn, undefined, { timeout: timeoutMs, polling: 250 });
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, `ui-failed-${what.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => undefined);
    throw new Error(`UI: ${what} not reached in ${timeoutMs} ms: ${String(err)}`);
  }
}

test('the web UI shows the live clickstream, the job and the topics', { timeout: 90_000 }, async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ui-'));
  const log = await Log.open({ dataDir: dir, flush: { mode: 'os' } });
  const registry = new MetricsRegistry();
  await log.createTopic(CLICKSTREAM_TOPICS.clicks, 1);
  const checkpointDir = path.join(dir, 'checkpoints');
  const job = buildClickstreamJob({ resources: { log }, checkpoints: { every: '1s', dir: checkpointDir }, earlyResultsEvery: '1s' });
  const monitor = monitorPipeline(job, { registry, log, checkpointDir });
  const handle = job.start();
  monitor.attach(handle);
  const view = new ClickstreamResultsView(log);
  const pollTimer = setInterval(() => void view.poll().catch(() => undefined), 300);
  const part = log.partition(CLICKSTREAM_TOPICS.clicks, 0);
  const live = startLiveClicks({
    rate: 300,
    speedup: 120,
    seed: 11,
    send: async (clicks) => {
      const records: { key: Buffer | null; value: Buffer; timestamp: number }[] = clicks.map((c) => ({ key: Buffer.from(c.userId), value: Buffer.from(JSON.stringify(c)), timestamp: c.ts }));
      // A little bad input on every tick: a non-click JSON value and a non-JSON value.
      records.push({ key: null, value: Buffer.from('{"not":"a click"}'), timestamp: clicks[0]!.ts }, { key: null, value: Buffer.from('{broken'), timestamp: clicks[0]!.ts });
      await part.appendRecords(records);
    },
  });
  let server: ObserveServer | undefined;
  let browser: BrowserContext | undefined;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-chromium-'));
  try {
    server = await ObserveServer.start({ registry, log, port: 0, jobs: () => [monitor], clickstream: () => view.snapshot() });
    // A fresh profile directory per run (playwright's way of passing --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 1000 },
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const t0 = Date.now();
    await page.goto(server.url, { waitUntil: 'load' });
    const loadMs = Date.now() - t0;
    assert.ok(loadMs < 3000, `page loaded in ${loadMs} ms`);

    // Dashboard: values arrive, then change within 5 seconds.
    await until(page, 'dashboard values', `document.getElementById('kpi-clicks').textContent !== '–' && Number(document.getElementById('views-chart').dataset.points) > 0`, 30_000);
    const before = await page.evaluate(`[document.getElementById('kpi-clicks').textContent, document.getElementById('views-chart').dataset.last, document.getElementById('top-pages').innerHTML]`);
    await until(page, 'live change', `JSON.stringify([document.getElementById('kpi-clicks').textContent, document.getElementById('views-chart').dataset.last, document.getElementById('top-pages').innerHTML]) !== ${JSON.stringify(JSON.stringify(before))}`, 5000);
    // Sessions close after 15 s of silence here (30 min in the demo), but early results of the
    // open sessions fill the funnel and the paths within seconds.
    await until(page, 'funnel', `document.querySelectorAll('#funnel .bar-row').length === 4 && document.querySelectorAll('#paths tr').length > 0 && /open sessions/.test(document.getElementById('funnel-note').textContent)`, 10_000);
    assert.ok(await page.locator('#top-products .bar-row').count() > 0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-dashboard.png'), fullPage: true });

    // Job view: every operator (sources and sinks included) has a non-zero rate and a watermark.
    await page.goto(`${server!.url}#/jobs`);
    const nodes = job.graph.nodes.length;
    await until(
      page,
      'job view rates and watermarks',
      `(() => { const rows = [...document.querySelectorAll('.operator-row')]; return rows.length === ${nodes} && rows.every((r) => Number(r.dataset.rate) > 0 && r.dataset.watermark !== ''); })()`,
      40_000,
    );
    assert.equal(await page.locator('svg .node').count(), nodes);
    assert.ok(Number(await page.locator('#cp-completed').textContent()) > 0, 'checkpoints completed');
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-job.png'), fullPage: true });

    // Topics view: every topic of the log is listed; clicking one shows its latest records.
    await page.goto(`${server!.url}#/topics`);
    await until(page, 'topics listed', `document.querySelectorAll('.topic-row').length > 0`, 10_000);
    const listed = await page.locator('.topic-row').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { topic: string } }).dataset.topic));
    for (const t of log.listTopics()) assert.ok(listed.includes(t.name), `topic ${t.name} listed`);
    await page.locator(`a[data-peek="${CLICKSTREAM_TOPICS.pageViews}"]`).click();
    await until(page, 'peek', `document.querySelectorAll('#peek tr').length > 0`, 10_000);
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-topics.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await live.stop();
    clearInterval(pollTimer);
    await handle.stop();
    await server?.stop();
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
