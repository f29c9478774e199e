// The PostgreSQL sink against the real server (127.0.0.1:5432, db `test`): append and upsert,
// the two-phase commit protocol driven by hand (as the runtime drives it), replays of a
// committed checkpoint writing nothing, and a connection killed inside the commit transaction.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { SinkContext, SinkWriter } from '../../engine/sinks/sink.js';
import type { PostgresCommittable } from './postgres-sink.js';
import { postgresSink } from './postgres-sink.js';

const CONN = { host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres', database: 'test' };
const SCHEMA = `sluice_pgsink_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
let admin: pg.Client;

before(async () => {
  admin = new pg.Client(CONN);
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${SCHEMA}`);
});
after(async () => {
  await admin.query(`DROP SCHEMA ${SCHEMA} CASCADE`);
  await admin.end();
});

function ctx(over: Partial<SinkContext> = {}): SinkContext {
  return { subtaskIndex: 0, parallelism: 1, jobName: 'job', resources: {}, uid: 'sink', restored: undefined, attempt: 1, restoredCheckpointId: 0, ...over };
}

interface Ev {
  k: string;
  n: number;
}

async function rows(table: string): Promise<{ k: string; n: number }[]> {
  return (await admin.query<{ k: string; n: number }>(`SELECT k, n FROM ${SCHEMA}.${table} ORDER BY k, n`)).rows;
}

test('append, exactly-once: rows appear only on commit; a replayed commit writes nothing twice', async () => {
  const sink = postgresSink<Ev>({ connection: CONN, table: `${SCHEMA}.app`, columns: ['k', 'n'], createTable: { columnTypes: { k: 'text', n: 'integer' } } });
  const w = await sink.createWriter(ctx());
  await w.write([{ k: 'a', n: 1 }, { k: 'b', n: 2 }], [0, 0]);
  assert.equal((await rows('app')).length, 0, 'nothing before the checkpoint');
  const c1 = (await w.preCommit!(1)) as PostgresCommittable;
  assert.equal((await rows('app')).length, 0, 'nothing before commit');
  await w.commit!(1);
  assert.deepEqual(await rows('app'), [{ k: 'a', n: 1 }, { k: 'b', n: 2 }]);
  await w.write([{ k: 'c', n: 3 }], [0]);
  const c2 = (await w.preCommit!(2)) as PostgresCommittable;
  await w.close(); // crash before commit(2)
  // Restore from checkpoint 2: its rows are committed by the new writer; checkpoint 1 again is skipped.
  const w2 = await sink.createWriter(ctx({ restored: [c1], restoredCheckpointId: 1, attempt: 2 }));
  const w3 = await sink.createWriter(ctx({ restored: [c2], restoredCheckpointId: 2, attempt: 3 }));
  const w4 = await sink.createWriter(ctx({ restored: [c2], restoredCheckpointId: 2, attempt: 4 }));
  assert.deepEqual(await rows('app'), [{ k: 'a', n: 1 }, { k: 'b', n: 2 }, { k: 'c', n: 3 }]);
  for (const x of [w2, w3, w4]) await x.close();
});

test('upsert, exactly-once: the last value per key wins, within and across checkpoints', async () => {
  const sink = postgresSink<Ev>({
    connection: CONN,
    table: `${SCHEMA}.ups`,
    mode: 'upsert',
    keyColumns: ['k'],
    columns: { k: (e) => e.k, n: (e) => e.n },
    createTable: { columnTypes: { k: 'text', n: 'integer' } },
  });
  const w = await sink.createWriter(ctx());
  await w.write([{ k: 'a', n: 1 }, { k: 'a', n: 2 }, { k: 'b', n: 1 }], [0, 0, 0]);
  await w.preCommit!(1);
  await w.commit!(1);
  await w.write([{ k: 'b', n: 5 }], [0]);
  await w.preCommit!(2);
  await w.commit!(2);
  assert.deepEqual(await rows('ups'), [{ k: 'a', n: 2 }, { k: 'b', n: 5 }]);
  await w.close();
});

test('at-least-once (no checkpoints): rows are written on write(), upserts deduplicated per batch', async () => {
  const sink = postgresSink<Ev>({ connection: CONN, table: `${SCHEMA}.alo`, mode: 'upsert', keyColumns: ['k'], columns: ['k', 'n'], createTable: { columnTypes: { k: 'text', n: 'integer' } } });
  const w: SinkWriter<Ev> = await sink.createWriter(ctx({ attempt: 0 }));
  await w.write([{ k: 'x', n: 1 }, { k: 'x', n: 9 }, { k: 'y', n: 2 }], [0, 0, 0]);
  assert.deepEqual(await rows('alo'), [{ k: 'x', n: 9 }, { k: 'y', n: 2 }]);
  assert.equal(await w.preCommit!(1), null);
  await w.close();
});

test('a connection terminated inside the commit transaction is retried and the rows land exactly once', async () => {
  let kills = 0;
  const appName = `sluice-term-${process.pid}`;
  const sink = postgresSink<Ev>({
    connection: CONN,
    table: `${SCHEMA}.term`,
    columns: ['k', 'n'],
    applicationName: appName,
    createTable: { columnTypes: { k: 'text', n: 'integer' } },
    retry: { initialDelayMs: 10 },
    async beforeCommit() {
      if (kills++ < 2) {
        const r = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`${appName}-0`]);
        assert.equal(r.rowCount, 1, 'the sink connection was found by its application_name');
      }
    },
  });
  const w = await sink.createWriter(ctx());
  const batch = Array.from({ length: 1200 }, (_, i) => ({ k: `k${i}`, n: i }));
  await w.write(batch, []);
  await w.preCommit!(7);
  await w.commit!(7);
  assert.equal(kills, 3, 'two killed attempts, then a successful one');
  const r = await admin.query<{ c: string; d: string }>(`SELECT count(*) c, count(DISTINCT k) d FROM ${SCHEMA}.term`);
  assert.deepEqual(r.rows[0], { c: '1200', d: '1200' });
  await w.close();
});

test('bad configuration is refused with a typed error', () => {
  assert.throws(() => postgresSink({ connection: CONN, table: 't', columns: ['a'], mode: 'upsert' }), { code: 'INVALID_CONFIG' });
  assert.throws(() => postgresSink({ connection: CONN, table: 'a.b.c', columns: ['a'] }), { code: 'INVALID_CONFIG' });
  assert.throws(() => postgresSink({ connection: CONN, table: 't', columns: ['a'], mode: 'upsert', keyColumns: ['z'] }), { code: 'INVALID_CONFIG' });
});

test('upsert through unnest: several statements per checkpoint (batchRows), awkward text, NULLs, a composite key', async () => {
  await admin.query(`CREATE TABLE ${SCHEMA}.comp (a text, b integer, n integer, note text, PRIMARY KEY (a, b))`);
  interface C {
    a: string;
    b: number;
    n: number;
    note: string | null;
  }
  const sink = postgresSink<C>({ connection: CONN, table: `${SCHEMA}.comp`, mode: 'upsert', keyColumns: ['a', 'b'], columns: ['a', 'b', 'n', 'note'], batchRows: 3 });
  const w = await sink.createWriter(ctx());
  const notes = ['x\ty', 'NULL', '{"q",}', '\\', null, 'line\nbreak'];
  const batch: C[] = [];
  for (let i = 0; i < 20; i++) batch.push({ a: `k${i % 7}`, b: i % 2, n: i, note: notes[i % notes.length] ?? null });
  await w.write(batch, []);
  await w.preCommit!(1);
  await w.commit!(1);
  const last = new Map<string, C>();
  for (const c of batch) last.set(`${c.a}/${c.b}`, c);
  const got = await admin.query<C>(`SELECT a, b, n, note FROM ${SCHEMA}.comp ORDER BY a, b`);
  assert.deepEqual(
    got.rows,
    [...last.values()].sort((x, y) => (x.a === y.a ? x.b - y.b : x.a < y.a ? -1 : 1)),
  );
  await w.close();
});

test('append into a view falls back to INSERT .. VALUES; upsert with an array column too; both land the rows', async () => {
  await admin.query(`CREATE TABLE ${SCHEMA}.base (k text, n integer)`);
  await admin.query(`CREATE VIEW ${SCHEMA}.v AS SELECT k, n FROM ${SCHEMA}.base`);
  const view = await postgresSink<Ev>({ connection: CONN, table: `${SCHEMA}.v`, columns: ['k', 'n'] }).createWriter(ctx());
  await view.write([{ k: 'a', n: 1 }, { k: 'b', n: 2 }], []);
  await view.preCommit!(1);
  await view.commit!(1);
  assert.deepEqual((await admin.query(`SELECT k, n FROM ${SCHEMA}.base ORDER BY k`)).rows, [{ k: 'a', n: 1 }, { k: 'b', n: 2 }]);
  await view.close();

  await admin.query(`CREATE TABLE ${SCHEMA}.arr (k text PRIMARY KEY, xs integer[])`);
  const arr = await postgresSink<{ k: string; xs: number[] }>({ connection: CONN, table: `${SCHEMA}.arr`, mode: 'upsert', keyColumns: ['k'], columns: ['k', 'xs'] }).createWriter(ctx());
  await arr.write([{ k: 'a', xs: [1, 2] }, { k: 'b', xs: [] }, { k: 'a', xs: [3] }], []);
  await arr.preCommit!(1);
  await arr.commit!(1);
  assert.deepEqual((await admin.query(`SELECT k, xs FROM ${SCHEMA}.arr ORDER BY k`)).rows, [{ k: 'a', xs: [3] }, { k: 'b', xs: [] }]);
  await arr.close();
});

test('a missing table or column is a typed INVALID_CONFIG at start, not a failed commit later', async () => {
  await assert.rejects(postgresSink<Ev>({ connection: CONN, table: `${SCHEMA}.absent`, columns: ['k', 'n'] }).createWriter(ctx()), { code: 'INVALID_CONFIG' });
  await admin.query(`CREATE TABLE ${SCHEMA}.cols (k text)`);
  await assert.rejects(postgresSink<Ev>({ connection: CONN, table: `${SCHEMA}.cols`, columns: ['k', 'n'] }).createWriter(ctx()), { code: 'INVALID_CONFIG', message: /"n"/ });
  assert.throws(() => postgresSink<Ev>({ connection: CONN, table: 't', columns: ['k'], batchRows: 0 }), { code: 'INVALID_CONFIG' });
});

test('a committable stored before rows were kept encoded ({checkpointId, rows}) is still committed on restore, once', async () => {
  await admin.query(`CREATE TABLE ${SCHEMA}.legacy (k text, n integer)`);
  const sink = postgresSink<Ev>({ connection: CONN, table: `${SCHEMA}.legacy`, columns: ['k', 'n'] });
  const old = { subtask: 0, pending: [{ checkpointId: 4, rows: [['p', 1], ['q', null]] }] };
  const w1 = await sink.createWriter(ctx({ restored: [old], restoredCheckpointId: 4, attempt: 2 }));
  const w2 = await sink.createWriter(ctx({ restored: [old], restoredCheckpointId: 4, attempt: 3 }));
  assert.deepEqual((await admin.query(`SELECT k, n FROM ${SCHEMA}.legacy ORDER BY k`)).rows, [{ k: 'p', n: 1 }, { k: 'q', n: null }]);
  for (const w of [w1, w2]) await w.close();
});

test('writeMethod values and bulk write the same table contents (append and upsert, exactly-once and not)', async () => {
  const events: Ev[] = Array.from({ length: 300 }, (_, i) => ({ k: `k${(i * 37) % 90}`, n: i }));
  const contents: string[] = [];
  for (const writeMethod of ['bulk', 'values'] as const) {
    for (const mode of ['append', 'upsert'] as const) {
      for (const attempt of [1, 0]) {
        const name = `same_${writeMethod}_${mode}_${attempt}`;
        await admin.query(`CREATE TABLE ${SCHEMA}.${name} (k text ${mode === 'upsert' ? 'PRIMARY KEY' : ''}, n integer)`);
        const w = await postgresSink<Ev>({ connection: CONN, table: `${SCHEMA}.${name}`, columns: ['k', 'n'], mode, keyColumns: mode === 'upsert' ? ['k'] : [], writeMethod }).createWriter(
          ctx({ attempt }),
        );
        for (let i = 0; i < events.length; i += 100) {
          await w.write(events.slice(i, i + 100), []);
          await w.preCommit!(i / 100 + 1);
          await w.commit!(i / 100 + 1);
        }
        await w.close();
        const r = await admin.query<{ s: string }>(`SELECT string_agg(k || '=' || n, ',' ORDER BY k, n) AS s FROM ${SCHEMA}.${name}`);
        contents.push(`${mode}:${r.rows[0]?.s}`);
      }
    }
  }
  // bulk/values x append/upsert x eo/alo: the 4 bulk tables equal the 4 values tables, in order.
  assert.deepEqual(contents.slice(0, 4), contents.slice(4));
  assert.equal(contents[0]?.split(',').length, 300);
  assert.equal(contents[2]?.split(',').length, 90);
});

test('checkpoints sealed with writeMethod bulk are committed by a restored writer configured with values', async () => {
  for (const mode of ['append', 'upsert'] as const) {
    const table = `${SCHEMA}.switch_${mode}`;
    await admin.query(`CREATE TABLE ${table} (k text ${mode === 'upsert' ? 'PRIMARY KEY' : ''}, n integer)`);
    const opts = { connection: CONN, table, columns: ['k', 'n'], mode, keyColumns: mode === 'upsert' ? ['k'] : [] };
    const w = await postgresSink<Ev>(opts).createWriter(ctx());
    await w.write([{ k: 'a', n: 1 }, { k: 'b', n: 2 }], []);
    const c1 = (await w.preCommit!(1)) as PostgresCommittable;
    assert.equal(c1.pending[0]?.data.kind, mode === 'append' ? 'copy' : 'unnest');
    await w.close(); // crash before commit(1)
    const w2 = await postgresSink<Ev>({ ...opts, writeMethod: 'values' }).createWriter(ctx({ restored: [c1], restoredCheckpointId: 1, attempt: 2 }));
    assert.deepEqual((await admin.query(`SELECT k, n FROM ${table} ORDER BY k`)).rows, [{ k: 'a', n: 1 }, { k: 'b', n: 2 }]);
    await w2.close();
  }
});
