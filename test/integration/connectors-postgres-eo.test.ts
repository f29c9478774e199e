// PostgreSQL exactly-once under failure: a keyed windowed count from a log topic into a
// PostgreSQL table, run as a child process killed with SIGKILL at random moments 20 times
// (once while the sink's commit transaction is open) and restarted from its checkpoint each
// time; then a run whose sink connection PostgreSQL terminates repeatedly. Each final table
// must equal the table of a run without failures: no duplicate and no missing row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Log } from '../../src/log/log.js';
import { runChildJob, type ChildRun } from './support/child-job.js';
import { fillTopic } from './support/fill-topic.js';

const JOB = new URL('./fixtures/connectors-pg-job.ts', import.meta.url).pathname;
const CONN = { host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres', database: 'test' };
const SCHEMA = `sluice_pgeo_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
const KEYS = 40;
const RECORDS = 120000;
let dir: string;
let dataDir: string;
let admin: pg.Client;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-pgeo-'));
  dataDir = join(dir, 'data');
  const log = await Log.open({ dataDir });
  await fillTopic(log, 'in', 2, RECORDS, (i) => {
    // ~10 records per ms of event time, slightly out of order: 3 s of windows per 30k records.
    const t = 1_000_000 + Math.floor(i / 10) - (i % 7) * 5;
    return { partition: i % 2, record: { value: Buffer.from(JSON.stringify({ k: (i * 7919) % KEYS, t })) } };
  });
  await log.close();
  admin = new pg.Client(CONN);
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${SCHEMA}`);
});

after(async () => {
  await admin.query(`DROP SCHEMA ${SCHEMA} CASCADE`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the job; kills it `afterMs` after it prints "running", or as soon as it prints `on`. */
function runChild(ckDir: string, table: string, mode: string, kill: { afterMs?: number; on?: string; onLine?: (line: string) => void } = {}): Promise<ChildRun> {
  return runChildJob(JOB, [dataDir, ckDir, `${SCHEMA}.${table}`, mode], { afterMs: kill.afterMs, on: kill.on, onOutput: kill.onLine });
}

async function table(name: string): Promise<string[]> {
  const r = await admin.query<{ k: number; window_start: string; cnt: number }>(`SELECT k, window_start, cnt FROM ${SCHEMA}.${name} ORDER BY k, window_start, cnt`);
  return r.rows.map((x) => `${x.k}@${x.window_start}=${x.cnt}`);
}

async function duplicates(name: string): Promise<number> {
  const r = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT k, window_start FROM ${SCHEMA}.${name} GROUP BY 1, 2 HAVING count(*) > 1) d`);
  return Number(r.rows[0]?.n);
}

let reference: string[] = [];

test('reference run without failures', async () => {
  const r = await runChild(join(dir, 'ck-ref'), 'ref', 'normal');
  assert.equal(r.code, 0);
  reference = await table('ref');
  // Every record is counted once: the counts add up to the input.
  const total = reference.reduce((s, x) => s + Number(x.split('=')[1]), 0);
  assert.equal(total, RECORDS);
  assert.ok(reference.length >= KEYS * 3, `expected windows for every key, got ${reference.length}`);
});

test('20 SIGKILLs at random moments (one inside the commit transaction): the table equals the reference', { timeout: 80_000 }, async () => {
  const ckDir = join(dir, 'ck-kill');
  let kills = 0;
  // First a kill that lands while the sink's PostgreSQL transaction is open (before COMMIT).
  const inCommit = await runChild(ckDir, 'killed', 'slow-commit', { on: 'committing' });
  assert.equal(inCommit.signal, 'SIGKILL', 'killed inside the commit');
  kills++;
  // Then kills at random moments after each run's first completed checkpoint: every run makes
  // progress and is killed mid-run, independent of how fast the machine is.
  while (kills < 20) {
    const r = await runChild(ckDir, 'killed', 'kill-point', { on: 'kill-point' });
    if (r.signal === 'SIGKILL') kills++;
    else break; // finished before the kill landed
  }
  assert.equal(kills, 20, `every run was killed before it could finish (${kills} kills)`);
  const last = await runChild(ckDir, 'killed', 'normal');
  assert.equal(last.code, 0);
  assert.equal(await duplicates('killed'), 0);
  assert.deepEqual(await table('killed'), reference);
});

test('PostgreSQL terminating the sink connection mid-run loses and duplicates nothing', { timeout: 60_000 }, async () => {
  const app = `sluice-pgterm-${process.pid}`;
  let terminated = 0;
  let stop = false;
  const killer = (async () => {
    while (!stop) {
      const r = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE $1`, [`${app}-%`]);
      terminated += r.rowCount ?? 0;
      await new Promise((res) => setTimeout(res, 40));
    }
  })();
  const r = await runChild(join(dir, 'ck-term'), 'term', `app:${app}`);
  stop = true;
  await killer;
  assert.equal(r.code, 0);
  assert.ok(terminated >= 2, `the sink connection was terminated (${terminated} times)`);
  assert.equal(await duplicates('term'), 0);
  assert.deepEqual(await table('term'), reference);
});
