// Connector benchmarks: PostgreSQL sink throughput (append and upsert, exactly-once on and
// off) against a plain `pg` multi-row INSERT loop writing the same rows in the same run, and
// HTTP ingest records/s and p99 request latency. Needs PostgreSQL at 127.0.0.1:5432 (db test).
// Run: npm run bench -- connectors [--quick] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { parseBenchFlags, Reporter, median } from '../lib/runner.js';
import type { SinkContext } from '../../src/engine/sinks/sink.js';
import { postgresSink } from '../../src/connectors/postgres/postgres-sink.js';
import { startHttpIngest } from '../../src/connectors/http/http-ingest.js';
import { Log } from '../../src/log/log.js';

const flags = parseBenchFlags();
const rep = new Reporter('connectors', flags);
rep.header();
const CONN = { host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres', database: 'test' };
const SCHEMA = `sluice_bench_${process.pid}`;
const ROWS = flags.quick ? 20_000 : 100_000;
const BATCH = 1000;
const CHECKPOINT_EVERY = 10_000;

interface Row {
  id: number;
  k: string;
  v: number;
}
// Upserts hit each key ~4 times, appends write distinct rows.
const rows: Row[] = Array.from({ length: ROWS }, (_, i) => ({ id: i, k: `key-${i % Math.ceil(ROWS / 4)}`, v: i * 0.5 }));

const admin = new pg.Client(CONN);
await admin.connect();
await admin.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);

async function freshTable(name: string, upsert: boolean): Promise<void> {
  await admin.query(`DROP TABLE IF EXISTS ${SCHEMA}.${name}`);
  await admin.query(`CREATE TABLE ${SCHEMA}.${name} (id integer, k text ${upsert ? 'PRIMARY KEY' : ''}, v double precision)`);
}

async function viaSink(mode: 'append' | 'upsert', exactlyOnce: boolean, run: number): Promise<number> {
  const table = `s_${mode}_${exactlyOnce ? 'eo' : 'alo'}`;
  await freshTable(table, mode === 'upsert');
  const sink = postgresSink<Row>({ connection: CONN, table: `${SCHEMA}.${table}`, columns: ['id', 'k', 'v'], mode, keyColumns: mode === 'upsert' ? ['k'] : [], exactlyOnce });
  const ctx: SinkContext = { subtaskIndex: 0, parallelism: 1, jobName: `bench${run}`, resources: {}, uid: table, restored: undefined, attempt: 1, restoredCheckpointId: 0 };
  const w = await sink.createWriter(ctx);
  const t0 = performance.now();
  let cp = 0;
  for (let i = 0; i < ROWS; i += BATCH) {
    await w.write(rows.slice(i, i + BATCH), []);
    if ((i + BATCH) % CHECKPOINT_EVERY === 0) {
      await w.preCommit?.(++cp);
      await w.commit?.(cp);
    }
  }
  await w.preCommit?.(++cp);
  await w.commit?.(cp);
  const dt = performance.now() - t0;
  await w.close();
  return (ROWS / dt) * 1000;
}

async function baseline(mode: 'append' | 'upsert'): Promise<number> {
  const table = `b_${mode}`;
  await freshTable(table, mode === 'upsert');
  const c = new pg.Client(CONN);
  await c.connect();
  const t0 = performance.now();
  for (let i = 0; i < ROWS; i += 500) {
    const chunk = rows.slice(i, i + 500);
    // One statement may not touch a key twice under ON CONFLICT: keep the last per key, as the sink does.
    const use = mode === 'upsert' ? [...new Map(chunk.map((r) => [r.k, r])).values()] : chunk;
    const params: unknown[] = [];
    const tuples = use.map((r, j) => {
      params.push(r.id, r.k, r.v);
      return `($${j * 3 + 1}, $${j * 3 + 2}, $${j * 3 + 3})`;
    });
    await c.query(
      `INSERT INTO ${SCHEMA}.${table} (id, k, v) VALUES ${tuples.join(', ')}${mode === 'upsert' ? ' ON CONFLICT (k) DO UPDATE SET id = EXCLUDED.id, v = EXCLUDED.v' : ''}`,
      params,
    );
  }
  const dt = performance.now() - t0;
  await c.end();
  return (ROWS / dt) * 1000;
}

const runs = flags.quick ? 1 : 3;
try {
  for (const mode of ['append', 'upsert'] as const) {
    for (const eo of [true, false]) {
      const sinkRates: number[] = [];
      const baseRates: number[] = [];
      for (let r = 0; r < runs; r++) {
        baseRates.push(await baseline(mode));
        sinkRates.push(await viaSink(mode, eo, r));
      }
      rep.report(`postgres ${mode} ${eo ? 'exactly-once' : 'at-least-once'} ${ROWS} rows`, 'throughput', median(sinkRates), 'rows/s', median(baseRates));
    }
  }
} finally {
  await admin.query(`DROP SCHEMA ${SCHEMA} CASCADE`);
  await admin.end();
}

// HTTP ingest: requests of 100 JSON records, 8 in flight, into a log topic (flush 'os').
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-http-'));
const log = await Log.open({ dataDir: dir, flush: { mode: 'os' } });
await log.createTopic('ingest', 4);
const server = await startHttpIngest({ log });
const REQUESTS = flags.quick ? 1000 : 5000;
const body = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ user: `u${i}`, page: '/home', ts: 1_700_000_000_000 + i })));
const lat: number[] = [];
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < REQUESTS) {
      next++;
      const s = performance.now();
      const r = await fetch(`${server.url}/topics/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`ingest answered ${r.status}`);
      lat.push(performance.now() - s);
    }
  }),
);
const secs = (performance.now() - t0) / 1000;
lat.sort((a, b) => a - b);
rep.report('http ingest 100 records/request, 8 in flight', 'throughput', (REQUESTS * 100) / secs, 'records/s');
rep.report('http ingest 100 records/request, 8 in flight', 'p99 latency', lat[Math.floor(lat.length * 0.99)] ?? 0, 'ms');
await server.close();
await log.close();
rmSync(dir, { recursive: true, force: true });
