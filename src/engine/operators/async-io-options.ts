// What a user configures on an async I/O operator (Flink's AsyncDataStream: ordered or
// unordered, capacity, timeout, retry strategy with exponential backoff) and its validation
// into the resolved form the operator runs with. Validated when the pipeline is defined, so
// a bad option fails `asyncMap(...)`, not the running job. The backoff arithmetic lives here
// too: pure and testable without an operator.
// May import: api/duration.ts, api/output-tag.ts, errors.
import type { Duration } from '../api/duration.js';
import type { OutputTag } from '../api/output-tag.js';
import { toMillis } from '../api/duration.js';
import { SluiceError } from '../../errors.js';

/**
 * The call to the outside service: one input, a Promise of one result or of an array of
 * results (an empty array emits nothing). To emit an array as ONE value, wrap it: `[arr]`.
 */
export type AsyncFunction<IN, OUT> = (input: IN) => Promise<OUT | readonly OUT[]> | OUT | readonly OUT[];

export interface BackoffOptions {
  /** Delay before the first retry (default 100ms). */
  readonly initial?: Duration;
  /** Upper bound of any delay (default 10s). */
  readonly max?: Duration;
  /** Growth per attempt (default 2). */
  readonly multiplier?: number;
  /** 0..1: each delay is shortened by a random fraction up to this (default 0.2), so retries of many elements spread out. */
  readonly jitter?: number;
}

export interface AsyncRetryOptions<IN, OUT> {
  /** Attempts in all, the first included (1 = no retry). */
  readonly maxAttempts: number;
  readonly backoff?: BackoffOptions;
  // The callbacks are declared as methods: their parameters are then checked bivariantly,
  // which keeps DataStream<T> covariant in T (a DataStream<Foo> is a DataStream<unknown>).
  /** Which rejections are retried (default: all). */
  ifError?(error: unknown, input: IN): boolean;
  /** Retry also when a result satisfies this (e.g. an empty answer from an eventually consistent store). */
  ifResult?(results: readonly OUT[], input: IN): boolean;
}

/** An element the function could not serve, sent to the `errors` side output when one is configured. */
export interface AsyncFailure<IN> {
  readonly input: IN;
  readonly error: SluiceError;
  readonly attempts: number;
  readonly timedOut: boolean;
}

/** Timers the operator arms to wake the runtime for timeouts and retries (replaceable in tests). */
export interface AsyncTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: AsyncTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A fallback for a timed-out element; its parameter is bivariant (method-style), as the retry callbacks'. */
export type TimeoutFallback<IN, OUT> = { fallback(input: IN): OUT | readonly OUT[] | 'drop' }['fallback'];

export type TimeoutHandler<IN, OUT> = 'fail' | 'drop' | TimeoutFallback<IN, OUT>;

export interface AsyncIoOptions<IN, OUT> {
  /** true (default): results in input order; false: as they complete, but never across a watermark. */
  readonly ordered?: boolean;
  /** Elements in flight at most (default 100); when full the input is backpressured. */
  readonly capacity?: number;
  /** Per element, from the first call to the last retry included (default 30s). */
  readonly timeout?: Duration;
  readonly retry?: AsyncRetryOptions<IN, OUT>;
  /** What a timed-out element becomes: 'fail' (default: the job fails with TIMEOUT), 'drop', or a function giving fallback result(s) or 'drop' (if it throws, the job fails). */
  readonly onTimeout?: TimeoutHandler<IN, OUT>;
  /** Failed elements (and timed-out ones under 'fail') go here instead of failing the job. */
  readonly errors?: OutputTag<AsyncFailure<IN>>;
  /** Stable uid of the operator (its in-flight elements are checkpointed under it). */
  readonly uid?: string;
  readonly name?: string;
  /** Tests: timers and the jitter source. */
  readonly timers?: AsyncTimers;
  readonly random?: () => number;
}

export interface ResolvedAsyncIoOptions<IN, OUT> {
  readonly ordered: boolean;
  readonly capacity: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly multiplier: number;
  readonly jitter: number;
  readonly ifError: ((error: unknown, input: IN) => boolean) | undefined;
  readonly ifResult: ((results: readonly OUT[], input: IN) => boolean) | undefined;
  readonly onTimeout: TimeoutHandler<IN, OUT>;
  readonly errors: OutputTag<AsyncFailure<IN>> | undefined;
  readonly timers: AsyncTimers;
  readonly random: () => number;
}

function bad(message: string): SluiceError {
  return new SluiceError('INVALID_ARGUMENT', `asyncMap: ${message}`);
}

export function resolveAsyncIoOptions<IN, OUT>(o: AsyncIoOptions<IN, OUT>): ResolvedAsyncIoOptions<IN, OUT> {
  const capacity = o.capacity ?? 100;
  if (!Number.isInteger(capacity) || capacity < 1) throw bad(`capacity must be a positive integer, got ${String(capacity)}`);
  const timeoutMs = toMillis(o.timeout ?? '30s', 'asyncMap timeout');
  if (timeoutMs <= 0) throw bad('timeout must be greater than 0');
  const r = o.retry;
  const maxAttempts = r?.maxAttempts ?? 1;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw bad(`retry.maxAttempts must be an integer >= 1, got ${String(maxAttempts)}`);
  const b = r?.backoff ?? {};
  const backoffInitialMs = toMillis(b.initial ?? '100ms', 'asyncMap retry.backoff.initial');
  const backoffMaxMs = toMillis(b.max ?? '10s', 'asyncMap retry.backoff.max');
  if (backoffMaxMs < backoffInitialMs) throw bad('retry.backoff.max must be >= retry.backoff.initial');
  const multiplier = b.multiplier ?? 2;
  if (!Number.isFinite(multiplier) || multiplier < 1) throw bad(`retry.backoff.multiplier must be >= 1, got ${String(multiplier)}`);
  const jitter = b.jitter ?? 0.2;
  if (!Number.isFinite(jitter) || jitter < 0 || jitter > 1) throw bad(`retry.backoff.jitter must be in 0..1, got ${String(jitter)}`);
  const onTimeout = o.onTimeout ?? 'fail';
  if (onTimeout !== 'fail' && onTimeout !== 'drop' && typeof onTimeout !== 'function') throw bad("onTimeout must be 'fail', 'drop' or a function");
  if (r?.ifError !== undefined && typeof r.ifError !== 'function') throw bad('retry.ifError must be a function');
  if (r?.ifResult !== undefined && typeof r.ifResult !== 'function') throw bad('retry.ifResult must be a function');
  return {
    ordered: o.ordered ?? true,
    capacity,
    timeoutMs,
    maxAttempts,
    backoffInitialMs,
    backoffMaxMs,
    multiplier,
    jitter,
    ifError: r?.ifError,
    ifResult: r?.ifResult,
    onTimeout,
    errors: o.errors,
    timers: o.timers ?? realTimers,
    random: o.random ?? Math.random,
  };
}

/**
 * Delay before retry number `retry` (1 = the first retry): initial * multiplier^(retry-1),
 * capped at max, then shortened by up to `jitter` of itself. Never above max.
 */
export function backoffDelay(retry: number, o: Pick<ResolvedAsyncIoOptions<unknown, unknown>, 'backoffInitialMs' | 'backoffMaxMs' | 'multiplier' | 'jitter' | 'random'>): number {
  const base = Math.min(o.backoffMaxMs, o.backoffInitialMs * Math.pow(o.multiplier, retry - 1));
  return Math.max(0, Math.round(base * (1 - o.jitter * o.random())));
}
