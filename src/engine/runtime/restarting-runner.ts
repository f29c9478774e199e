// A restart strategy (Flink's fixed-delay restart): when an attempt of the job fails, wait
// `delay` and run a fresh attempt, which restores the latest completed checkpoint (or the
// savepoint the job started from, if no checkpoint completed since), at most `attempts`
// times. Exactly-once sinks then abort what the failed attempt wrote after that checkpoint,
// as when the process itself is restarted. Failures that another attempt cannot cure (bad
// configuration or arguments) end the job at once. The handle's stop, savepoint, status and
// checkpoint listeners follow whichever attempt is current.
// May import: runtime/, api/duration.ts.
import { toMillis } from '../api/duration.js';
import type { JobResult } from './job-runner.js';
import type { RestartStrategy, RunOptions } from './job-options.js';
import type { CheckpointListener, CheckpointStats, JobStatus } from './job-status.js';
import { SluiceError, toSluiceError } from '../../errors.js';

/** What JobRunner and WorkerCoordinator both offer the handle. */
export interface Runner {
  run(): Promise<JobResult>;
  stop(options?: { savepoint?: boolean }): void;
  triggerSavepoint(): Promise<string>;
  readonly metrics: Record<string, number>;
  status(): JobStatus;
  onCheckpoint(listener: CheckpointListener): () => void;
}

/** Failures that a new attempt would meet again. */
const PERMANENT = new Set(['INVALID_ARGUMENT', 'INVALID_CONFIG']);

export class RestartingRunner implements Runner {
  private current: Runner;
  private readonly attempts: number;
  private readonly delayMs: number;
  private readonly listeners = new Set<CheckpointListener>();
  private restarts = 0;
  private stopped: { savepoint?: boolean } | undefined;
  private wakeDelay: (() => void) | undefined;
  /** Counters of the attempts that failed; the current attempt's are added on read. */
  private readonly earlier: Record<string, number> = {};

  constructor(
    private readonly jobName: string,
    private readonly make: (runOptions: RunOptions) => Runner,
    private readonly runOptions: RunOptions,
    strategy: RestartStrategy,
  ) {
    if (!Number.isInteger(strategy.attempts) || strategy.attempts < 0) {
      throw new SluiceError('INVALID_CONFIG', `restart attempts must be a non-negative integer, got ${strategy.attempts}`);
    }
    this.attempts = strategy.attempts;
    this.delayMs = toMillis(strategy.delay, 'restart delay');
    this.current = this.attempt(runOptions);
  }

  private attempt(runOptions: RunOptions): Runner {
    const r = this.make(runOptions);
    r.onCheckpoint((stats: CheckpointStats) => {
      for (const l of this.listeners) l(stats);
    });
    return r;
  }

  async run(): Promise<JobResult> {
    let options = this.runOptions;
    for (;;) {
      try {
        const result = await this.current.run();
        return { ...result, metrics: this.metrics };
      } catch (err) {
        const e = toSluiceError(err, 'JOB_FAILED');
        if (this.stopped || this.restarts >= this.attempts || PERMANENT.has(e.code)) throw e;
        // A checkpoint completed in the failed attempt supersedes the savepoint the job
        // started from (and a fresh start): restore it. Otherwise start as the job did.
        if (this.current.status().checkpoints.completed > 0) options = { ...options, fromSavepoint: undefined, fresh: false };
        for (const [k, v] of Object.entries(this.current.metrics)) this.earlier[k] = (this.earlier[k] ?? 0) + v;
        this.restarts++;
        this.earlier.restarts = this.restarts;
        console.error(`sluice: job ${this.jobName} failed (${e.message}); restart ${this.restarts} of ${this.attempts} in ${this.delayMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.delayMs);
          this.wakeDelay = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wakeDelay = undefined;
        // Stopped while waiting: nothing runs, so the job ends here, stopped.
        if (this.stopped) return { jobName: this.jobName, checkpoints: 0, restoredFrom: undefined, metrics: this.metrics, savepoint: undefined };
        this.current = this.attempt(options);
      }
    }
  }

  stop(options: { savepoint?: boolean } = {}): void {
    this.stopped = options;
    this.current.stop(options);
    this.wakeDelay?.();
  }

  triggerSavepoint(): Promise<string> {
    // Between attempts nothing runs: the failed attempt would never answer.
    if (this.wakeDelay !== undefined) return Promise.reject(new SluiceError('JOB_FAILED', `job ${this.jobName} is waiting to restart (restart ${this.restarts} of ${this.attempts}); no savepoint can be taken now`));
    return this.current.triggerSavepoint();
  }

  get metrics(): Record<string, number> {
    const out = { ...this.earlier };
    for (const [k, v] of Object.entries(this.current.metrics)) out[k] = (out[k] ?? 0) + v;
    return out;
  }

  status(): JobStatus {
    return { ...this.current.status(), restarts: this.restarts };
  }

  onCheckpoint(listener: CheckpointListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
