// Runs a StreamGraph: instantiates every node once per subtask (all in this thread, so
// parallelism > 1 here exercises key-group routing and rescaling deterministically), drives
// the sources, fires processing-time timers, applies backpressure from the sinks and takes
// checkpoints. Processing is synchronous between source polls, so a checkpoint taken between
// two batches sees no record in flight: that is the aligned barrier of this runtime.
// May import: everything in engine/ except api/data-stream.ts (the API imports us).
import type { StreamGraph, StreamEdge, StreamNode } from '../graph/stream-graph.js';
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
import type { CheckpointListener, CheckpointStats, JobStatus, SubtaskStatus } from './job-status.js';
import { CHECKPOINT_HISTORY } from './job-status.js';
import { alignmentDrift, mayPoll, slowestAligned } from './watermark-alignment.js';
import { SourcePolls } from './source-polls.js';
import { NodeFileSystem } from '../../log/fs/node-file-system.js';

export interface JobResult {
  readonly jobName: string;
  readonly checkpoints: number;
  readonly restoredFrom: string | undefined;
  readonly metrics: Record<string, number>;
  /** Path of the savepoint written on stop, if one was asked for. */
  readonly savepoint: string | undefined;
}

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
  // Status (job-status.ts): lifecycle, time the loop waited for input, checkpoint history.
  private state: JobStatus['state'] = 'created';
  private startedAt = Date.now();
  private startedPerf = performance.now();
  private waitingMs = 0;
  private checkpointsFailed = 0;
  private checkpointInProgress: number | null = null;
  private readonly checkpointHistory: CheckpointStats[] = [];
  private readonly checkpointListeners = new Set<CheckpointListener>();
  private downstream: Map<number, number[]> | undefined;

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
    this.state = 'running';
    this.startedAt = Date.now();
    this.startedPerf = performance.now();
    const restored = await this.loadRestore().catch((err: unknown) => {
      this.state = 'failed';
      throw err;
    });
    this.attempt = this.storage ? await this.storage.nextAttempt() : 0;
    let savepointPath: string | undefined;
    try {
      await this.build(restored);
      savepointPath = await this.loop();
    } catch (err) {
      this.state = 'failed';
      await this.closeAll(true);
      throw toSluiceError(err, 'JOB_FAILED');
    }
    try {
      await this.closeAll(false);
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
    this.state = 'finished';
    return { jobName: this.jobName, checkpoints: this.completed, restoredFrom: this.restoredFrom, metrics: { ...this.metrics }, savepoint: savepointPath };
  }

  /** @internal the worker runtime builds and loops itself: it marks the start here, so status() measures uptime and idle time. */
  markRunning(): void {
    this.state = 'running';
    this.startedAt = Date.now();
    this.startedPerf = performance.now();
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
            maxParallelism: this.maxParallelism,
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
    const polls = new SourcePolls(this.batchSize, this.pollTimeoutMs, () => this.wake?.());
    let nextCheckpoint = this.intervalMs > 0 ? this.clock.now() + this.intervalMs : Number.POSITIVE_INFINITY;
    const drift = alignmentDrift(this.sources);
    while (true) {
      if (this.stopRequested) break;
      this.drainAsync();
      // A full async boundary backpressures the sources: no poll until it has room again.
      const blocked = this.asyncBackpressured();
      // Watermark alignment: a source too far ahead of the slowest aligned one waits its turn.
      const slowest = drift === undefined ? 0 : slowestAligned(this.sources);
      let held = false;
      if (!blocked) {
        for (const src of this.sources) {
          if (src.ended || polls.isPolling(src)) continue;
          if (mayPoll(src, slowest, drift)) polls.start(src);
          else held = true;
        }
      }
      const busy = this.asyncBusy();
      if (polls.size === 0 && !busy && !held) break;
      let outcome = blocked ? undefined : polls.take();
      if (outcome === undefined && !this.mail) {
        // Wait for a poll, for mail (async boundary, stop, savepoint) or, when something else
        // is pending, the poll timeout.
        let timer: NodeJS.Timeout | undefined;
        const waitStart = performance.now();
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          if (busy || held) timer = setTimeout(resolve, this.pollTimeoutMs);
        });
        this.chargeWait(performance.now() - waitStart, blocked);
        clearTimeout(timer);
        this.wake = undefined;
        if (!blocked) outcome = polls.take();
      }
      if (outcome) {
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
      await this.drainSinksToLimit();
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

  /**
   * @internal Time a loop waited: for input, or (`blocked`) held back by a full async boundary,
   * which then counts as that boundary's blocking time. Both runtimes' loops report it here.
   */
  chargeWait(waited: number, blocked: boolean): void {
    if (!blocked) this.waitingMs += waited;
    else for (const op of this.asyncOps) if (op.isBackpressured()) op.blockingMs += waited;
  }

  /** @internal Lets every sink get below its in-flight limit; the wait is that sink's blocking (backpressure) time. */
  async drainSinksToLimit(): Promise<void> {
    for (const sink of this.sinks) {
      const before = sink.inFlightWaitMs;
      await sink.drainTo(this.maxInFlight);
      sink.blockingMs += sink.inFlightWaitMs - before;
    }
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
  private checkpoint(savepoint: boolean): Promise<string> {
    return this.trackCheckpoint(this.checkpointId + 1, savepoint, () => this.takeCheckpoint(savepoint));
  }

  /**
   * @internal Times checkpoint `id` taken by `take` (which returns its path), records the
   * outcome in the history and tells the onCheckpoint listeners. The worker runtime's
   * coordinator takes its checkpoints through this too, so both runtimes report alike.
   */
  async trackCheckpoint(id: number, savepoint: boolean, take: () => Promise<string>): Promise<string> {
    const triggeredAt = this.clock.now();
    const t0 = performance.now();
    this.checkpointInProgress = id;
    try {
      const path = await take();
      const durationMs = performance.now() - t0;
      let sizeBytes: number | null = null;
      try {
        sizeBytes = (await (this.options.checkpoints?.fs ?? new NodeFileSystem()).stat(path))?.size ?? null;
      } catch {
        // The size is for display only; the checkpoint itself is complete.
      }
      this.recordCheckpoint({ id, savepoint, triggeredAt, durationMs, sizeBytes, status: 'completed', path });
      return path;
    } catch (err) {
      this.checkpointsFailed++;
      this.recordCheckpoint({ id, savepoint, triggeredAt, durationMs: performance.now() - t0, sizeBytes: null, status: 'failed', failure: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      this.checkpointInProgress = null;
    }
  }

  private recordCheckpoint(stats: CheckpointStats): void {
    this.checkpointHistory.push(stats);
    if (this.checkpointHistory.length > CHECKPOINT_HISTORY) this.checkpointHistory.shift();
    for (const l of this.checkpointListeners) {
      try {
        l(stats);
      } catch {
        // A listener's failure is its own; the job goes on.
      }
    }
  }

  /** Calls `listener` after every checkpoint (and savepoint) completes or fails; returns the unsubscribe. */
  onCheckpoint(listener: CheckpointListener): () => void {
    this.checkpointListeners.add(listener);
    return () => this.checkpointListeners.delete(listener);
  }

  /** Per subtask records, busy / backpressured / idle time and watermarks; checkpoint history (job-status.ts). */
  status(): JobStatus {
    const uptimeMs = this.state === 'created' ? 0 : performance.now() - this.startedPerf;
    const nodes = this.graph.nodes;
    const byUid = new Map<string, StreamNode>();
    for (const n of nodes) byUid.set(n.uid, n);
    // A full subtask holds back every subtask upstream of it (one thread: the whole job upstream).
    const blocking = new Map<number, number>();
    const addBlocking = (uid: string, ms: number): void => {
      const n = byUid.get(uid);
      if (n && ms > 0) blocking.set(n.id, (blocking.get(n.id) ?? 0) + ms);
    };
    for (const op of this.operators) addBlocking(op.info.uid, op.blockingMs);
    for (const sink of this.sinks) addBlocking(sink.uid, sink.blockingMs);
    const downstream = this.downstreamNodes();
    const backpressuredOf = (nodeId: number): number => {
      let ms = 0;
      for (const d of downstream.get(nodeId) ?? []) ms += blocking.get(d) ?? 0;
      return ms;
    };
    const subtasks: SubtaskStatus[] = [];
    const add = (node: StreamNode, s: Omit<SubtaskStatus, 'nodeId' | 'uid' | 'name' | 'kind' | 'idleMs' | 'backpressuredMs'>): void => {
      const backpressuredMs = Math.min(backpressuredOf(node.id), uptimeMs);
      subtasks.push({ nodeId: node.id, uid: node.uid, name: node.name, kind: node.kind, ...s, backpressuredMs, idleMs: Math.max(0, uptimeMs - s.busyMs - backpressuredMs) });
    };
    for (const src of this.sources) {
      add(src.node, { subtask: src.subtaskIndex, recordsIn: src.recordsOut, recordsOut: src.recordsOut, busyMs: src.busyMs, watermark: src.watermark, positions: { ...src.positions } });
    }
    for (const op of this.operators) {
      const node = byUid.get(op.info.uid);
      if (!node) continue;
      add(node, { subtask: op.info.subtaskIndex, recordsIn: op.recordsIn, recordsOut: op.output.recordsOut ?? 0, busyMs: op.busyMs, watermark: op.watermarks.current, blockingMs: op.blockingMs });
    }
    for (const sink of this.sinks) {
      const node = byUid.get(sink.uid);
      if (!node) continue;
      add(node, { subtask: sink.subtaskIndex, recordsIn: sink.recordsIn, recordsOut: 0, busyMs: sink.busyMs, watermark: sink.watermarks.current, pendingWrites: sink.pending, inFlightWaitMs: sink.inFlightWaitMs, blockingMs: sink.blockingMs, lastEventTime: sink.lastTimestamp, lastWriteAt: sink.lastWriteAt });
    }
    subtasks.sort((a, b) => a.nodeId - b.nodeId || a.subtask - b.subtask);
    return {
      jobName: this.jobName,
      state: this.state,
      startedAt: this.startedAt,
      uptimeMs,
      subtasks,
      waitingForInputMs: this.waitingMs,
      restarts: 0,
      checkpoints: {
        completed: this.completed,
        failed: this.checkpointsFailed,
        inProgress: this.checkpointInProgress,
        history: [...this.checkpointHistory],
      },
    };
  }

  /** Node id -> ids of every node reachable downstream of it (the graph does not change while running). */
  private downstreamNodes(): Map<number, number[]> {
    if (this.downstream) return this.downstream;
    const out = new Map<number, number[]>();
    for (const node of this.graph.nodes) {
      const seen = new Set<number>();
      const stack = [node.id];
      while (stack.length > 0) {
        for (const e of this.graph.outEdges(stack.pop() as number)) {
          if (seen.has(e.to)) continue;
          seen.add(e.to);
          stack.push(e.to);
        }
      }
      out.set(node.id, [...seen]);
    }
    this.downstream = out;
    return out;
  }

  private async takeCheckpoint(savepoint: boolean): Promise<string> {
    if (!this.storage) throw new SluiceError('INVALID_CONFIG', 'checkpoints are not configured');
    const id = ++this.checkpointId;
    const sources: Record<string, Record<string, unknown>> = {};
    for (const src of this.sources) Object.assign((sources[src.node.uid] ??= {}), src.snapshotPositions(id));
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
    for (const src of this.sources) await src.notifyCheckpointComplete(id);
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
