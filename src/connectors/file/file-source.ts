// Reads JSON-lines or CSV files: once (bounded) or followed like `tail -f` (fs.watch wakes the
// reader; no busy loop), optionally replayed at event-time pace (records are released by
// their event-time distance from the first one, divided by `speed`). Each file is a
// partition; subtask s reads files with index % parallelism == s. The position of a file is
// the byte offset after the last record delivered, so a checkpoint resumes exactly there. A
// line that is not JSON, or a CSV row with the wrong number of fields, goes to the dead-letter
// topic (engine/sources/dead-letters.ts) with the file, byte offset and reason, and the file reads on.
// May import: engine/sources (types, dead-letters), connectors/file, errors, node:fs.
import { promises as fsp, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Source, SourceBatch, SourceContext, SourceReader } from '../../engine/sources/source.js';
import type { DeadLetter } from '../../engine/sources/dead-letters.js';
import { DeadLetterWriter } from '../../engine/sources/dead-letters.js';
import { CsvReader } from './csv.js';
import { NO_TIMESTAMP } from '../../engine/time/watermark.js';
import { SluiceError } from '../../errors.js';

export interface FileSourceOptions<T> {
  readonly paths: readonly string[];
  /** Default 'jsonl'. */
  readonly format?: 'jsonl' | 'csv';
  /** CSV: first row names the fields (default true); records are objects then, else string arrays. */
  readonly header?: boolean;
  readonly delimiter?: string;
  /** Turns a parsed line (JSON value, CSV object or array) into a record; throw to dead-letter it. */
  readonly map?: (parsed: unknown) => T;
  /** Keep reading appended data forever (default false: end at the end of every file). */
  readonly follow?: boolean;
  /** Event time of a record (also used for replay pacing). */
  readonly timestampOf?: (value: T) => number;
  /** Release records at event-time pace (needs timestampOf); speed 2 = twice as fast. */
  readonly replay?: { readonly speed?: number };
  readonly deadLetterTopic?: string | false;
  /** Bytes read per call (default 256 KiB). */
  readonly readBytes?: number;
}

interface Pending<T> {
  value: T;
  ts: number;
  end: number;
}

class FileState<T> {
  position: number;
  /** Parsed records not delivered yet, with the byte offset after each. */
  readonly ready: Pending<T>[] = [];
  readPos: number;
  carry = Buffer.alloc(0);
  csv: CsvReader | undefined;
  header: string[] | undefined;
  eof = false;
  constructor(
    readonly path: string,
    position: number,
  ) {
    this.position = position;
    this.readPos = position;
  }
}

export function fileSource<T = unknown>(options: FileSourceOptions<T>): Source<T> {
  if (options.replay && !options.timestampOf) throw new SluiceError('INVALID_CONFIG', 'file source: replay needs timestampOf');
  return {
    name: `file:${options.paths.map((p) => basename(p)).join(',')}`,
    async createReader(ctx): Promise<SourceReader<T>> {
      const r = new FileReader<T>(options, ctx);
      await r.init();
      return r;
    },
  };
}

class FileReader<T> implements SourceReader<T> {
  private readonly files: FileState<T>[] = [];
  private readonly dlq = new Map<string, DeadLetterWriter>();
  private rr = 0;
  private watchers: FSWatcher[] = [];
  private wake: (() => void) | undefined;
  private changed = false;
  private replayBase: { wall: number; event: number } | undefined;

  constructor(
    private readonly options: FileSourceOptions<T>,
    private readonly ctx: SourceContext,
  ) {}

  partitions(): readonly string[] {
    return this.files.map((f) => f.path);
  }

  async init(): Promise<void> {
    const o = this.options;
    o.paths.forEach((path, i) => {
      if (i % this.ctx.parallelism !== this.ctx.subtaskIndex) return;
      const restored = this.ctx.restoredPositions?.[path];
      this.files.push(new FileState<T>(path, typeof restored === 'number' ? restored : 0));
      this.dlq.set(path, DeadLetterWriter.forSource(path, this.ctx, o.format ?? 'jsonl', o.deadLetterTopic));
    });
    for (const f of this.files) {
      if ((o.format ?? 'jsonl') === 'csv') {
        if (o.header ?? true) f.header = await this.readHeader(f.path);
        f.csv = new CsvReader(f.position, o.delimiter ?? ',');
        if (f.header && f.position === 0) f.csv = undefined; // the header row is skipped below
      }
    }
    if (o.follow) {
      const dirs = new Set(this.files.map((f) => dirname(f.path)));
      for (const d of dirs) {
        const w = watch(d, { persistent: false }, () => {
          this.changed = true;
          this.wake?.();
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      }
    }
  }

  private async readHeader(path: string): Promise<string[] | undefined> {
    const fh = await fsp.open(path, 'r').catch(() => undefined);
    if (!fh) return undefined;
    try {
      const r = new CsvReader(0, this.options.delimiter ?? ',');
      const buf = Buffer.alloc(64 * 1024);
      let pos = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) return r.end()[0]?.fields;
        pos += bytesRead;
        const rows = r.push(buf.subarray(0, bytesRead).toString('utf8'));
        if (rows[0]) return rows[0].fields;
      }
    } finally {
      await fh.close();
    }
  }

  /** Reads the next chunk of a file into parsed records; false when at its end. */
  private async fill(f: FileState<T>): Promise<boolean> {
    const fh = await fsp.open(f.path, 'r').catch(() => undefined);
    if (!fh) return false;
    let bytes: Buffer;
    try {
      const st = await fh.stat();
      if (st.size < f.readPos) throw new SluiceError('INVALID_ARGUMENT', `file source: ${f.path} shrank below the read position ${f.readPos} (truncated or replaced)`);
      if (st.size === f.readPos) return false;
      const n = Math.min(this.options.readBytes ?? 256 * 1024, st.size - f.readPos);
      bytes = Buffer.alloc(n);
      const { bytesRead } = await fh.read(bytes, 0, n, f.readPos);
      bytes = bytes.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
    const dead: DeadLetter[] = [];
    if ((this.options.format ?? 'jsonl') === 'csv') this.parseCsv(f, bytes, dead);
    else this.parseLines(f, bytes, dead);
    if (dead.length > 0) await this.dlq.get(f.path)?.write(dead);
    return true;
  }

  private accept(f: FileState<T>, parsed: unknown, start: number, end: number, raw: Buffer, dead: DeadLetter[]): void {
    try {
      const value = this.options.map ? this.options.map(parsed) : (parsed as T);
      const ts = this.options.timestampOf ? this.options.timestampOf(value) : NO_TIMESTAMP;
      f.ready.push({ value, ts, end });
    } catch (err) {
      dead.push({ key: null, value: raw, error: err, partition: f.path, offset: start });
      f.ready.push({ value: undefined as T, ts: Number.NaN, end }); // a skipped slot that still advances the position
    }
  }

  private parseLines(f: FileState<T>, bytes: Buffer, dead: DeadLetter[]): void {
    const buf = f.carry.length > 0 ? Buffer.concat([f.carry, bytes]) : bytes;
    const base = f.readPos - f.carry.length;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      const line = buf.subarray(start, nl);
      const text = line.toString('utf8').trim();
      if (text.length > 0) {
        let parsed: unknown;
        let ok = true;
        try {
          parsed = JSON.parse(text);
        } catch (err) {
          ok = false;
          dead.push({ key: null, value: Buffer.from(line), error: new SluiceError('DESERIALIZATION_FAILED', `not JSON: ${err instanceof Error ? err.message : String(err)}`, { details: { reason: 'NOT_JSON' } }), partition: f.path, offset: base + start });
          f.ready.push({ value: undefined as T, ts: Number.NaN, end: base + nl + 1 });
        }
        if (ok) this.accept(f, parsed, base + start, base + nl + 1, Buffer.from(line), dead);
      } else f.ready.push({ value: undefined as T, ts: Number.NaN, end: base + nl + 1 });
      start = nl + 1;
    }
    f.carry = Buffer.from(buf.subarray(start));
    f.readPos += bytes.length;
  }

  private parseCsv(f: FileState<T>, bytes: Buffer, dead: DeadLetter[]): void {
    // Whole UTF-8 characters only: hold back an incomplete tail sequence.
    const buf = f.carry.length > 0 ? Buffer.concat([f.carry, bytes]) : bytes;
    let cut = buf.length;
    for (let i = buf.length - 1; i >= Math.max(0, buf.length - 4); i--) {
      const b = buf[i] as number;
      if ((b & 0xc0) === 0x80) continue;
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      if (i + need > buf.length) cut = i;
      break;
    }
    f.carry = Buffer.from(buf.subarray(cut));
    f.readPos += bytes.length;
    const skipHeader = f.csv === undefined;
    f.csv ??= new CsvReader(f.readPos - bytes.length - (buf.length - bytes.length), this.options.delimiter ?? ',');
    let rows = f.csv.push(buf.subarray(0, cut).toString('utf8'));
    if (skipHeader && f.header) {
      const first = rows[0];
      if (first) f.ready.push({ value: undefined as T, ts: Number.NaN, end: first.end });
      rows = rows.slice(1);
    }
    for (const r of rows) {
      const raw = Buffer.from(r.fields.join(this.options.delimiter ?? ','));
      if (f.header) {
        if (r.fields.length !== f.header.length) {
          dead.push({ key: null, value: raw, error: new SluiceError('DESERIALIZATION_FAILED', `CSV row has ${r.fields.length} fields, the header ${f.header.length}`, { details: { reason: 'CSV_FIELD_COUNT' } }), partition: f.path, offset: r.start });
          f.ready.push({ value: undefined as T, ts: Number.NaN, end: r.end });
          continue;
        }
        const obj: Record<string, string> = {};
        f.header.forEach((h, i) => (obj[h] = r.fields[i] as string));
        this.accept(f, obj, r.start, r.end, raw, dead);
      } else this.accept(f, r.fields, r.start, r.end, raw, dead);
    }
  }

  async poll(maxRecords: number, timeoutMs: number): Promise<SourceBatch<T> | null | 'end'> {
    const n = this.files.length;
    for (let k = 0; k < n; k++) {
      const f = this.files[(this.rr + k) % n] as FileState<T>;
      if (f.ready.length === 0 && !(await this.fill(f))) {
        if (!this.options.follow && !f.eof) await this.finishFile(f);
        if (f.ready.length === 0) continue;
      }
      this.rr = (this.rr + k + 1) % n;
      return this.take(f, maxRecords, timeoutMs);
    }
    if (!this.options.follow) return 'end';
    // Nothing new anywhere: sleep until a watched directory changes (or the timeout).
    if (!this.changed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
    this.changed = false;
    return null;
  }

  /** End of a file read once: a last line without a line end is still a record. */
  private async finishFile(f: FileState<T>): Promise<void> {
    f.eof = true;
    const dead: DeadLetter[] = [];
    if (f.csv) {
      try {
        for (const r of f.csv.end()) this.accept(f, f.header ? Object.fromEntries(f.header.map((h, i) => [h, r.fields[i]])) : r.fields, r.start, r.end, Buffer.from(r.fields.join(',')), dead);
      } catch (err) {
        dead.push({ key: null, value: null, error: err, partition: f.path, offset: f.position });
        f.ready.push({ value: undefined as T, ts: Number.NaN, end: f.readPos });
      }
    } else if (f.carry.length > 0) {

      f.carry = Buffer.concat([f.carry, Buffer.from('\n')]);
      f.readPos += 1;
      this.parseLines(f, Buffer.alloc(0), dead);
      f.readPos -= 1;
      const last = f.ready[f.ready.length - 1];
      if (last && last.end > f.readPos) last.end = f.readPos;
    }
    if (dead.length > 0) await this.dlq.get(f.path)?.write(dead);
  }

  private async take(f: FileState<T>, maxRecords: number, timeoutMs: number): Promise<SourceBatch<T>> {
    let count = f.ready.length;
    const replay = this.options.replay;
    if (replay) {
      // Release only records whose event time is due (first record anchors the clock).
      const speed = replay.speed ?? 1;
      const now = Date.now();
      count = 0;
      let waitFor = Number.POSITIVE_INFINITY;
      for (const r of f.ready) {
        if (Number.isNaN(r.ts)) {
          count++;
          continue;
        }
        this.replayBase ??= { wall: now, event: r.ts };
        const due = this.replayBase.wall + (r.ts - this.replayBase.event) / speed;
        if (due > now) {
          waitFor = due - now;
          break;
        }
        count++;
      }
      if (count === 0) await new Promise((res) => setTimeout(res, Math.min(waitFor, timeoutMs)));
    }
    const slots = f.ready.splice(0, Math.min(count, maxRecords));
    const values: T[] = [];
    const timestamps: number[] = [];
    for (const s of slots) {
      if (Number.isNaN(s.ts)) continue;
      values.push(s.value);
      timestamps.push(s.ts);
    }
    const last = slots[slots.length - 1];
    if (last) f.position = last.end;
    return { partition: f.path, values, timestamps, position: f.position };
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.close();
    this.wake?.();
  }
}
