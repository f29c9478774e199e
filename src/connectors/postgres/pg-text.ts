// Values as the text PostgreSQL parses, for the two bulk paths of the sink: COPY .. FROM STDIN
// text format (append) and array literals bound as ONE parameter per column (upsert through
// unnest). Conversion of a JS value to text is pg's own `prepareValue` (the rule pg applies to
// every bind parameter), so a Date, an object, an array or a Buffer lands exactly as it did
// through a multi-row INSERT; only the escaping differs per format.
// May import: errors, pg.
import { createRequire } from 'node:module';
import { SluiceError } from '../../errors.js';

const prepareValue = (createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue: (v: unknown) => unknown }).prepareValue;

/** The text PostgreSQL receives for `v` as a parameter; null for SQL NULL. */
export function pgText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v === null || v === undefined) return null;
  let p: unknown;
  try {
    p = prepareValue(v);
  } catch (err) {
    throw new SluiceError('INVALID_ARGUMENT', `postgres sink: value cannot be sent to PostgreSQL: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (p === null || p === undefined) return null;
  if (Buffer.isBuffer(p)) return `\\x${p.toString('hex')}`; // bytea hex input, what a binary parameter would carry
  return String(p);
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIAL_G = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One field of COPY text format: backslash, newline, CR and tab escaped; NULL is `\N`. */
export function copyField(v: unknown): string {
  const s = pgText(v);
  if (s === null) return '\\N';
  return COPY_SPECIAL.test(s) ? s.replace(COPY_SPECIAL_G, (c) => COPY_ESCAPES[c] as string) : s;
}

/** Rows [from, to) as COPY text: fields separated by tab, each row ended by a newline. */
export function copyRows(rows: readonly (readonly unknown[])[], from = 0, to = rows.length): string {
  let out = '';
  for (let r = from; r < to; r++) {
    const row = rows[r] as readonly unknown[];
    for (let c = 0; c < row.length; c++) {
      if (c > 0) out += '\t';
      out += copyField(row[c]);
    }
    out += '\n';
  }
  return out;
}

const ARRAY_SPECIAL = /["\\]/;
const ARRAY_SPECIAL_G = /["\\]/g;

/**
 * Column `col` of rows [from, to) as a one-dimensional array literal: every element quoted
 * (so "NULL", empty strings, braces and commas stay data), NULL unquoted. Finite numbers need
 * no quotes.
 */
export function arrayLiteral(rows: readonly (readonly unknown[])[], col: number, from = 0, to = rows.length): string {
  let out = '{';
  for (let r = from; r < to; r++) {
    if (r > from) out += ',';
    const v = (rows[r] as readonly unknown[])[col];
    if (typeof v === 'number' && Number.isFinite(v)) {
      out += String(v);
      continue;
    }
    const s = pgText(v);
    if (s === null) out += 'NULL';
    else out += `"${ARRAY_SPECIAL.test(s) ? s.replace(ARRAY_SPECIAL_G, (c) => `\\${c}`) : s}"`;
  }
  return out + '}';
}
