// One PostgreSQL connection of a sink subtask that survives losing its server: a broken
// client is thrown away and `run(fn)` retries `fn` on a fresh connection with exponential
// backoff. `fn` must therefore be safe to run again (the sink's commit transaction checks its
// checkpoint row first, so a retry after an unknown COMMIT outcome writes nothing twice).
// May import: connectors/shared, errors, pg.
import pg from 'pg';
import type { BackoffOptions } from '../shared/backoff.js';
import { retryWithBackoff } from '../shared/backoff.js';
import { SluiceError } from '../../errors.js';

export type PgConnectionConfig = string | pg.ClientConfig;

/** SQLSTATEs worth retrying on a new connection: connection exceptions, shutdowns, conflicts. */
export function isRetriablePgError(err: unknown): boolean {
  if (err instanceof SluiceError) return err.retriable;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true; // socket-level: ECONNRESET, "Connection terminated", timeouts
  return code.startsWith('08') || code.startsWith('57P') || code === '40001' || code === '40P01' || code === '53300';
}

export class PgSession {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;

  constructor(
    private readonly config: PgConnectionConfig,
    private readonly applicationName: string,
    private readonly backoff: BackoffOptions,
  ) {}

  private async connect(): Promise<pg.Client> {
    const base: pg.ClientConfig = typeof this.config === 'string' ? { connectionString: this.config } : { ...this.config };
    const client = new pg.Client({
      connectionTimeoutMillis: 10_000,
      query_timeout: 60_000,
      ...base,
      application_name: this.applicationName.slice(0, 63),
    });
    // An idle client whose server goes away emits 'error'; without a listener that would crash the process.
    client.on('error', () => {
      if (this.client === client) this.client = undefined;
    });
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  private async get(): Promise<pg.Client> {
    if (this.client) return this.client;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    this.client = await this.connecting;
    return this.client;
  }

  /** Runs fn on a healthy connection, reconnecting and retrying on connection loss. */
  run<R>(what: string, fn: (client: pg.Client) => Promise<R>): Promise<R> {
    return retryWithBackoff(
      what,
      async () => {
        const client = await this.get();
        try {
          return await fn(client);
        } catch (err) {
          if (isRetriablePgError(err)) this.discard(client);
          throw err;
        }
      },
      isRetriablePgError,
      this.backoff,
    );
  }

  /** Runs fn inside BEGIN .. COMMIT; fn returning false rolls back instead. */
  transaction<R>(what: string, fn: (client: pg.Client) => Promise<R | false>): Promise<R | false> {
    return this.run(what, async (client) => {
      await client.query('BEGIN');
      let result: R | false;
      try {
        result = await fn(client);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      await client.query(result === false ? 'ROLLBACK' : 'COMMIT');
      return result;
    });
  }

  private discard(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    void client.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.end().catch(() => undefined);
  }
}
