// Writes records as JSON lines or CSV into rolling files of a directory.
//
// Exactly-once (when the job checkpoints): each subtask writes to a hidden in-progress file
// (`.part-<subtask>-<attempt>-<n>.jsonl.inprogress`); a file rolls when it reaches rollBytes
// or rollMs, and at every checkpoint barrier. preCommit(N) fsyncs and closes the open file
// and returns the sealed files (in-progress name -> final name) into checkpoint N; commit(N)
// renames them to their final names and fsyncs the directory. Readers list only final names,
// so they never see partial content. On restore, the restored checkpoint's files are renamed
// again when still in progress (rename is idempotent: done when the final name exists), then
// every other in-progress file of this subtask's share (leftovers of the crashed attempt,
// whose records the restored job replays) is deleted: no partial and no duplicate content.
// Without checkpoints files are renamed when they roll and when the job finishes.
// May import: engine/sinks (types), connectors/file, errors, node:fs.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Sink, SinkContext, SinkWriter } from '../../engine/sinks/sink.js';
import { formatCsvRow } from './csv.js';
import { SluiceError } from '../../errors.js';

export interface FileSinkOptions<T> {
  readonly dir: string;
  /** Default 'jsonl'. */
  readonly format?: 'jsonl' | 'csv';
  /** CSV columns: field names, or column -> value of a record. Required for CSV. */
  readonly columns?: readonly string[] | Readonly<Record<string, (value: T) => unknown>>;
  /** CSV: write a header row at the top of every file (default true). */
  readonly header?: boolean;
  readonly delimiter?: string;
  /** File name prefix (default 'part'). */
  readonly prefix?: string;
  /** Roll when a file reaches this size (default 64 MiB). */
  readonly rollBytes?: number;
  /** Roll when a file is this old (checked on each write; default none). */
  readonly rollMs?: number;
  /** Default true; takes effect only when the job checkpoints. */
  readonly exactlyOnce?: boolean;
}

interface Sealed {
  readonly tmp: string;
  readonly final: string;
}

export interface FileCommittable {
  readonly subtask: number;
  readonly files: readonly Sealed[];
}

const IN_PROGRESS = /^\.(.+)-(\d+)-(\d+)-(\d+)(\.[a-z]+)\.inprogress$/;

export function fileSink<T>(options: FileSinkOptions<T>): Sink<T> {
  const format = options.format ?? 'jsonl';
  let encode: (v: T) => string;
  let headerLine: string | undefined;
  if (format === 'csv') {
    const cols = options.columns;
    if (!cols) throw new SluiceError('INVALID_CONFIG', 'file sink: CSV needs columns');
    const names = Array.isArray(cols) ? [...(cols as readonly string[])] : Object.keys(cols);
    const getters = Array.isArray(cols)
      ? names.map((n) => (v: T) => (v as Record<string, unknown>)[n])
      : names.map((n) => (cols as Record<string, (v: T) => unknown>)[n] as (v: T) => unknown);
    const d = options.delimiter ?? ',';
    encode = (v) => formatCsvRow(getters.map((g) => g(v)), d);
    if (options.header ?? true) headerLine = formatCsvRow(names, d);
  } else {
    encode = (v) => `${JSON.stringify(v)}\n`;
  }
  const prefix = options.prefix ?? 'part';
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix) || prefix.startsWith('.')) throw new SluiceError('INVALID_CONFIG', `file sink: bad prefix ${JSON.stringify(prefix)}`);
  return {
    name: `file:${options.dir}`,
    async createWriter(ctx): Promise<SinkWriter<T>> {
      await fsp.mkdir(options.dir, { recursive: true });
      const w = new FileWriter<T>(options, ctx, encode, headerLine, prefix, format === 'csv' ? '.csv' : '.jsonl');
      await w.recover();
      return w;
    },
  };
}

class FileWriter<T> implements SinkWriter<T> {
  private readonly exactlyOnce: boolean;
  private current: { fh: fsp.FileHandle; tmp: string; final: string; bytes: number; openedAt: number } | undefined;
  private seq = 0;
  /** Sealed files per checkpoint not yet committed (in order). */
  private sealed: Sealed[] = [];
  private pending: { checkpointId: number; files: Sealed[] }[] = [];
  private readonly rollBytes: number;

  constructor(
    private readonly options: FileSinkOptions<T>,
    private readonly ctx: SinkContext,
    private readonly encode: (v: T) => string,
    private readonly headerLine: string | undefined,
    private readonly prefix: string,
    private readonly ext: string,
  ) {
    this.exactlyOnce = (options.exactlyOnce ?? true) && ctx.attempt > 0;
    this.rollBytes = Math.max(1, options.rollBytes ?? 64 * 1024 * 1024);
  }

  async recover(): Promise<void> {
    const dir = this.options.dir;
    for (const c of (this.ctx.restored ?? []) as (FileCommittable | null)[]) if (c) await this.renameAll(c.files);
    // Leftovers of crashed attempts in this subtask's share of old subtasks (old k -> new k % parallelism).
    for (const name of await fsp.readdir(dir)) {
      const m = IN_PROGRESS.exec(name);
      if (!m || m[1] !== this.prefix || m[5] !== this.ext) continue;
      if (Number(m[2]) % this.ctx.parallelism !== this.ctx.subtaskIndex) continue;
      await fsp.rm(join(dir, name), { force: true });
    }
    if ((this.ctx.restored ?? []).length > 0) await syncDir(dir);
  }

  private async open(): Promise<NonNullable<FileWriter<T>['current']>> {
    const base = `${this.prefix}-${this.ctx.subtaskIndex}-${this.ctx.attempt}-${this.seq++}${this.ext}`;
    const tmp = join(this.options.dir, `.${base}.inprogress`);
    const fh = await fsp.open(tmp, 'w');
    const cur = { fh, tmp, final: join(this.options.dir, base), bytes: 0, openedAt: Date.now() };
    if (this.headerLine) {
      await fh.write(this.headerLine);
      cur.bytes += Buffer.byteLength(this.headerLine);
    }
    this.current = cur;
    return cur;
  }

  /** Writes run one after another (the runtime keeps several in flight); the text is encoded at once because the arrays are borrowed. */
  private tail: Promise<void> = Promise.resolve();

  write(values: readonly T[]): Promise<void> {
    let text = '';
    for (let i = 0; i < values.length; i++) text += this.encode(values[i] as T);
    if (text.length === 0) return this.tail;
    this.tail = this.tail.then(() => this.append(Buffer.from(text)));
    return this.tail;
  }

  private async append(buf: Buffer): Promise<void> {
    let cur = this.current ?? (await this.open());
    if (this.options.rollMs !== undefined && Date.now() - cur.openedAt >= this.options.rollMs && cur.bytes > 0) {
      await this.seal();
      cur = await this.open();
    }
    await cur.fh.write(buf);
    cur.bytes += buf.length;
    if (cur.bytes >= this.rollBytes) await this.seal();
  }

  /** Closes the open file (fsynced) and queues it for the next commit (or renames it now without exactly-once). */
  private async seal(): Promise<void> {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    await cur.fh.sync();
    await cur.fh.close();
    const s = { tmp: cur.tmp, final: cur.final };
    if (this.exactlyOnce) this.sealed.push(s);
    else await this.renameAll([s]);
  }

  async preCommit(checkpointId: number): Promise<FileCommittable | null> {
    await this.tail;
    await this.seal();
    if (!this.exactlyOnce) return null;
    if (this.sealed.length > 0) this.pending.push({ checkpointId, files: this.sealed });
    this.sealed = [];
    return { subtask: this.ctx.subtaskIndex, files: this.pending.flatMap((p) => p.files) };
  }

  async commit(checkpointId: number): Promise<void> {
    const done: Sealed[] = [];
    while (this.pending.length > 0 && (this.pending[0] as { checkpointId: number }).checkpointId <= checkpointId) {
      done.push(...(this.pending.shift() as { files: Sealed[] }).files);
    }
    if (done.length > 0) await this.renameAll(done);
  }

  private async renameAll(files: readonly Sealed[]): Promise<void> {
    for (const f of files) {
      try {
        await fsp.rename(f.tmp, f.final);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new SluiceError('IO_ERROR', `file sink: cannot rename ${f.tmp}`, { cause: err });
        // Renamed before (a replayed commit) unless the final file is missing too.
        const st = await fsp.stat(f.final).catch(() => undefined);
        if (!st) throw new SluiceError('IO_ERROR', `file sink: ${f.tmp} of a completed checkpoint is gone (was the directory changed?)`, { retriable: false });
      }
    }
    await syncDir(this.options.dir);
  }

  async finish(): Promise<void> {
    await this.tail;
    if (this.exactlyOnce) return; // everything was committed by the final checkpoint
    await this.seal();
  }

  async close(): Promise<void> {
    await this.tail.catch(() => undefined);
    const cur = this.current;
    this.current = undefined;
    if (cur) await cur.fh.close().catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
