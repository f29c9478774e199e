// Runs a StreamGraph: instantiates every node once per subtask (all in this thread, so
// parallelism > 1 here exercises key-group routing and rescaling deterministically), drives
// the sources, fires processing-time timers, applies backpressure from the sinks and takes
// checkpoints. Processing is synchronous between source polls, so a checkpoint taken between
// two batches sees no record in flight: that is the aligned barrier of this runtime.
// May import: everything in engine/ except api/data-stream.ts (the API imports us).
import type { StreamGraph, StreamEdge, StreamNode } from '../graph/stream-graph.js';
import type { SourceBatch } from '../sources/source.js';
import type { Clock } from '../time/clock.js';
import type { CheckpointData } from '../checkpoint/checkpoint-data.js';
import type { InputReceiver } from './channels.js';
import type { EdgeTarget } from './router-output.js';
import type { KeyedStateBackend, OperatorStateSnapshot } from '../state/types.js';
import type { PipelineOptions, RunOptions } from './job-options.js';
import { RouterOutput } from './router-output.js';
import { OperatorInstance } from './operator-instance.js';
import { SourceInstance } from './source-instance.js';
import { SinkInstance } from './sink-instance.js';
import { KeyedServicesImpl } from './keyed-services.js';
import { heapStateBackend } from '../api/state-backend.js';
import { toMillis } from '../api/duration.js';
import { systemClock } from '../time/clock.js';
import { CheckpointStorage, readCheckpoint } from '../checkpoint/checkpoint-storage.js';
import { CHECKPOINT_FORMAT_VERSION } from '../checkpoint/checkpoint-data.js';
import { DEFAULT_MAX_PARALLELISM, keyGroupRangeFor } from '../state/key-group.js';
import { createOperatorStateStore, redistributeOperatorState } from '../state/operator-state.js';
import { SluiceError, toSluiceError } from '../../errors.js';

export interface JobResult {
  readonly jobName: string;
  readonly checkpoints: number;
  readonly restoredFrom: string | undefined;
  readonly metrics: Record<string, number>;
  /** Path of the savepoint written on stop, if one was asked for. */
  readonly savepoint: string | undefined;
}

type PollOutcome = { src: SourceInstance; r: SourceBatch<unknown> | null | 'end' } | { src: SourceInstance; err: unknown };

export class JobRunner {
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly clock: Clock;
  readonly batchSize: number;
  readonly maxInFlight: number;
  readonly pollTimeoutMs: number;
  readonly storage: CheckpointStorage | undefined;
  readonly intervalMs: number;

  /** @internal instances of this thread (worker runtime reads them) */
  sources: SourceInstance[] = [];
  /** @internal */
  operators: OperatorInstance[] = [];
  /** operators by subtask then node id (topological) */
  private opsBySubtask: (OperatorInstance | undefined)[][] = [];
  /** @internal */
  sinks: SinkInstance[] = [];
  /** @internal node id -> instance, for the subtask(s) of this thread (worker runtime: one). */
  readonly localByNode = new Map<number, InputReceiver>();
  readonly metrics: Record<string, number> = {};
  /** @internal */
  checkpointId = 0;
  private completed = 0;
  restoredFrom: string | undefined;
  private stopRequested: { savepoint: boolean } | undefined;
  private savepointRequests: { resolve: (p: string) => void; reject: (e: unknown) => void }[] = [];
  private wake: (() => void) | undefined;
  /** Async boundary instances (async I/O), in topological order; their mailboxes are drained by the loop. */
  private asyncOps: OperatorInstance[] = [];
  /** An async boundary's callback left work since the last drain. */
  private mail = false;
  /** @internal set by the worker runtime before build() */
  attempt = 0;

  constructor(
    readonly graph: StreamGraph,
    readonly jobName: string,
    readonly options: PipelineOptions,
    readonly runOptions: RunOptions = {},
  ) {
    this.parallelism = runOptions.parallelism ?? options.parallelism ?? 1;
    this.maxParallelism = options.maxParallelism ?? DEFAULT_MAX_PARALLELISM;
    if (!Number.isInteger(this.parallelism) || this.parallelism < 1 || this.parallelism > this.maxParallelism) {
      throw new SluiceError('INVALID_CONFIG', `parallelism must be in 1..${this.maxParallelism}`);
    }
    this.clock = options.clock ?? systemClock;
    this.batchSize = options.batchSize ?? 1024;
    this.maxInFlight = options.maxInFlightWrites ?? 2;
    this.pollTimeoutMs = options.pollTimeoutMs ?? 50;
    const cp = options.checkpoints;
    this.intervalMs = cp ? toMillis(cp.every, 'checkpoints.every') : 0;
    this.storage = cp
      ? new CheckpointStorage(cp.dir ?? `.sluice-data/checkpoints/${jobName}`, { ...(cp.fs ? { fs: cp.fs } : {}), ...(cp.keep !== undefined ? { keep: cp.keep } : {}) })
      : undefined;
  }

  count = (metric: string, n = 1): void => {
    this.metrics[metric] = (this.metrics[metric] ?? 0) + n;
  };

  /** Asks a running job to stop after the current batch (with a savepoint if asked). */
  stop(options: { savepoint?: boolean } = {}): void {
    this.stopRequested = { savepoint: options.savepoint ?? false };
    this.wake?.();
  }

  /** A savepoint of the running job; resolves with its path. */
  triggerSavepoint(): Promise<string> {
    if (!this.storage) return Promise.reject(new SluiceError('INVALID_CONFIG', 'savepoints need checkpoints.dir (configure checkpoints)'));
    return new Promise((resolve, reject) => {
      this.savepointRequests.push({ resolve, reject });
      this.wake?.();
    });
  }

  async run(): Promise<JobResult> {
    const restored = await this.loadRestore();
    this.attempt = this.storage ? await this.storage.nextAttempt() : 0;
    let savepointPath: string | undefined;
    try {
      await this.build(restored);
      savepointPath = await this.loop();
    } catch (err) {
      await this.closeAll(true);
      throw toSluiceError(err, 'JOB_FAILED');
    }
    await this.closeAll(false);
    return { jobName: this.jobName, checkpoints: this.completed, restoredFrom: this.restoredFrom, metrics: { ...this.metrics }, savepoint: savepointPath };
  }

  /** @internal */
  async loadRestore(): Promise<CheckpointData | undefined> {
    if (this.runOptions.fromSavepoint) {
      this.restoredFrom = this.runOptions.fromSavepoint;
      const data = await readCheckpoint(this.runOptions.fromSavepoint, this.options.checkpoints?.fs);
      this.checkpointId = Math.max(data.id, this.storage ? await this.storage.maxId() : 0);
      return data;
    }
    if (!this.storage) return undefined;
    this.checkpointId = await this.storage.maxId();
    if (this.runOptions.fresh) return undefined;
    const latest = await this.storage.latest();
    if (!latest) return undefined;
    this.restoredFrom = latest.path;
    return latest.data;
  }

  // ---------------------------------------------------------------------------------------
  // Building the subtasks
  // ---------------------------------------------------------------------------------------

  /**
   * Creates the instances of the subtasks in `local` (default: all). Other subtasks are
   * reached through `remote(node, subtask)` (the worker-thread runtime's exchange).
   */
  async build(
    restored: CheckpointData | undefined,
    local?: ReadonlySet<number>,
    remote?: (nodeId: number, subtask: number) => InputReceiver,
  ): Promise<void> {
    if (restored && restored.maxParallelism !== this.maxParallelism) {
      throw new SluiceError('CHECKPOINT_FAILED', `checkpoint has maxParallelism ${restored.maxParallelism}, job has ${this.maxParallelism}`, { retriable: false });
    }
    const p = this.parallelism;
    const nodes = this.graph.nodes;
    // receivers[node][subtask]
    const receivers: InputReceiver[][] = nodes.map(() => []);
    // Channel numbering: for each target node, each in-edge and upstream subtask gets a channel.
    const channelOf = new Map<StreamEdge, number>();
    const channelCount: number[] = nodes.map(() => 0);
    for (const node of nodes) {
      for (const e of this.graph.inEdges(node.id)) {
        channelOf.set(e, channelCount[node.id] as number);
        channelCount[node.id] = (channelCount[node.id] as number) + (e.partitioning === 'forward' ? 1 : p);
      }
    }
    // Instances are created in reverse topological order so outputs can point at receivers.
    const backendFactory = this.options.stateBackend ?? heapStateBackend();
    const resources = this.options.resources ?? {};
    const slots: { current: KeyedStateBackend }[] = [];
    const pendingSources: { node: StreamNode & { kind: 'source' }; s: number; out: RouterOutput<unknown> }[] = [];
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i] as StreamNode;
      for (let s = 0; s < p; s++) {
        if (local && !local.has(s)) {
          receivers[node.id]![s] = (remote as (n: number, s: number) => InputReceiver)(node.id, s);
          continue;
        }
        const out = node.kind === 'sink' ? undefined : this.makeOutput(node, s, receivers, channelOf);
        if (node.kind === 'sink') {
          const old = restored?.sinks[node.uid];
          const mine = old ? old.filter((_c, oldIndex) => oldIndex % p === s) : undefined;
          const writer = await node.sink.createWriter({
            subtaskIndex: s,
            parallelism: p,
            jobName: this.jobName,
            uid: node.uid,
            resources,
            restored: mine,
            restoredCheckpointId: restored?.id ?? 0,
            attempt: this.attempt,
          });
          const inst = new SinkInstance(node.uid, s, writer, channelCount[node.id] as number);
          this.sinks.push(inst);
          receivers[node.id]![s] = inst;
          this.localByNode.set(node.id, inst);
        } else if (node.kind === 'operator') {
          const info = {
            uid: node.uid,
            name: node.name,
            subtaskIndex: s,
            parallelism: p,
            maxParallelism: this.maxParallelism,
            clock: this.clock,
            count: this.count,
          };
          let keyed: KeyedServicesImpl | undefined;
          if (node.keySelectors) {
            const range = keyGroupRangeFor(s, p, this.maxParallelism);
            const backend = backendFactory({ maxParallelism: this.maxParallelism, keyGroupRange: range, clock: () => this.clock.now(), operatorUid: node.uid, subtaskIndex: s });
            const snaps = restored?.keyed[node.uid];
            if (snaps) backend.restore(snaps);
            const slot = (slots[node.id] ??= { current: backend });
            keyed = new KeyedServicesImpl(backend, node.keySelectors, this.maxParallelism, range, () => this.clock.now(), slot);
            const timers = restored?.timers[node.uid];
            if (timers) keyed.restoreTimers(timers);
          }
          const oldOpState = restored?.operatorState[node.uid];
          const opState = createOperatorStateStore(oldOpState ? redistributeOperatorState(oldOpState, p)[s] : undefined);
          const inst = new OperatorInstance(info, node.create(), out as RouterOutput<unknown>, keyed, opState, channelCount[node.id] as number);
          receivers[node.id]![s] = inst;
          this.localByNode.set(node.id, inst);
          this.opsBySubtask[s] ??= [];
          this.opsBySubtask[s]![node.id] = inst;
          this.operators.unshift(inst);
        } else {
          pendingSources.push({ node, s, out: out as RouterOutput<unknown> });
        }
      }
    }
    // Operators open in topological order (sources first in data order).
    this.operators.sort((a, b) => this.nodeIndex(a.info.uid) - this.nodeIndex(b.info.uid) || a.info.subtaskIndex - b.info.subtaskIndex);
    for (const op of this.operators) op.wake = this.signalAsync;
    this.asyncOps = this.operators.filter((op) => op.async !== undefined);
    for (const op of this.operators) op.open();
    pendingSources.reverse();
    for (const { node, s, out } of pendingSources) {
      const positions = restored?.sources[node.uid];
      const reader = await node.source.createReader({
        subtaskIndex: s,
        parallelism: p,
        restoredPositions: positions,
        jobName: this.jobName,
        resources,
        count: this.count,
      });
      const inst = new SourceInstance(node, s, reader, out, this.clock, positions);
      this.sources.push(inst);
    }
    for (const src of this.sources) src.start();
  }

  private nodeIndex(uid: string): number {
    return this.graph.nodes.findIndex((n) => n.uid === uid);
  }

  private makeOutput(node: StreamNode, s: number, receivers: InputReceiver[][], channelOf: Map<StreamEdge, number>): RouterOutput<unknown> {
    const main: EdgeTarget[] = [];
    const sides = new Map<string, EdgeTarget[]>();
    for (const e of this.graph.outEdges(node.id)) {
      const base = channelOf.get(e) as number;
      const t: EdgeTarget = {
        partitioning: e.partitioning,
        input: e.input,
        keySelector: e.keySelector,
        targets: receivers[e.to] as InputReceiver[],
        channel: e.partitioning === 'forward' ? base : base + s,
        subtask: s,
        maxParallelism: this.maxParallelism,
      };
      if (e.sideTag === undefined) main.push(t);
      else {
        let list = sides.get(e.sideTag);
        if (!list) sides.set(e.sideTag, (list = []));
        list.push(t);
      }
    }
    return new RouterOutput<unknown>(main, sides, this.batchSize);
  }

  // ---------------------------------------------------------------------------------------
  // The loop
  // ---------------------------------------------------------------------------------------

  private async loop(): Promise<string | undefined> {
    const polls = new Map<SourceInstance, Promise<PollOutcome>>();
    let nextCheckpoint = this.intervalMs > 0 ? this.clock.now() + this.intervalMs : Number.POSITIVE_INFINITY;
    const poll = (src: SourceInstance): Promise<PollOutcome> =>
      src.reader.poll(this.batchSize, this.pollTimeoutMs).then(
        (r) => ({ src, r }),
        (err: unknown) => ({ src, err }),
      );
    while (true) {
      if (this.stopRequested) break;
      this.drainAsync();
      // A full async boundary backpressures the sources: no poll until it has room again.
      const blocked = this.asyncBackpressured();
      if (!blocked) for (const src of this.sources) if (!src.ended && !polls.has(src)) polls.set(src, poll(src));
      const busy = this.asyncBusy();
      if (polls.size === 0 && !busy) break;
      let timer: NodeJS.Timeout | undefined;
      const wakeP = new Promise<undefined>((resolve) => {
        this.wake = () => resolve(undefined);
        if (this.mail) resolve(undefined);
        else if (busy) timer = setTimeout(() => resolve(undefined), this.pollTimeoutMs);
      });
      const outcome = await Promise.race(blocked ? [wakeP] : [...polls.values(), wakeP]);
      clearTimeout(timer);
      this.wake = undefined;
      if (outcome) {
        polls.delete(outcome.src);
        if ('err' in outcome) throw toSluiceError(outcome.err, 'JOB_FAILED');
        const r = outcome.r;
        if (r === 'end') outcome.src.end();
        else if (r) {
          outcome.src.push(r);
          this.count('records-in', r.values.length);
        }
      }
      const now = this.clock.now();
      for (const op of this.operators) op.advanceProcessingTime(now);
      for (const src of this.sources) src.checkIdleness();
      for (const sink of this.sinks) await sink.drainTo(this.maxInFlight);
      if (now >= nextCheckpoint) {
        await this.checkpoint(false);
        nextCheckpoint = this.clock.now() + this.intervalMs;
      }
      while (this.savepointRequests.length > 0) {
        const req = this.savepointRequests.shift() as { resolve: (p: string) => void; reject: (e: unknown) => void };
        try {
          req.resolve(await this.checkpoint(true));
        } catch (err) {
          req.reject(err);
        }
      }
    }
    // Pending polls are abandoned on stop; their batches were never pushed, so positions are exact.
    let savepoint: string | undefined;
    if (this.stopRequested) {
      if (this.stopRequested.savepoint) savepoint = await this.checkpoint(true);
      return savepoint;
    }
    // Bounded end: finish operators in topological order, then a final checkpoint commits the sinks.
    for (const op of this.operators) op.finish();
    for (const sink of this.sinks) await sink.drainTo(0);
    if (this.storage) await this.checkpoint(false);
    for (const sink of this.sinks) await sink.writer.finish?.();
    return undefined;
  }

  /** @internal an async boundary's callback completed work: wake the loop to drain it. */
  signalAsync = (): void => {
    this.mail = true;
    this.wake?.();
  };

  /** @internal emits what async boundaries completed (their mailboxes), upstream first. */
  drainAsync(): void {
    this.mail = false;
    if (this.asyncOps.length === 0) return;
    const now = this.clock.now();
    for (const op of this.asyncOps) op.drainAsync(now);
  }

  /** @internal */
  asyncBackpressured(): boolean {
    for (const op of this.asyncOps) if (op.isBackpressured()) return true;
    return false;
  }

  /** @internal */
  asyncBusy(): boolean {
    for (const op of this.asyncOps) if (op.hasAsyncWork()) return true;
    return false;
  }

  /**
   * Snapshots everything, writes the file, then commits the sinks. Nothing is in flight
   * between batches except inside async boundaries, which write their in-flight elements into
   * their operator state first (re-issued on restore).
   */
  private async checkpoint(savepoint: boolean): Promise<string> {
    if (!this.storage) throw new SluiceError('INVALID_CONFIG', 'checkpoints are not configured');
    const id = ++this.checkpointId;
    const sources: Record<string, Record<string, unknown>> = {};
    for (const src of this.sources) Object.assign((sources[src.node.uid] ??= {}), src.positions);
    const keyed: CheckpointData['keyed'] = {};
    const timers: CheckpointData['timers'] = {};
    const operatorState: Record<string, OperatorStateSnapshot[]> = {};
    for (const op of this.operators) {
      const uid = op.info.uid;
      if (op.keyed) {
        (keyed[uid] ??= []).push(...op.keyed.backend.snapshot());
        const t = (timers[uid] ??= {});
        for (const [name, entries] of Object.entries(op.keyed.snapshotTimers())) (t[name] ??= []).push(...entries);
      }
      op.prepareSnapshot();
      (operatorState[uid] ??= [])[op.info.subtaskIndex] = op.operatorState.snapshot();
    }
    for (const sink of this.sinks) await sink.drainTo(0);
    const sinks: Record<string, unknown[]> = {};
    for (const sink of this.sinks) (sinks[sink.uid] ??= [])[sink.subtaskIndex] = sink.writer.preCommit ? await sink.writer.preCommit(id) : null;
    const data: CheckpointData = {
      version: CHECKPOINT_FORMAT_VERSION,
      id,
      jobName: this.jobName,
      timestamp: this.clock.now(),
      savepoint,
      parallelism: this.parallelism,
      maxParallelism: this.maxParallelism,
      sources,
      keyed,
      timers,
      operatorState,
      sinks,
    };
    let path: string;
    try {
      path = await this.storage.write(data);
    } catch (err) {
      throw new SluiceError('CHECKPOINT_FAILED', `checkpoint ${id} could not be written`, { cause: err });
    }
    this.completed++;
    this.count('checkpoints-completed');
    for (const sink of this.sinks) await sink.writer.commit?.(id);
    return path;
  }

  /** @internal */
  async closeAll(failed: boolean): Promise<void> {
    const errors: unknown[] = [];
    for (const src of this.sources) await src.reader.close().catch((e: unknown) => errors.push(e));
    for (const op of this.operators) {
      try {
        await op.close();
      } catch (e) {
        errors.push(e);
      }
    }
    for (const sink of this.sinks) await sink.writer.close().catch((e: unknown) => errors.push(e));
    if (!failed && errors.length > 0) throw toSluiceError(errors[0], 'JOB_FAILED');
  }
}
