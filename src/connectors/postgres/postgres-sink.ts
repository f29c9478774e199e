// The PostgreSQL sink: records become rows (a column mapping), written by COPY .. FROM STDIN
// in append mode and by INSERT .. SELECT FROM unnest(one array per column) ON CONFLICT DO
// UPDATE in upsert mode (one statement and one round trip per `batchRows` rows, one parameter
// per column); `writeMethod: 'values'` (or a target COPY/unnest cannot serve: a view, an array
// column) uses multi-row INSERT .. VALUES instead.
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
// Rows are kept encoded (COPY text, array literals) from the moment they are sealed, so the
// checkpoint stores a few strings rather than one array per row, and a retried or restored
// commit sends exactly the bytes the first attempt sent.
// Without checkpoints (or exactlyOnce: false) rows are written as they arrive: at-least-once.
// The sink never changes session settings: durability (synchronous_commit) is the server's or
// the user's (connection `options`), see docs/connectors.md.
// May import: engine/sinks (types), connectors/shared, connectors/postgres, errors, pg.
import type pg from 'pg';
import type { Sink, SinkContext, SinkWriter } from '../../engine/sinks/sink.js';
import type { BackoffOptions } from '../shared/backoff.js';
import type { PgConnectionConfig } from './pg-session.js';
import { PgSession } from './pg-session.js';
import { copyFrom, splitPayload } from './pg-copy.js';
import { arrayLiteral, copyField, pgText } from './pg-text.js';
import { MAX_PARAMS, TABLE_INFO_SQL, checkpointTableSql, copySql, createTableSql, insertSql, parseTable, quoteIdent, unnestSql } from './sql.js';
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
  /**
   * 'bulk' (default): COPY FROM STDIN for appends into a table, one unnest statement per
   * `batchRows` rows for upserts. 'values': multi-row INSERT .. VALUES, for targets that need
   * INSERT itself (rules, views). 'bulk' falls back to 'values' for a view (append) or an array column (upsert).
   */
  readonly writeMethod?: 'bulk' | 'values';
  /** Rows per statement: default 10,000 for unnest upserts, 500 for INSERT .. VALUES (COPY sends a checkpoint or a write in one statement). */
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

/** Rows ready to send, in the form the statement that sends them takes. */
export type EncodedRows =
  /** COPY text (rows end in newlines), in order. */
  | { readonly kind: 'copy'; readonly rows: number; readonly text: readonly string[] }
  /** One unnest statement per batch; a batch holds one array literal per column. */
  | { readonly kind: 'unnest'; readonly rows: number; readonly batches: readonly (readonly string[])[] }
  /** Rows for INSERT .. VALUES. */
  | { readonly kind: 'values'; readonly rows: number; readonly values: readonly Row[] };

/** What checkpoint N stores for one subtask: the rows of every checkpoint not yet known committed. */
export interface PostgresCommittable {
  readonly subtask: number;
  readonly pending: { readonly checkpointId: number; readonly data: EncodedRows }[];
}

type Method = 'copy' | 'unnest' | 'values';

/** Text per COPY statement (~16 MB): a few seconds of server work at most. */
const COPY_STATEMENT_CHARS = 16 * 1024 * 1024;

export function postgresSink<T>(options: PostgresSinkOptions<T>): Sink<T> {
  const mode = options.mode ?? 'append';
  const keyColumns = options.keyColumns ?? [];
  if (mode === 'upsert' && keyColumns.length === 0) throw new SluiceError('INVALID_CONFIG', 'postgres sink: upsert mode needs keyColumns');
  const columns: string[] = Array.isArray(options.columns) ? [...(options.columns as readonly string[])] : Object.keys(options.columns);
  if (columns.length === 0) throw new SluiceError('INVALID_CONFIG', 'postgres sink: no columns');
  columns.forEach(quoteIdent);
  for (const k of keyColumns) if (!columns.includes(k)) throw new SluiceError('INVALID_CONFIG', `postgres sink: key column "${k}" is not among the columns`);
  if (options.writeMethod !== undefined && options.writeMethod !== 'bulk' && options.writeMethod !== 'values') {
    throw new SluiceError('INVALID_CONFIG', `postgres sink: writeMethod must be 'bulk' or 'values', got ${JSON.stringify(options.writeMethod)}`);
  }
  if (options.batchRows !== undefined && !(Number.isInteger(options.batchRows) && options.batchRows > 0)) {
    throw new SluiceError('INVALID_CONFIG', `postgres sink: batchRows must be a positive integer, got ${String(options.batchRows)}`);
  }
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
      try {
        await w.init();
      } catch (err) {
        await w.close(); // a writer that failed to start must not leave its connection open
        throw err;
      }
      return w;
    },
  };
}

class PostgresWriter<T> implements SinkWriter<T> {
  private readonly session: PgSession;
  private readonly exactlyOnce: boolean;
  private readonly sinkId: string;
  private readonly keyIdx: number[];
  private method: Method = 'values';
  private unnestStatement = '';
  private readonly copyStatement: string;
  /** exactly-once, copy: COPY text of the rows since the last barrier. */
  private copyText: string[] = [];
  private copyCount = 0;
  /** exactly-once, unnest / values: rows since the last barrier. */
  private buffer: Row[] = [];
  /** upsert: key -> index in buffer, so only the last row per key is kept (one statement may not touch a row twice). */
  private keyPos = new Map<string, number>();
  private pending: { checkpointId: number; data: EncodedRows }[] = [];
  private readonly sqlCache = new Map<number, string>();
  private tail: Promise<void> = Promise.resolve();

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
    this.keyIdx = shape.keyColumns.map((k) => shape.columns.indexOf(k));
    this.copyStatement = copySql(shape);
  }

  async init(): Promise<void> {
    await this.session.run('postgres sink setup', async (c) => {
      if (this.createSql) await ignoreCreateRace(c, this.createSql);
      if (this.exactlyOnce) await ignoreCreateRace(c, checkpointTableSql(this.ckTable));
      if (this.options.writeMethod !== 'values') await this.chooseMethod(c);
    });
    // Commit what the restored checkpoint sealed (idempotent: committed checkpoints are skipped).
    if (this.exactlyOnce) {
      for (const c of (this.ctx.restored ?? []) as (PostgresCommittable | null)[]) {
        if (!c) continue;
        for (const p of c.pending) await this.commitRows(c.subtask, p.checkpointId, p.data ?? legacyRows(p));
      }
    }
  }

  /** Kind of the target and each column's type; a missing table or column is a configuration error. */
  private async tableInfo(c: pg.Client): Promise<{ relkind: string; type: string; is_array: boolean }[]> {
    const r = await c.query<{ relkind: string; name: string | null; type: string | null; is_array: boolean | null }>(TABLE_INFO_SQL, [this.shape.table, this.shape.columns]);
    if (r.rows.length === 0) throw new SluiceError('INVALID_CONFIG', `postgres sink: table ${this.options.table} does not exist (create it, or pass createTable)`);
    const byName = new Map(r.rows.filter((x) => x.name !== null).map((x) => [x.name as string, x]));
    const missing = this.shape.columns.filter((col) => !byName.has(col));
    if (missing.length > 0) throw new SluiceError('INVALID_CONFIG', `postgres sink: table ${this.options.table} has no column(s) ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
    return this.shape.columns.map((col) => byName.get(col) as { relkind: string; type: string; is_array: boolean });
  }

  /** COPY needs a table (not a view); unnest needs the column types and no array column (it would flatten it). */
  private async chooseMethod(c: pg.Client): Promise<void> {
    const infos = await this.tableInfo(c);
    const relkind = (infos[0] as { relkind: string }).relkind;
    if (this.shape.mode === 'append') {
      if (relkind === 'r' || relkind === 'p') this.method = 'copy';
      return;
    }
    if (infos.some((x) => x.is_array)) return;
    this.method = 'unnest';
    this.unnestStatement = unnestSql(this.shape, infos.map((x) => x.type));
  }

  write(values: readonly T[]): void | Promise<void> {
    const upsert = this.shape.mode === 'upsert';
    if (this.method === 'copy') {
      const text = this.copyTextOf(values);
      if (this.exactlyOnce) {
        this.copyText.push(text);
        this.copyCount += values.length;
        return undefined;
      }
      return this.send({ kind: 'copy', rows: values.length, text: [text] });
    }
    const rows: Row[] = this.exactlyOnce ? this.buffer : [];
    const n = values.length;
    for (let i = 0; i < n; i++) {
      const row = this.rowOf(values[i] as T);
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
    return this.send(this.encode(upsert ? dedupeLast(rows, (r) => this.keyOf(r)) : rows));
  }

  /** at-least-once: one write at a time, in order (the runtime keeps several in flight). */
  private send(data: EncodedRows): Promise<void> {
    this.tail = this.tail.then(() => this.session.run('postgres sink write', (c) => this.writeData(c, data)));
    return this.tail;
  }

  private rowOf(v: T): Row {
    const ex = this.extract;
    const row: Row = new Array<unknown>(ex.length);
    try {
      for (let c = 0; c < ex.length; c++) row[c] = (ex[c] as (v: T) => unknown)(v);
    } catch (err) {
      throw mappingError(err);
    }
    return row;
  }

  /** COPY text of a batch, built without an intermediate row array. */
  private copyTextOf(values: readonly T[]): string {
    const ex = this.extract;
    const cols = ex.length;
    let out = '';
    try {
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as T;
        for (let c = 0; c < cols; c++) {
          if (c > 0) out += '\t';
          out += copyField((ex[c] as (v: T) => unknown)(v));
        }
        out += '\n';
      }
    } catch (err) {
      throw err instanceof SluiceError ? err : mappingError(err);
    }
    return out;
  }

  /** The key as the text PostgreSQL compares (1 and '1' are one key of an integer column). */
  private keyOf(row: Row): string {
    if (this.keyIdx.length === 1) {
      const t = pgText(row[this.keyIdx[0] as number]);
      return t === null ? '\u0000null' : t;
    }
    return JSON.stringify(this.keyIdx.map((i) => pgText(row[i])));
  }

  private encode(rows: Row[]): EncodedRows {
    if (this.method === 'unnest') {
      const step = this.options.batchRows ?? 10_000;
      const batches: string[][] = [];
      for (let from = 0; from < rows.length; from += step) {
        const to = Math.min(rows.length, from + step);
        batches.push(this.shape.columns.map((_, c) => arrayLiteral(rows, c, from, to)));
      }
      return { kind: 'unnest', rows: rows.length, batches };
    }
    return { kind: 'values', rows: rows.length, values: rows };
  }

  private sqlFor(rows: number): string {
    let s = this.sqlCache.get(rows);
    if (s === undefined) this.sqlCache.set(rows, (s = insertSql(this.shape, rows)));
    return s;
  }

  private async writeData(c: pg.Client, d: EncodedRows): Promise<void> {
    if (d.rows === 0) return;
    if (d.kind === 'copy') {
      // Several COPY statements for a big checkpoint, so none comes near the connection's query timeout.
      for (const group of splitPayload(d.text, COPY_STATEMENT_CHARS)) await copyFrom(c, this.copyStatement, group);
    } else if (d.kind === 'unnest') {
      if (!this.unnestStatement) this.unnestStatement = unnestSql(this.shape, (await this.tableInfo(c)).map((x) => x.type)); // restored from a run with writeMethod 'bulk'
      for (const b of d.batches) await c.query(this.unnestStatement, b as string[]);
    } else await this.insertValues(c, d.values);
  }

  private async insertValues(c: pg.Client, rows: readonly Row[]): Promise<void> {
    const step = Math.max(1, Math.min(this.options.batchRows ?? 500, Math.floor(MAX_PARAMS / this.shape.columns.length)));
    for (let from = 0; from < rows.length; from += step) {
      const to = Math.min(rows.length, from + step);
      const params: unknown[] = [];
      for (let r = from; r < to; r++) for (const v of rows[r] as Row) params.push(v === undefined ? null : v);
      await c.query(this.sqlFor(to - from), params);
    }
  }

  async preCommit(checkpointId: number): Promise<PostgresCommittable | null> {
    if (!this.exactlyOnce) {
      await this.tail; // at-least-once: everything written so far is in the table
      return null;
    }
    if (this.method === 'copy') {
      if (this.copyCount > 0) this.pending.push({ checkpointId, data: { kind: 'copy', rows: this.copyCount, text: this.copyText } });
      this.copyText = [];
      this.copyCount = 0;
    } else {
      if (this.buffer.length > 0) this.pending.push({ checkpointId, data: this.encode(this.buffer) });
      this.buffer = [];
      this.keyPos = new Map();
    }
    return { subtask: this.ctx.subtaskIndex, pending: this.pending.slice() };
  }

  async commit(checkpointId: number): Promise<void> {
    while (this.pending.length > 0 && (this.pending[0] as { checkpointId: number }).checkpointId <= checkpointId) {
      const p = this.pending[0] as { checkpointId: number; data: EncodedRows };
      await this.commitRows(this.ctx.subtaskIndex, p.checkpointId, p.data);
      this.pending.shift();
    }
  }

  /** One transaction: claim the checkpoint row (and forget old ones), write the rows, COMMIT; skipped when already claimed. */
  private async commitRows(subtask: number, checkpointId: number, data: EncodedRows): Promise<void> {
    await this.session.transaction(`postgres sink commit of checkpoint ${checkpointId}`, async (c) => {
      // The table needs only recent ids: a restore never goes further back than the latest checkpoints.
      const claim = await c.query(
        `WITH old AS (DELETE FROM ${this.ckTable} WHERE sink_id = $1 AND subtask = $2 AND checkpoint_id < $4) ` +
          `INSERT INTO ${this.ckTable} (sink_id, subtask, checkpoint_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [this.sinkId, subtask, checkpointId, checkpointId - 1000],
      );
      if (claim.rowCount === 0) return false; // committed by an earlier attempt
      await this.writeData(c, data);
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

/** A committable written before rows were kept encoded held `{ checkpointId, rows }`. */
function legacyRows(p: object): EncodedRows {
  const rows = (p as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) throw new SluiceError('INVALID_ARGUMENT', 'postgres sink: restored committable holds no rows');
  return { kind: 'values', rows: rows.length, values: rows as Row[] };
}

function mappingError(err: unknown): SluiceError {
  return new SluiceError('INVALID_ARGUMENT', `postgres sink: column mapping failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
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
