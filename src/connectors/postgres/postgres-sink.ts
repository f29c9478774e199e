// The PostgreSQL sink: records become rows (a column mapping), written by multi-row INSERTs
// in append mode or INSERT .. ON CONFLICT DO UPDATE in upsert mode.
//
// Exactly-once (the default when the job checkpoints): rows are buffered until the checkpoint
// barrier; preCommit(N) seals them into the committable, which is stored IN checkpoint N;
// commit(N) (checkpoint N is durable) writes the rows and the row (sink_id, subtask, N) of
// `sluice_sink_checkpoints` in ONE transaction that starts by inserting that checkpoint row
// (ON CONFLICT DO NOTHING): if it already exists, the rows were committed before and the
// transaction rolls back. A restored job commits the committables of its checkpoint again,
// so every crash point is covered:
//  - before checkpoint N is durable: the job restores N-1 and replays; nothing of N was written;
//  - after N is durable, before or during the PostgreSQL COMMIT: the restored job writes N;
//  - after the COMMIT, before the runtime moved on: the restored job finds N and skips it.
// A lost connection (even during COMMIT, outcome unknown) is retried on a new connection with
// backoff; the checkpoint row makes the retry idempotent. A concurrent zombie transaction for
// the same checkpoint blocks on the checkpoint row's primary key until it ends.
// Without checkpoints (or exactlyOnce: false) rows are written as they arrive: at-least-once.
// May import: engine/sinks (types), connectors/shared, connectors/postgres, errors, pg.
import type pg from 'pg';
import type { Sink, SinkContext, SinkWriter } from '../../engine/sinks/sink.js';
import type { BackoffOptions } from '../shared/backoff.js';
import type { PgConnectionConfig } from './pg-session.js';
import { PgSession } from './pg-session.js';
import { MAX_PARAMS, checkpointTableSql, createTableSql, insertSql, parseTable, quoteIdent } from './sql.js';
import { SluiceError } from '../../errors.js';

export interface PostgresSinkOptions<T> {
  readonly connection: PgConnectionConfig;
  /** `table` or `schema.table`. */
  readonly table: string;
  /** Column -> value of a record; or a list of field names read from the record as-is. */
  readonly columns: Readonly<Record<string, (value: T) => unknown>> | readonly string[];
  /** Default 'append'. */
  readonly mode?: 'append' | 'upsert';
  /** Conflict target of upsert mode (a primary key or unique index on these columns). */
  readonly keyColumns?: readonly string[];
  /** CREATE TABLE IF NOT EXISTS with these column types (primary key = keyColumns). */
  readonly createTable?: { readonly columnTypes: Readonly<Record<string, string>> };
  /** Default true; takes effect only when the job checkpoints. */
  readonly exactlyOnce?: boolean;
  /** Rows per INSERT statement (default 500). */
  readonly batchRows?: number;
  /** Identity in the checkpoint table (default `<job>/<sink uid>/<table>`). */
  readonly sinkId?: string;
  /** Default `sluice_sink_checkpoints`, in the target table's schema. */
  readonly checkpointTable?: string;
  /** Default `sluice-sink`; the subtask index is appended (`<name>-<subtask>`), so operators can find the connection. */
  readonly applicationName?: string;
  readonly retry?: BackoffOptions;
  /** Test hook: runs inside the commit transaction just before COMMIT. */
  readonly beforeCommit?: (checkpointId: number) => Promise<void>;
}

type Row = unknown[];

/** What checkpoint N stores for one subtask: the rows of every checkpoint not yet known committed. */
export interface PostgresCommittable {
  readonly subtask: number;
  readonly pending: { readonly checkpointId: number; readonly rows: Row[] }[];
}

export function postgresSink<T>(options: PostgresSinkOptions<T>): Sink<T> {
  const mode = options.mode ?? 'append';
  const keyColumns = options.keyColumns ?? [];
  if (mode === 'upsert' && keyColumns.length === 0) throw new SluiceError('INVALID_CONFIG', 'postgres sink: upsert mode needs keyColumns');
  const columns: string[] = Array.isArray(options.columns) ? [...(options.columns as readonly string[])] : Object.keys(options.columns);
  if (columns.length === 0) throw new SluiceError('INVALID_CONFIG', 'postgres sink: no columns');
  columns.forEach(quoteIdent);
  for (const k of keyColumns) if (!columns.includes(k)) throw new SluiceError('INVALID_CONFIG', `postgres sink: key column "${k}" is not among the columns`);
  const extract: ((v: T) => unknown)[] = Array.isArray(options.columns)
    ? columns.map((c) => (v: T) => (v as Record<string, unknown>)[c])
    : columns.map((c) => (options.columns as Record<string, (v: T) => unknown>)[c] as (v: T) => unknown);
  const target = parseTable(options.table);
  const ckName = options.checkpointTable ?? 'sluice_sink_checkpoints';
  const ckTable = target.schema === undefined ? quoteIdent(ckName) : `${quoteIdent(target.schema)}.${quoteIdent(ckName)}`;
  const createSql = options.createTable ? createTableSql(target.sql, options.createTable.columnTypes, columns, keyColumns) : undefined;
  return {
    name: `postgres:${options.table}`,
    async createWriter(ctx): Promise<SinkWriter<T>> {
      const w = new PostgresWriter<T>(options, ctx, { table: target.sql, columns, mode, keyColumns }, extract, ckTable, createSql);
      await w.init();
      return w;
    },
  };
}

class PostgresWriter<T> implements SinkWriter<T> {
  private readonly session: PgSession;
  private readonly exactlyOnce: boolean;
  private readonly sinkId: string;
  private readonly rowsPerStatement: number;
  private readonly keyIdx: number[];
  private buffer: Row[] = [];
  /** upsert: key -> index in buffer, so only the last row per key is kept (one statement may not touch a row twice). */
  private keyPos = new Map<string, number>();
  private pending: { checkpointId: number; rows: Row[] }[] = [];
  private readonly sqlCache = new Map<number, string>();

  constructor(
    private readonly options: PostgresSinkOptions<T>,
    private readonly ctx: SinkContext,
    private readonly shape: { table: string; columns: string[]; mode: 'append' | 'upsert'; keyColumns: readonly string[] },
    private readonly extract: ((v: T) => unknown)[],
    private readonly ckTable: string,
    private readonly createSql: string | undefined,
  ) {
    this.exactlyOnce = (options.exactlyOnce ?? true) && ctx.attempt > 0;
    this.sinkId = options.sinkId ?? `${ctx.jobName}/${ctx.uid}/${options.table}`;
    this.session = new PgSession(options.connection, `${options.applicationName ?? 'sluice-sink'}-${ctx.subtaskIndex}`, options.retry ?? {});
    this.rowsPerStatement = Math.max(1, Math.min(options.batchRows ?? 500, Math.floor(MAX_PARAMS / shape.columns.length)));
    this.keyIdx = shape.keyColumns.map((k) => shape.columns.indexOf(k));
  }

  async init(): Promise<void> {
    await this.session.run('postgres sink setup', async (c) => {
      if (this.createSql) await ignoreCreateRace(c, this.createSql);
      if (this.exactlyOnce) await ignoreCreateRace(c, checkpointTableSql(this.ckTable));
    });
    // Commit what the restored checkpoint sealed (idempotent: committed checkpoints are skipped).
    if (this.exactlyOnce) {
      for (const c of (this.ctx.restored ?? []) as (PostgresCommittable | null)[]) {
        if (!c) continue;
        for (const p of c.pending) await this.commitRows(c.subtask, p.checkpointId, p.rows);
      }
    }
  }

  write(values: readonly T[]): void | Promise<void> {
    const n = values.length;
    const ex = this.extract;
    const upsert = this.shape.mode === 'upsert';
    const rows: Row[] = this.exactlyOnce ? this.buffer : [];
    for (let i = 0; i < n; i++) {
      const v = values[i] as T;
      const row: Row = new Array<unknown>(ex.length);
      try {
        for (let c = 0; c < ex.length; c++) row[c] = normalize((ex[c] as (v: T) => unknown)(v));
      } catch (err) {
        throw new SluiceError('INVALID_ARGUMENT', `postgres sink: column mapping failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (upsert && this.exactlyOnce) {
        const key = this.keyOf(row);
        const at = this.keyPos.get(key);
        if (at !== undefined) {
          rows[at] = row;
          continue;
        }
        this.keyPos.set(key, rows.length);
      }
      rows.push(row);
    }
    if (this.exactlyOnce) return undefined;
    // One write at a time, in order (the runtime keeps several in flight).
    const batch = upsert ? dedupeLast(rows, (r) => this.keyOf(r)) : rows;
    this.tail = this.tail.then(() => this.session.run('postgres sink write', (c) => this.insertRows(c, batch)));
    return this.tail;
  }

  private tail: Promise<void> = Promise.resolve();

  private keyOf(row: Row): string {
    return this.keyIdx.length === 1 ? JSON.stringify(row[this.keyIdx[0] as number]) : JSON.stringify(this.keyIdx.map((i) => row[i]));
  }

  private sqlFor(rows: number): string {
    let s = this.sqlCache.get(rows);
    if (s === undefined) this.sqlCache.set(rows, (s = insertSql(this.shape, rows)));
    return s;
  }

  private async insertRows(c: pg.Client, rows: readonly Row[]): Promise<void> {
    const step = this.rowsPerStatement;
    for (let from = 0; from < rows.length; from += step) {
      const to = Math.min(rows.length, from + step);
      const params: unknown[] = [];
      for (let r = from; r < to; r++) for (const v of rows[r] as Row) params.push(v);
      await c.query(this.sqlFor(to - from), params);
    }
  }

  async preCommit(checkpointId: number): Promise<PostgresCommittable | null> {
    if (!this.exactlyOnce) {
      await this.tail; // at-least-once: everything written so far is in the table
      return null;
    }
    if (this.buffer.length > 0) this.pending.push({ checkpointId, rows: this.buffer });
    this.buffer = [];
    this.keyPos = new Map();
    return { subtask: this.ctx.subtaskIndex, pending: this.pending.slice() };
  }

  async commit(checkpointId: number): Promise<void> {
    while (this.pending.length > 0 && (this.pending[0] as { checkpointId: number }).checkpointId <= checkpointId) {
      const p = this.pending[0] as { checkpointId: number; rows: Row[] };
      await this.commitRows(this.ctx.subtaskIndex, p.checkpointId, p.rows);
      this.pending.shift();
    }
  }

  /** One transaction: claim the checkpoint row, write the rows, COMMIT; skipped when already claimed. */
  private async commitRows(subtask: number, checkpointId: number, rows: Row[]): Promise<void> {
    await this.session.transaction(`postgres sink commit of checkpoint ${checkpointId}`, async (c) => {
      const claim = await c.query(`INSERT INTO ${this.ckTable} (sink_id, subtask, checkpoint_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        this.sinkId,
        subtask,
        checkpointId,
      ]);
      if (claim.rowCount === 0) return false; // committed by an earlier attempt
      await this.insertRows(c, rows);
      // The table needs only recent ids: a restore never goes further back than the latest checkpoints.
      await c.query(`DELETE FROM ${this.ckTable} WHERE sink_id = $1 AND subtask = $2 AND checkpoint_id < $3`, [this.sinkId, subtask, checkpointId - 1000]);
      if (this.options.beforeCommit) await this.options.beforeCommit(checkpointId);
      return true;
    });
  }

  async finish(): Promise<void> {
    await this.tail;
  }

  async close(): Promise<void> {
    await this.tail.catch(() => undefined);
    await this.session.close();
  }
}

async function ignoreCreateRace(c: pg.Client, sql: string): Promise<void> {
  try {
    await c.query(sql);
  } catch (err) {
    // Concurrent CREATE TABLE IF NOT EXISTS can collide on the catalog: the table exists, fine.
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P07') throw err;
  }
}

/** Values pg sends as text parameters; undefined becomes NULL. */
function normalize(v: unknown): unknown {
  return v === undefined ? null : v;
}

function dedupeLast(rows: Row[], keyOf: (r: Row) => string): Row[] {
  const pos = new Map<string, number>();
  const out: Row[] = [];
  for (const r of rows) {
    const k = keyOf(r);
    const at = pos.get(k);
    if (at === undefined) {
      pos.set(k, out.length);
      out.push(r);
    } else out[at] = r;
  }
  return out;
}
