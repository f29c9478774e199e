// SQL text for the PostgreSQL sink: quoted identifiers, COPY .. FROM STDIN (append),
// INSERT .. SELECT FROM unnest(one array parameter per column) ON CONFLICT DO UPDATE (upsert),
// the multi-row INSERT .. VALUES fallback, the catalog lookup of column types and the
// checkpoint table. Every value travels as data (a parameter or COPY data), never inside the text.
// May import: errors only.
import { SluiceError } from '../../errors.js';

/** PostgreSQL's limit on bind parameters in one statement. */
export const MAX_PARAMS = 65535;

export function quoteIdent(name: string): string {
  if (name.length === 0 || name.length > 63 || name.includes('\u0000')) {
    throw new SluiceError('INVALID_CONFIG', `not a valid PostgreSQL identifier: ${JSON.stringify(name)}`);
  }
  return `"${name.replace(/"/g, '""')}"`;
}

/** `table` or `schema.table` (no dots inside names) -> quoted, qualified name and its parts. */
export function parseTable(table: string): { schema: string | undefined; name: string; sql: string } {
  const parts = table.split('.');
  if (parts.length > 2) throw new SluiceError('INVALID_CONFIG', `table must be "name" or "schema.name", got ${JSON.stringify(table)}`);
  const [a, b] = parts as [string, string | undefined];
  return b === undefined ? { schema: undefined, name: a, sql: quoteIdent(a) } : { schema: a, name: b, sql: `${quoteIdent(a)}.${quoteIdent(b)}` };
}

export interface InsertShape {
  readonly table: string; // quoted, qualified
  readonly columns: readonly string[];
  readonly mode: 'append' | 'upsert';
  readonly keyColumns: readonly string[];
}

function conflictClause(shape: InsertShape): string {
  if (shape.mode !== 'upsert') return '';
  const keys = shape.keyColumns.map(quoteIdent).join(', ');
  const rest = shape.columns.filter((c) => !shape.keyColumns.includes(c));
  return rest.length === 0
    ? ` ON CONFLICT (${keys}) DO NOTHING`
    : ` ON CONFLICT (${keys}) DO UPDATE SET ${rest.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`;
}

/** COPY of the columns in text format (the default: tab-separated, `\N` for NULL). */
export function copySql(shape: InsertShape): string {
  return `COPY ${shape.table} (${shape.columns.map(quoteIdent).join(', ')}) FROM STDIN`;
}

/**
 * One statement for any number of rows: parameter i is column i as an array literal, cast to
 * the column's type (without typmod, so a too-long varchar still fails as an INSERT would
 * rather than being truncated by an explicit cast).
 */
export function unnestSql(shape: InsertShape, types: readonly string[]): string {
  const cols = shape.columns.map(quoteIdent).join(', ');
  const arrays = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  return `INSERT INTO ${shape.table} (${cols}) SELECT * FROM unnest(${arrays})${conflictClause(shape)}`;
}

/**
 * Kind of the relation and, per column, its type name and whether it is an array type
 * (unnest would flatten those). $1: the quoted, qualified table name; $2: column names.
 */
export const TABLE_INFO_SQL =
  `SELECT c.relkind::text AS relkind, a.attname AS name, format_type(a.atttypid, NULL) AS type, ` +
  `(t.typcategory = 'A' OR a.attndims > 0) AS is_array ` +
  `FROM pg_class c LEFT JOIN (pg_attribute a JOIN pg_type t ON t.oid = a.atttypid) ` +
  `ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY($2::text[]) ` +
  `WHERE c.oid = to_regclass($1)`;

/** INSERT of `rows` rows; upsert updates the non-key columns (or does nothing when every column is a key). */
export function insertSql(shape: InsertShape, rows: number): string {
  const cols = shape.columns.map(quoteIdent).join(', ');
  const n = shape.columns.length;
  const tuples: string[] = new Array<string>(rows);
  for (let r = 0; r < rows; r++) {
    const ps: string[] = new Array<string>(n);
    for (let c = 0; c < n; c++) ps[c] = `$${r * n + c + 1}`;
    tuples[r] = `(${ps.join(', ')})`;
  }
  return `INSERT INTO ${shape.table} (${cols}) VALUES ${tuples.join(', ')}${conflictClause(shape)}`;
}

export function createTableSql(table: string, columnTypes: Readonly<Record<string, string>>, columns: readonly string[], keyColumns: readonly string[]): string {
  const defs = columns.map((c) => {
    const type = columnTypes[c];
    if (!type || !/^[A-Za-z][A-Za-z0-9_ (),[\]]*$/.test(type)) {
      throw new SluiceError('INVALID_CONFIG', `createTable: column "${c}" needs a plain SQL type (got ${JSON.stringify(type)})`);
    }
    return `${quoteIdent(c)} ${type}`;
  });
  if (keyColumns.length > 0) defs.push(`PRIMARY KEY (${keyColumns.map(quoteIdent).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${table} (${defs.join(', ')})`;
}

export function checkpointTableSql(table: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${table} (sink_id text NOT NULL, subtask integer NOT NULL, checkpoint_id bigint NOT NULL, ` +
    `committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sink_id, subtask, checkpoint_id))`
  );
}
