// Retrying with exponential backoff and jitter, for connectors whose external system can drop
// a connection (PostgreSQL, Kafka). One helper so every connector retries the same way; the
// caller decides what is retriable (a SluiceError's `retriable`, a socket error). Every retry
// loop ends: after `attempts` tries the last error is thrown.
// May import: errors only.
import { SluiceError } from '../../errors.js';

export interface BackoffOptions {
  /** Tries in all, including the first (default 8). */
  readonly attempts?: number;
  /** First delay (default 50 ms); doubles each retry up to maxDelayMs. */
  readonly initialDelayMs?: number;
  /** Default 5 s. */
  readonly maxDelayMs?: number;
}

export async function retryWithBackoff<R>(
  what: string,
  fn: (attempt: number) => Promise<R>,
  isRetriable: (err: unknown) => boolean,
  options: BackoffOptions = {},
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void,
): Promise<R> {
  const attempts = Math.max(1, options.attempts ?? 8);
  let delay = Math.max(1, options.initialDelayMs ?? 50);
  const maxDelay = Math.max(delay, options.maxDelayMs ?? 5000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !isRetriable(err)) {
        if (err instanceof SluiceError) throw err;
        throw new SluiceError('CONNECTION_FAILED', `${what} failed after ${attempt} attempt(s): ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      // Full jitter keeps several subtasks from reconnecting in lockstep.
      const wait = Math.round(delay / 2 + Math.random() * (delay / 2));
      onRetry?.(err, attempt, wait);
      await new Promise((r) => setTimeout(r, wait));
      delay = Math.min(maxDelay, delay * 2);
    }
  }
}
