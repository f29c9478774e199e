// The async I/O operator (Flink's AsyncWaitOperator): calls an outside service for each
// element with at most `capacity` calls in flight, and emits the results in input order or
// as they complete (never across a watermark). It is an async boundary (design decision 4):
// Promise callbacks only record the outcome and wake the runtime; results are emitted by
// drain(), which the runtime loop calls like processBatch, in batches (the task mailbox).
// When full, it reports backpressure and the runtime stops feeding it; the input it already
// got and cannot issue yet waits in a buffer bounded by what one upstream push delivers.
// Timeouts (whole element, retries included) and retries with exponential backoff and jitter
// are deadlines on the job's Clock, woken by one timer. Every element not yet emitted is
// written to operator list state at a checkpoint and re-issued, in order, on restore, so
// nothing is lost or emitted twice under exactly-once.
// May import: operators/, api/ (types), state/types.ts, errors.
import type { DataStream } from '../api/data-stream.js';
import type { OperatorListState } from '../state/types.js';
import type { OperatorContext } from './operator.js';
import type { AsyncBoundary } from './async-io-boundary.js';
import type { AsyncFailure, AsyncFunction, AsyncIoOptions, ResolvedAsyncIoOptions } from './async-io-options.js';
import type { QueueSlot, ResultQueue, Segment } from './async-io-queue.js';
import { BaseOperator } from './base-operator.js';
import { backoffDelay, resolveAsyncIoOptions } from './async-io-options.js';
import { Fifo, OrderedQueue, UnorderedQueue } from './async-io-queue.js';
import { SluiceError } from '../../errors.js';

/** Name of the operator list state holding the elements in flight at a checkpoint. */
export const ASYNC_IO_STATE = 'async-io-in-flight';

const WAITING = 0; // not issued yet (input buffer)
const RUNNING = 1; // a call is in flight
const BACKING_OFF = 2; // waiting for its retry time
const FINISHED = 3; // has its result, waits in the queue to leave

class Element<IN, OUT> implements QueueSlot {
  done = false;
  segment: Segment | undefined = undefined;
  phase = WAITING;
  attempts = 0;
  /** Bumped per call and on timeout, so a late answer of an abandoned call is ignored. */
  token = 0;
  deadline = Number.POSITIVE_INFINITY;
  retryAt = Number.POSITIVE_INFINITY;
  ok = false;
  outcome: unknown = undefined;
  results: readonly OUT[] = NONE;
  failure: AsyncFailure<IN> | undefined = undefined;
  constructor(
    readonly input: IN,
    readonly ts: number,
  ) {}
}

const NONE: readonly never[] = [];

/** A watermark that arrived while input waited in the buffer: it must stay behind that input. */
class BufferedWatermark {
  constructor(readonly w: number) {}
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

function asResults<OUT>(r: unknown): readonly OUT[] {
  return Array.isArray(r) ? (r as OUT[]) : [r as OUT];
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class AsyncIoOperator<IN, OUT> extends BaseOperator<OUT> implements AsyncBoundary {
  readonly isAsyncBoundary = true as const;
  private readonly o: ResolvedAsyncIoOptions<IN, OUT>;
  private queue!: ResultQueue<Element<IN, OUT>>;
  /** Issued and not yet emitted, in issue order (what a checkpoint stores, with the buffer). */
  private readonly live = new Set<Element<IN, OUT>>();
  private readonly buffer = new Fifo<Element<IN, OUT> | BufferedWatermark>();
  /** Outcomes recorded by callbacks since the last drain. */
  private completed: Element<IN, OUT>[] = [];
  private state!: OperatorListState<[IN, number]>;
  private wake: () => void = () => undefined;
  private signaled = false;
  private pumping = false;
  private closed = false;
  /** Earliest timeout or retry time among live elements (may be stale-low, never stale-high). */
  private nextDue = Number.POSITIVE_INFINITY;
  private timer: unknown = undefined;
  private timerDue = Number.POSITIVE_INFINITY;

  constructor(
    private readonly fn: AsyncFunction<IN, OUT>,
    options: AsyncIoOptions<IN, OUT> | ResolvedAsyncIoOptions<IN, OUT> = {},
  ) {
    super();
    if (typeof fn !== 'function') throw new SluiceError('INVALID_ARGUMENT', 'asyncMap needs a function (input) => Promise<result | result[]>');
    this.o = 'timeoutMs' in options ? options : resolveAsyncIoOptions(options);
  }

  attachWake(wake: () => void): void {
    this.wake = wake;
  }

  override open(ctx: OperatorContext<OUT>): void {
    super.open(ctx);
    const emit = {
      element: (e: Element<IN, OUT>) => this.emitElement(e),
      watermark: (w: number) => ctx.output.emitWatermark(w),
    };
    this.queue = this.o.ordered ? new OrderedQueue(emit) : new UnorderedQueue(emit);
    this.state = ctx.operatorState.getListState<[IN, number]>(ASYNC_IO_STATE);
    // Elements in flight at the restored checkpoint go first, before any new input.
    for (const [v, ts] of this.state.get()) this.buffer.push(new Element<IN, OUT>(v, ts));
    if (this.buffer.size > 0) this.signal();
  }

  processBatch(values: readonly unknown[], timestamps: readonly number[]): void {
    const now = this.ctx.clock.now();
    const cap = this.o.capacity;
    for (let i = 0; i < values.length; i++) {
      const e = new Element<IN, OUT>(values[i] as IN, timestamps[i] as number);
      if (this.buffer.size === 0 && this.live.size < cap) this.issue(e, now);
      else this.buffer.push(e);
    }
    this.pump(now);
  }

  override processWatermark(watermark: number): void {
    if (this.buffer.size > 0) this.buffer.push(new BufferedWatermark(watermark));
    else this.queue.addWatermark(watermark);
  }

  drain(now: number): void {
    this.signaled = false;
    if (this.closed) return;
    this.pump(now);
  }

  isBackpressured(): boolean {
    return this.buffer.size > 0 || this.live.size >= this.o.capacity;
  }

  hasPendingWork(): boolean {
    return this.buffer.size > 0 || this.live.size > 0 || this.queue.holding || this.completed.length > 0;
  }

  /** Elements issued and not emitted (tests and metrics). */
  get inFlight(): number {
    return this.live.size;
  }

  snapshotInFlight(): void {
    const list: [IN, number][] = [];
    for (const e of this.live) list.push([e.input, e.ts]);
    for (const b of this.buffer) if (b instanceof Element) list.push([b.input, b.ts]);
    this.state.update(list);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.o.timers.clear(this.timer);
    this.timer = undefined;
    this.completed = [];
    this.live.clear();
  }

  // ---------------------------------------------------------------------------------------

  private signal(): void {
    if (this.pumping || this.signaled || this.closed) return;
    this.signaled = true;
    this.wake();
  }

  /** Runs until nothing more can happen at `now`: outcomes, due retries/timeouts, issuing from the buffer. */
  private pump(now: number): void {
    this.pumping = true;
    try {
      for (;;) {
        let progressed = false;
        if (this.completed.length > 0) {
          const list = this.completed;
          this.completed = [];
          for (const e of list) this.handleOutcome(e, now);
          progressed = true;
        }
        if (now >= this.nextDue) this.runDue(now);
        const cap = this.o.capacity;
        for (let h = this.buffer.peek(); h !== undefined; h = this.buffer.peek()) {
          if (h instanceof BufferedWatermark) {
            this.buffer.shift();
            this.queue.addWatermark(h.w);
          } else if (this.live.size < cap) {
            this.buffer.shift();
            this.issue(h, now);
          } else break;
          progressed = true;
        }
        if (!progressed && this.completed.length === 0) break;
      }
    } finally {
      this.pumping = false;
    }
    this.arm(now);
  }

  private issue(e: Element<IN, OUT>, now: number): void {
    e.deadline = now + this.o.timeoutMs;
    if (e.deadline < this.nextDue) this.nextDue = e.deadline;
    this.live.add(e);
    this.queue.add(e);
    this.call(e);
  }

  private call(e: Element<IN, OUT>): void {
    e.attempts++;
    e.phase = RUNNING;
    e.retryAt = Number.POSITIVE_INFINITY;
    const token = ++e.token;
    let r: unknown;
    try {
      r = this.fn(e.input);
    } catch (err) {
      this.record(e, token, false, err);
      return;
    }
    if (isThenable(r)) {
      r.then(
        (v) => this.record(e, token, true, v),
        (err: unknown) => this.record(e, token, false, err),
      );
    } else this.record(e, token, true, r);
  }

  /** The only thing a callback does: note the outcome and wake the runtime. */
  private record(e: Element<IN, OUT>, token: number, ok: boolean, outcome: unknown): void {
    if (this.closed || e.token !== token || e.phase !== RUNNING) return;
    e.ok = ok;
    e.outcome = outcome;
    this.completed.push(e);
    this.signal();
  }

  private handleOutcome(e: Element<IN, OUT>, now: number): void {
    if (e.phase !== RUNNING) return; // timed out meanwhile
    const outcome = e.outcome;
    e.outcome = undefined;
    const o = this.o;
    if (e.ok) {
      const results = asResults<OUT>(outcome);
      if (o.ifResult !== undefined && e.attempts < o.maxAttempts && o.ifResult(results, e.input)) this.backOff(e, now);
      else this.settle(e, results);
      return;
    }
    if (e.attempts < o.maxAttempts && (o.ifError === undefined || o.ifError(outcome, e.input))) {
      this.backOff(e, now);
      return;
    }
    this.fail(
      e,
      new SluiceError('ASYNC_IO_FAILED', `${this.ctx.operatorName}: async function failed after ${e.attempts} attempt(s): ${messageOf(outcome)}`, {
        cause: outcome,
        details: { operator: this.ctx.operatorName, attempts: e.attempts },
      }),
      false,
    );
  }

  private backOff(e: Element<IN, OUT>, now: number): void {
    this.ctx.count('async-io-retries');
    e.phase = BACKING_OFF;
    e.retryAt = now + backoffDelay(e.attempts, this.o);
    if (e.retryAt < this.nextDue) this.nextDue = e.retryAt;
  }

  /** Retries that are due and elements past their deadline; then the next due time. */
  private runDue(now: number): void {
    const due: Element<IN, OUT>[] = [];
    for (const e of this.live) if (e.phase !== FINISHED && (e.deadline <= now || e.retryAt <= now)) due.push(e);
    for (const e of due) {
      if (e.deadline <= now) this.timeOut(e);
      else if (e.phase === BACKING_OFF) this.call(e);
    }
    let next = Number.POSITIVE_INFINITY;
    for (const e of this.live) {
      if (e.phase === FINISHED) continue;
      if (e.deadline < next) next = e.deadline;
      if (e.retryAt < next) next = e.retryAt;
    }
    this.nextDue = next;
  }

  private timeOut(e: Element<IN, OUT>): void {
    e.token++; // an answer arriving later is ignored
    this.ctx.count('async-io-timeouts');
    const h = this.o.onTimeout;
    if (h === 'drop') return this.settle(e, NONE);
    if (h === 'fail') {
      return this.fail(
        e,
        new SluiceError('TIMEOUT', `${this.ctx.operatorName}: async call timed out after ${this.o.timeoutMs} ms (${e.attempts} attempt(s))`, {
          retriable: false,
          details: { operator: this.ctx.operatorName, attempts: e.attempts, timeoutMs: this.o.timeoutMs },
        }),
        true,
      );
    }
    let r: unknown;
    try {
      r = h(e.input);
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      throw new SluiceError('TIMEOUT', `${this.ctx.operatorName}: async call timed out and onTimeout threw: ${messageOf(err)}`, {
        cause: err,
        retriable: false,
        details: { operator: this.ctx.operatorName, attempts: e.attempts },
      });
    }
    this.settle(e, r === 'drop' ? NONE : asResults<OUT>(r));
  }

  private fail(e: Element<IN, OUT>, error: SluiceError, timedOut: boolean): void {
    this.ctx.count('async-io-failures');
    if (this.o.errors === undefined) throw error;
    e.failure = { input: e.input, error, attempts: e.attempts, timedOut };
    this.settle(e, NONE);
  }

  private settle(e: Element<IN, OUT>, results: readonly OUT[]): void {
    e.phase = FINISHED;
    e.results = results;
    this.queue.complete(e);
  }

  private emitElement(e: Element<IN, OUT>): void {
    this.live.delete(e);
    const out = this.ctx.output;
    const tag = this.o.errors;
    if (e.failure !== undefined && tag !== undefined) {
      out.collectSide(tag, e.failure, e.ts);
      return;
    }
    const rs = e.results;
    for (let i = 0; i < rs.length; i++) out.collect(rs[i] as OUT, e.ts);
  }

  /** One timer for the earliest deadline; it only wakes the runtime, which drains at its clock's time. */
  private arm(now: number): void {
    if (this.closed) return;
    const due = this.live.size > 0 ? this.nextDue : Number.POSITIVE_INFINITY;
    if (due === this.timerDue && this.timer !== undefined) return;
    if (this.timer !== undefined) this.o.timers.clear(this.timer);
    this.timer = undefined;
    this.timerDue = due;
    if (due === Number.POSITIVE_INFINITY) return;
    this.timer = this.o.timers.set(
      () => {
        this.timer = undefined;
        this.timerDue = Number.POSITIVE_INFINITY;
        this.signal();
      },
      Math.max(1, due - now),
    );
  }
}

/** Options plus a name and uid, for `orderedWait` / `unorderedWait`. */
export type AsyncWaitOptions<IN, OUT> = Omit<AsyncIoOptions<IN, OUT>, 'ordered'>;

/** Adds the operator to a stream (what `stream.asyncMap` calls); options are validated now. */
export function asyncMap<IN, OUT>(stream: DataStream<IN>, fn: AsyncFunction<IN, OUT>, options: AsyncIoOptions<IN, OUT> = {}): DataStream<OUT> {
  if (typeof fn !== 'function') throw new SluiceError('INVALID_ARGUMENT', 'asyncMap needs a function (input) => Promise<result | result[]>');
  const resolved = resolveAsyncIoOptions(options);
  return stream.transform<OUT>(options.name ?? (resolved.ordered ? 'async-ordered' : 'async-unordered'), () => new AsyncIoOperator<IN, OUT>(fn, resolved), options.uid !== undefined ? { uid: options.uid } : {});
}

/** Flink's AsyncDataStream vocabulary. */
export const asyncIO = {
  orderedWait<IN, OUT>(stream: DataStream<IN>, fn: AsyncFunction<IN, OUT>, options: AsyncWaitOptions<IN, OUT> = {}): DataStream<OUT> {
    return asyncMap(stream, fn, { ...options, ordered: true });
  },
  unorderedWait<IN, OUT>(stream: DataStream<IN>, fn: AsyncFunction<IN, OUT>, options: AsyncWaitOptions<IN, OUT> = {}): DataStream<OUT> {
    return asyncMap(stream, fn, { ...options, ordered: false });
  },
};
