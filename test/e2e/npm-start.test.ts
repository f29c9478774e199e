// `npm start` from a checkout reaches a working dashboard: the test starts it as a user would
// (temp data dir, free ports through the environment), waits for the UI URL it prints, checks
// the dashboard page, the clickstream API filling up and /metrics, then sends SIGINT and
// expects a clean exit (code 0). A second start resumes from the checkpoint of the first.
// Both runs also write the results to PostgreSQL ($SLUICE_POSTGRES_URL; real server, tables
// unique to the run), which hold committed rows afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const ROOT = new URL('../..', import.meta.url).pathname;
const PG = { host: '127.0.0.1', port: 5432, user: process.env['PGUSER'] ?? 'postgres', database: 'test' };
const PREFIX = `npm_start_${process.pid}_${Date.now().toString(36)}_`;

interface Running {
  url: Promise<string>;
  output: () => string;
  exit: Promise<number | null>;
  kill(sig: NodeJS.Signals): void;
}

function start(dataDir: string): Running {
  // Exactly the command `npm start` runs (read from package.json), without npm in between:
  // npm itself dies of SIGINT, while the script's own exit code is what this test is about.
  const script = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ');
  assert.equal(script[0], 'node');
  const child = spawn(process.execPath, [...script.slice(1), '--data-dir', dataDir, '--rate', '300'], {
    cwd: ROOT,
    env: { ...process.env, SLUICE_UI_PORT: '0', SLUICE_BROKER_PORT: '0', SLUICE_POSTGRES_URL: `postgres://${PG.user}@127.0.0.1:5432/test`, SLUICE_POSTGRES_TABLE_PREFIX: PREFIX },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no UI URL within 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /web UI\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { url, output: () => out, exit, kill: (sig) => child.kill(sig) };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stopCleanly(r: Running): Promise<void> {
  r.kill('SIGINT');
  const code = await Promise.race([r.exit, new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 20_000))]);
  if (code === 'timeout') r.kill('SIGKILL');
  assert.equal(code, 0, `clean exit after SIGINT; output:\n${r.output()}`);
  assert.match(r.output(), /stopped cleanly/);
}

test('npm start serves a working dashboard, stops cleanly on SIGINT and resumes', { timeout: 90_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-npm-start-'));
  try {
    const first = start(dataDir);
    try {
      const url = await first.url;
      const page = await (await fetch(url)).text();
      assert.match(page, /<canvas id="views-chart">/);
      assert.match(await (await fetch(`${url}assets/app.js`)).text(), /drawViewsChart/);
      // Early results of the current minute reach the dashboard after a checkpoint commits them.
      const snap = await waitFor(
        'clickstream results',
        async () => {
          const s = (await (await fetch(`${url}api/clickstream`)).json()) as { clicks: number };
          return s.clicks > 0 ? s : undefined;
        },
        30_000,
      );
      assert.ok(snap.clicks > 0);
      const metrics = await (await fetch(`${url}metrics`)).text();
      assert.match(metrics, /sluice_records_in_total\{job="clickstream",operator="clicks"\} [1-9]/);
      await waitFor('a checkpoint', async () => (/sluice_checkpoints_completed_total\{job="clickstream"\} [1-9]/.test(await (await fetch(`${url}metrics`)).text()) ? true : undefined), 15_000);
    } finally {
      await stopCleanly(first);
    }
    const second = start(dataDir);
    try {
      const url = await second.url;
      // Restored from the first run's checkpoint: the source resumes at its saved offset, not 0.
      const job = await waitFor(
        'the resumed job',
        async () => {
          const j = (await (await fetch(`${url}api/jobs/clickstream`)).json()) as { consumerLag: { position: number }[] };
          return j.consumerLag[0] && j.consumerLag[0].position > 0 ? j : undefined;
        },
        20_000,
      );
      assert.ok(job.consumerLag[0]!.position > 0);
    } finally {
      await stopCleanly(second);
    }
    // The demo's PostgreSQL tables hold the committed results (page views per URL and minute).
    const admin = new pg.Client(PG);
    await admin.connect();
    try {
      const pv = await admin.query<{ n: string; views: string | null }>(`SELECT count(*) AS n, sum(views) AS views FROM ${PREFIX}page_views`);
      assert.ok(Number(pv.rows[0]!.n) > 0 && Number(pv.rows[0]!.views) > 0, `page view rows: ${JSON.stringify(pv.rows[0])}`);
      assert.equal((await admin.query(`SELECT 1 FROM ${PREFIX}funnel`)).rows.length <= 1, true);
    } finally {
      for (const t of ['page_views', 'top_products', 'funnel']) await admin.query(`DROP TABLE IF EXISTS ${PREFIX}${t}`).catch(() => undefined);
      await admin.query(`DELETE FROM sluice_sink_checkpoints WHERE sink_id LIKE $1`, [`%/${PREFIX}%`]).catch(() => undefined);
      await admin.end();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
