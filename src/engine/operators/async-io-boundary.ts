// The contract between the runtime and an operator that emits asynchronously (design
// decision 4: async I/O is one of the engine's three async boundaries). Such an operator
// never touches its Output from a Promise callback: callbacks only record completions and
// call `wake()`; the runtime loop then calls `drain(now)` (the task mailbox), which emits
// whole batches synchronously, exactly like processBatch does. The runtime also asks it
// whether it can take more input (backpressure: the sources are not polled while it cannot),
// whether work is still pending (the end of input and the job's end wait for it) and, right
// before a checkpoint reads the operator state, to write its in-flight elements there.
// Lives in operators/ (not runtime/) because operators may not import the runtime.
// May import nothing from the engine.

export interface AsyncBoundary {
  readonly isAsyncBoundary: true;
  /** Given once, before open(): call it from any callback that left work for drain(). */
  attachWake(wake: () => void): void;
  /** Runs completions, retries and timeouts that are due at `now` and emits what is ready. Never called from a callback. */
  drain(now: number): void;
  /** True while the operator must not be fed: in-flight elements at capacity or input waiting for a slot. */
  isBackpressured(): boolean;
  /** True while elements (or held watermarks) wait to be emitted. */
  hasPendingWork(): boolean;
  /** Writes every element not yet emitted into operator state; called right before that state is snapshotted. */
  snapshotInFlight(): void;
}

export function isAsyncBoundary(op: unknown): op is AsyncBoundary {
  return typeof op === 'object' && op !== null && (op as Partial<AsyncBoundary>).isAsyncBoundary === true;
}
