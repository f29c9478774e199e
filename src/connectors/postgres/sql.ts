// SQL text for the PostgreSQL sink: quoted identifiers, multi-row INSERT (append), INSERT ..
// ON CONFLICT DO UPDATE (upsert) and the checkpoint table. Statements are built once per
// row count and reused, and every value travels as a bind parameter, never inside the text.
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
  let sql = `INSERT INTO ${shape.table} (${cols}) VALUES ${tuples.join(', ')}`;
  if (shape.mode === 'upsert') {
    const keys = shape.keyColumns.map(quoteIdent).join(', ');
    const rest = shape.columns.filter((c) => !shape.keyColumns.includes(c));
    sql +=
      rest.length === 0
        ? ` ON CONFLICT (${keys}) DO NOTHING`
        : ` ON CONFLICT (${keys}) DO UPDATE SET ${rest.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`;
  }
  return sql;
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
