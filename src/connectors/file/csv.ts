// A small, correct CSV reader and writer (RFC 4180): fields separated by a delimiter, quoted
// fields may hold delimiters, newlines and doubled quotes (""), CRLF or LF line ends. The
// reader is incremental: feed it chunks, it returns complete rows and keeps the unfinished
// tail, with the byte offset after every row so a file source can checkpoint positions.
// May import: errors only.
import { SluiceError } from '../../errors.js';

export interface CsvRow {
  readonly fields: string[];
  /** Byte offset just after this row's line end (where reading resumes). */
  readonly end: number;
  /** Byte offset where the row starts. */
  readonly start: number;
}

export class CsvReader {
  private pending = '';
  private pendingStart: number;

  constructor(
    startOffset = 0,
    private readonly delimiter = ',',
  ) {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new SluiceError('INVALID_CONFIG', `CSV delimiter must be one character other than a quote or a line end`);
    }
    this.pendingStart = startOffset;
  }

  /** Complete rows in `chunk` (UTF-8 text, whole characters) plus what was held back. */
  push(chunk: string): CsvRow[] {
    const text = this.pending + chunk;
    const rows: CsvRow[] = [];
    let rowStart = 0;
    let offset = this.pendingStart; // byte offset of text[rowStart]
    let i = 0;
    const n = text.length;
    const d = this.delimiter;
    let fields: string[] = [];
    let field = '';
    let inQuotes = false;
    let quoted = false;
    while (i < n) {
      const ch = text[i] as string;
      if (inQuotes) {
        if (ch === '"') {
          if (i + 1 >= n) break; // cannot tell "" from a closing quote yet
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          inQuotes = false;
          i++;
          continue;
        }
        field += ch;
        i++;
        continue;
      }
      if (ch === '"' && field.length === 0 && !quoted) {
        inQuotes = true;
        quoted = true;
        i++;
      } else if (ch === d) {
        fields.push(field);
        field = '';
        quoted = false;
        i++;
      } else if (ch === '\n' || ch === '\r') {
        let next = i + 1;
        if (ch === '\r') {
          if (next >= n) break; // a CR at the end of the chunk may be half of CRLF
          if (text[next] === '\n') next++;
        }
        fields.push(field);
        const bytes = Buffer.byteLength(text.slice(rowStart, next));
        rows.push({ fields, start: offset, end: offset + bytes });
        offset += bytes;
        fields = [];
        field = '';
        quoted = false;
        i = next;
        rowStart = next;
      } else {
        field += ch;
        i++;
      }
    }
    this.pending = text.slice(rowStart);
    this.pendingStart = offset;
    return rows;
  }

  /** End of input: a last line without a line end is a row too; an open quote throws. */
  end(): CsvRow[] {
    if (this.pending.length === 0) return [];
    const start = this.pendingStart;
    const rows = this.push('\n');
    if (rows.length === 0) {
      this.pending = '';
      throw new SluiceError('DESERIALIZATION_FAILED', `CSV: unterminated quoted field in the row at byte ${start}`, { details: { start } });
    }
    const last = rows[rows.length - 1];
    // The synthetic line end is not in the file.
    if (last) rows[rows.length - 1] = { ...last, end: last.end - 1 };
    this.pending = '';
    return rows;
  }

  /** True while an unterminated quoted field is being held back. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }
}

/** Parses a whole CSV text; throws when a quoted field never closes. */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const r = new CsvReader(0, delimiter);
  const rows = r.push(text);
  return [...rows, ...r.end()].map((x) => x.fields);
}

/** One CSV line (with LF) for the values; quotes fields that need it. */
export function formatCsvRow(values: readonly unknown[], delimiter = ','): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += delimiter;
    const v = values[i];
    const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    out += s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
  }
  return `${out}\n`;
}
