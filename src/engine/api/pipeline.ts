// pipeline(name, options): the entry point. A Pipeline owns the logical graph; `from(source)`
// starts a stream, `run()` executes until bounded sources end, `start()` returns a handle to
// stop (optionally with a savepoint) an unbounded job.
// May import: api/, graph/, runtime/, sources/.
import type { Source } from '../sources/source.js';
import type { JobResult } from '../runtime/job-runner.js';
import type { PipelineOptions, RunOptions } from '../runtime/job-options.js';
import type { CheckpointListener, JobStatus } from '../runtime/job-status.js';
import { StreamGraph } from '../graph/stream-graph.js';
import { JobRunner } from '../runtime/job-runner.js';
import { WorkerCoordinator } from '../runtime/worker-coordinator.js';
import { RestartingRunner, type Runner } from '../runtime/restarting-runner.js';
import { DataStream } from './data-stream.js';
import { SluiceError } from '../../errors.js';

export interface JobHandle {
  /** Resolves when the job ends (bounded input done, or stopped). */
  readonly done: Promise<JobResult>;
  /** Stops after the current batch; with `savepoint: true` writes a savepoint first (its path is in the result). */
  stop(options?: { savepoint?: boolean }): Promise<JobResult>;
  /** Takes a savepoint while the job keeps running. */
  savepoint(): Promise<string>;
  /** Counters so far (records-in, checkpoints-completed, dead-letters, ...). */
  metrics(): Record<string, number>;
  /**
   * Per operator subtask: records in/out, busy / backpressured / idle ms, watermark; source
   * positions; sink in-flight waits; checkpoint history (see runtime/job-status.ts). On worker
   * threads the subtasks are the workers' latest reports (sent every 500 ms and at the end).
   */
  status(): JobStatus;
  /** Calls `listener` after each checkpoint completes or fails (both runtimes); returns the unsubscribe. */
  onCheckpoint(listener: CheckpointListener): () => void;
}

export class Pipeline {
  readonly graph = new StreamGraph();

  constructor(
    readonly name: string,
    readonly options: PipelineOptions = {},
  ) {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new SluiceError('INVALID_ARGUMENT', `pipeline name "${name}" may only contain letters, digits, '.', '_' and '-'`);
  }

  from<T>(source: Source<T>, options: { uid?: string } = {}): DataStream<T> {
    const uid = options.uid ?? this.graph.uniqueUid(`source-${source.name}`);
    const node = this.graph.add((id) => ({
      kind: 'source' as const,
      id,
      uid,
      name: source.name,
      source: source as Source<unknown>,
      watermarks: undefined,
      timestampOf: undefined,
    }));
    return new DataStream<T>(this.graph, [{ node: node.id }]);
  }

  start(runOptions: RunOptions = {}): JobHandle {
    const attempt = (ro: RunOptions): Runner =>
      ro.workers ? new WorkerCoordinator(this.graph, this.name, this.options, { ...ro, workers: ro.workers }) : new JobRunner(this.graph, this.name, this.options, ro);
    const restart = this.options.restart;
    const runner = restart ? new RestartingRunner(this.name, attempt, runOptions, restart) : attempt(runOptions);
    const done = runner.run();
    // The caller may only await stop(); keep an unobserved failure from crashing the process.
    done.catch(() => undefined);
    return {
      done,
      stop: (o) => {
        runner.stop(o);
        return done;
      },
      savepoint: () => runner.triggerSavepoint(),
      metrics: () => ({ ...runner.metrics }),
      status: () => runner.status(),
      onCheckpoint: (listener) => runner.onCheckpoint(listener),
    };
  }

  run(runOptions: RunOptions = {}): Promise<JobResult> {
    return this.start(runOptions).done;
  }
}

export function pipeline(name: string, options: PipelineOptions = {}): Pipeline {
  return new Pipeline(name, options);
}
