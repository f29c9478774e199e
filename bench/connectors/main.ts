// Connector benchmarks: PostgreSQL sink throughput (append and upsert, exactly-once on and
// off) against a plain `pg` multi-row INSERT loop writing the same rows in the same run, the
// same through a real pipeline with checkpoints (so the cost of storing the buffered rows in
// each checkpoint file and of the runtime is included), the checkpoint payload size per
// 10,000 rows, and HTTP ingest records/s and p99 request latency. Needs PostgreSQL at
// 127.0.0.1:5432 (db test).
// Run: npm run bench -- connectors [--quick] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { pack } from 'msgpackr';
import { parseBenchFlags, Reporter, median } from '../lib/runner.js';
import type { SinkContext } from '../../src/engine/sinks/sink.js';
import type { PostgresSinkOptions } from '../../src/connectors/postgres/postgres-sink.js';
import { postgresSink } from '../../src/connectors/postgres/postgres-sink.js';
import { pipeline } from '../../src/engine/api/pipeline.js';
import { generatorSource } from '../../src/engine/sources/generator-source.js';
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
/** Rows per statement of the plain loop: 1000 was the best of 250/500/1000 here, and what a hand-written loop typically uses. */
const BASELINE_BATCH = 1000;

interface Row {
  id: number;
  k: string;
  v: number;
}
// Upserts hit each key ~4 times over the run (never twice within 25,000 consecutive rows, so
// the sink's per-checkpoint deduplication removes nothing); appends write distinct rows.
const rowOf = (i: number): Row => ({ id: i, k: `key-${i % Math.ceil(ROWS / 4)}`, v: i * 0.5 });
const rows: Row[] = Array.from({ length: ROWS }, (_, i) => rowOf(i));

const admin = new pg.Client(CONN);
await admin.connect();
await admin.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
const syncCommit = (await admin.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]?.synchronous_commit;
if (!flags.json) console.log(`# PostgreSQL synchronous_commit = ${syncCommit} (the sink never changes it)`);

/** fillfactor < 100 leaves room on each page, so an update that changes no indexed column can be HOT (no new index entry). */
async function freshTable(name: string, upsert: boolean, fillfactor = 100): Promise<void> {
  await admin.query(`DROP TABLE IF EXISTS ${SCHEMA}.${name}`);
  await admin.query(`CREATE TABLE ${SCHEMA}.${name} (id integer, k text ${upsert ? 'PRIMARY KEY' : ''}, v double precision) WITH (fillfactor = ${fillfactor})`);
}

/** The table must hold exactly what the plain loop wrote: a fast sink that loses rows is no result. */
async function verify(table: string, mode: 'append' | 'upsert'): Promise<void> {
  const r = await admin.query<{ n: string; s: string }>(`SELECT count(*) AS n, sum(id)::text AS s FROM ${SCHEMA}.${table}`);
  const keys = Math.ceil(ROWS / 4);
  const n = mode === 'append' ? ROWS : keys;
  // upsert: the last write per key wins, i.e. ids ROWS-keys .. ROWS-1.
  const sum = mode === 'append' ? (ROWS * (ROWS - 1)) / 2 : (ROWS * (ROWS - 1)) / 2 - ((ROWS - keys) * (ROWS - keys - 1)) / 2;
  if (Number(r.rows[0]?.n) !== n || Number(r.rows[0]?.s) !== sum) throw new Error(`${table}: expected ${n} rows (sum ${sum}), found ${r.rows[0]?.n} (sum ${r.rows[0]?.s})`);
}

function sinkOptions(table: string, mode: 'append' | 'upsert', exactlyOnce: boolean, writeMethod: 'bulk' | 'values'): PostgresSinkOptions<Row> {
  return { connection: CONN, table: `${SCHEMA}.${table}`, columns: ['id', 'k', 'v'], mode, keyColumns: mode === 'upsert' ? ['k'] : [], exactlyOnce, writeMethod };
}

/** The sink's writer driven directly: batches of 1000, a checkpoint (preCommit + commit) every 10,000 rows. */
async function viaSink(mode: 'append' | 'upsert', exactlyOnce: boolean, run: number, writeMethod: 'bulk' | 'values' = 'bulk', fillfactor = 100): Promise<number> {
  const table = `s_${mode}_${exactlyOnce ? 'eo' : 'alo'}_${writeMethod}_${fillfactor}`;
  await freshTable(table, mode === 'upsert', fillfactor);
  const sink = postgresSink<Row>(sinkOptions(table, mode, exactlyOnce, writeMethod));
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
  await verify(table, mode);
  return (ROWS / dt) * 1000;
}

/**
 * A real job: generator source -> sink with a checkpoint (msgpack + fsync + rename of the
 * checkpoint file, then the sink's commit) after every 10,000-row source batch, the same
 * checkpoint size as the writer-driven case; a time-based interval would let one checkpoint
 * swallow most of the run and the upserts collapse per key, flattering the figure.
 */
async function viaPipeline(mode: 'append' | 'upsert', run: number): Promise<{ rate: number; checkpoints: number }> {
  const table = `p_${mode}`;
  await freshTable(table, mode === 'upsert');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-pg-'));
  try {
    const job = pipeline(`bench-pg-${mode}-${run}`, { batchSize: CHECKPOINT_EVERY, checkpoints: { every: 1, dir } });
    job.from(generatorSource<Row>({ count: ROWS, generate: rowOf }), { uid: 'gen' }).to(postgresSink<Row>(sinkOptions(table, mode, true, 'bulk')), { uid: 'pg' });
    const t0 = performance.now();
    const result = await job.run();
    const dt = performance.now() - t0;
    await verify(table, mode);
    return { rate: (ROWS / dt) * 1000, checkpoints: result.checkpoints };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A plain loop: multi-row INSERT .. VALUES of BASELINE_BATCH rows, autocommit, one connection. */
async function baseline(mode: 'append' | 'upsert', fillfactor = 100): Promise<number> {
  const table = `b_${mode}_${fillfactor}`;
  await freshTable(table, mode === 'upsert', fillfactor);
  const c = new pg.Client(CONN);
  await c.connect();
  const t0 = performance.now();
  for (let i = 0; i < ROWS; i += BASELINE_BATCH) {
    const chunk = rows.slice(i, i + BASELINE_BATCH);
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
  await verify(table, mode);
  return (ROWS / dt) * 1000;
}

/**
 * PostgreSQL's own ceiling: the same rows generated inside the server (generate_series), one
 * autocommitted statement per 10,000 rows as the sink commits them, no client work at all.
 */
async function serverOnly(mode: 'append' | 'upsert'): Promise<number> {
  const table = `x_${mode}`;
  await freshTable(table, mode === 'upsert');
  const keys = Math.ceil(ROWS / 4);
  // One statement may not touch a key twice (quick mode has fewer keys than a checkpoint has rows).
  const step = mode === 'upsert' ? Math.min(CHECKPOINT_EVERY, keys) : CHECKPOINT_EVERY;
  const t0 = performance.now();
  for (let i = 0; i < ROWS; i += step) {
    await admin.query(
      `INSERT INTO ${SCHEMA}.${table} (id, k, v) SELECT i, 'key-' || (i % ${keys}), i * 0.5 FROM generate_series(${i}, ${Math.min(ROWS, i + step) - 1}) i` +
        (mode === 'upsert' ? ' ON CONFLICT (k) DO UPDATE SET id = EXCLUDED.id, v = EXCLUDED.v' : ''),
    );
  }
  const dt = performance.now() - t0;
  await verify(table, mode);
  return (ROWS / dt) * 1000;
}

/** Bytes of one checkpoint's committable for 10,000 rows: encoded rows (now) vs one array per row (before). */
async function committableBytes(mode: 'append' | 'upsert'): Promise<{ now: number; before: number; packMs: number }> {
  const table = `c_${mode}`;
  await freshTable(table, mode === 'upsert');
  const w = await postgresSink<Row>(sinkOptions(table, mode, true, 'bulk')).createWriter({
    subtaskIndex: 0, parallelism: 1, jobName: 'bytes', resources: {}, uid: table, restored: undefined, attempt: 1, restoredCheckpointId: 0,
  });
  const slice = rows.slice(0, CHECKPOINT_EVERY);
  await w.write(slice, []);
  const c = await w.preCommit?.(1);
  const t0 = performance.now();
  const bytes = pack(c).length;
  const packMs = performance.now() - t0;
  await w.close();
  const before = pack({ subtask: 0, pending: [{ checkpointId: 1, rows: slice.map((r) => [r.id, r.k, r.v]) }] }).length;
  return { now: bytes, before, packMs };
}

const runs = flags.quick ? 1 : 5;
try {
  for (const mode of ['append', 'upsert'] as const) {
    const cases: { name: string; fn: (r: number) => Promise<number> }[] = [
      { name: 'exactly-once', fn: (r) => viaSink(mode, true, r) },
      { name: 'at-least-once', fn: (r) => viaSink(mode, false, r) },
      ...(flags.quick ? [] : [{ name: 'exactly-once, writeMethod values', fn: (r: number) => viaSink(mode, true, r, 'values') }]),
    ];
    const rates = cases.map(() => [] as number[]);
    const pipe: number[] = [];
    const cps: number[] = [];
    const base: number[] = [];
    const server: number[] = [];
    // Interleaved, so load from other processes on the machine hits every case alike.
    for (let r = 0; r < runs; r++) {
      base.push(await baseline(mode));
      server.push(await serverOnly(mode));
      for (let i = 0; i < cases.length; i++) (rates[i] as number[]).push(await (cases[i] as (typeof cases)[number]).fn(r));
      const p = await viaPipeline(mode, r);
      pipe.push(p.rate);
      cps.push(p.checkpoints);
    }
    const b = median(base);
    rep.report(`postgres ${mode} plain pg loop (${BASELINE_BATCH}-row INSERT, autocommit) ${ROWS} rows`, 'throughput', b, 'rows/s');
    rep.report(`postgres ${mode} server only (generate_series, a statement per checkpoint) ${ROWS} rows`, 'throughput', median(server), 'rows/s', b);
    for (let i = 0; i < cases.length; i++) rep.report(`postgres ${mode} ${(cases[i] as (typeof cases)[number]).name} ${ROWS} rows`, 'throughput', median(rates[i] as number[]), 'rows/s', b);
    rep.report(`postgres ${mode} exactly-once via pipeline, ${Math.round(median(cps))} checkpoints ${ROWS} rows`, 'throughput', median(pipe), 'rows/s', b);
    if (mode === 'upsert') {
      // The same upserts into a table with fillfactor 50 (a table setting, for the loop too).
      const ffBase: number[] = [];
      const ffSink: number[] = [];
      for (let r = 0; r < runs; r++) {
        ffBase.push(await baseline(mode, 50));
        ffSink.push(await viaSink(mode, true, r, 'bulk', 50));
      }
      const fb = median(ffBase);
      rep.report(`postgres upsert plain pg loop, table fillfactor 50 ${ROWS} rows`, 'throughput', fb, 'rows/s');
      rep.report(`postgres upsert exactly-once, table fillfactor 50 ${ROWS} rows`, 'throughput', median(ffSink), 'rows/s', fb);
    }
    const bytes = await committableBytes(mode);
    rep.report(`postgres ${mode} checkpoint payload per ${CHECKPOINT_EVERY} rows (msgpack)`, 'size', bytes.now, 'bytes', bytes.before);
    rep.report(`postgres ${mode} checkpoint payload per ${CHECKPOINT_EVERY} rows (msgpack)`, 'pack time', bytes.packMs, 'ms');
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
