// COPY .. FROM STDIN over an ordinary pg.Client. pg answers a CopyInResponse with CopyFail
// ("no source stream") unless the query object sends the data itself, which a Submittable
// may do: it gets the connection and pg hands it the protocol events. This one sends the
// whole payload (already encoded, held in memory by the sink anyway) as CopyData messages,
// then CopyDone, and resolves with the server's row count. It is ~80 lines, so the sink does
// not take the pg-copy-streams dependency for a Node-stream interface it would not use.
// May import: pg (types).
import type pg from 'pg';

/** Bytes per CopyData message: big enough to keep per-message overhead negligible. */
const CHUNK = 256 * 1024;

interface CopyConnection {
  readonly stream: NodeJS.WritableStream & { readonly writableNeedDrain: boolean; readonly writable: boolean };
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

class CopyFromStdin implements pg.Submittable {
  private error: Error | undefined;
  private rowCount = 0;
  private settled = false;
  callback: ((err: Error | undefined, rows?: number) => void) | undefined;

  constructor(
    private readonly text: string,
    private readonly payload: readonly string[],
    done: (err: Error | undefined, rows?: number) => void,
  ) {
    this.callback = done;
  }

  submit(connection: pg.Connection): void {
    (connection as unknown as CopyConnection).query(this.text);
  }

  handleCopyInResponse(connection: pg.Connection): void {
    void this.send(connection as unknown as CopyConnection);
  }

  /** Strings joined into CHUNK-sized messages; waits for 'drain' so at most ~one chunk sits in the socket buffer beyond the payload. */
  private async send(c: CopyConnection): Promise<void> {
    let pending: string[] = [];
    let size = 0;
    const flush = async (): Promise<boolean> => {
      if (pending.length > 0) {
        c.sendCopyFromChunk(Buffer.from(pending.length === 1 ? (pending[0] as string) : pending.join(''), 'utf8'));
        pending = [];
        size = 0;
      }
      if (c.stream.writableNeedDrain) await drained(c.stream);
      return !this.settled && c.stream.writable; // an error (or a lost connection) ends the COPY early
    };
    for (const s of this.payload) {
      if (s.length === 0) continue;
      // A large string goes out as one message (split, it could cut a surrogate pair in two).
      pending.push(s);
      size += s.length;
      if (size >= CHUNK && !(await flush())) return;
    }
    if (!(await flush())) return;
    c.endCopyFrom();
  }

  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)/.exec(msg.text ?? '');
    if (m) this.rowCount = Number(m[1]);
  }

  handleError(err: Error): void {
    this.error ??= err;
    this.finish(); // pg forgets the active query on an error; ReadyForQuery may not reach us
  }

  handleReadyForQuery(): void {
    this.finish();
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    this.callback?.(this.error, this.error ? undefined : this.rowCount);
  }

  // Protocol events a COPY FROM never produces; pg calls them on the active query regardless.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/** Consecutive groups of `payload` of at most `maxChars` each (a longer single string is a group of its own), in order. */
export function splitPayload(payload: readonly string[], maxChars: number): string[][] {
  const groups: string[][] = [];
  let cur: string[] = [];
  let size = 0;
  for (const s of payload) {
    if (cur.length > 0 && size + s.length > maxChars) {
      groups.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(s);
    size += s.length;
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

/**
 * Runs `sql` (a `COPY .. FROM STDIN` statement) sending `payload` (COPY text, rows ending in
 * newlines, concatenated in order) and resolves with the number of rows copied.
 */
export function copyFrom(client: pg.Client, sql: string, payload: readonly string[]): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    client.query(new CopyFromStdin(sql, payload, (err, rows) => (err ? reject(err) : resolve(rows ?? 0))));
  });
}
