// The main-thread side of the worker-thread runtime: spawns one worker per subtask (each
// re-imports the job's module), connects every pair of workers with a MessageChannel,
// triggers checkpoints and merges the workers' acknowledgements into one checkpoint file,
// then tells the sinks to commit. Restores (also at another parallelism) work as in the
// single-thread runtime: each worker receives the checkpoint and keeps its share.
// A Log among the pipeline's resources stays on this thread (it cannot be shared): each worker
// gets a port to it per Log resource, served here by serveLog, and its topic sources and sinks
// use the proxy in its place.
// Status: each worker reports its subtasks every STATS_INTERVAL_MS (and once at the end); the
// checkpoints are timed and recorded here through the JobRunner's tracker, so status() and
// onCheckpoint report the same things as on one thread.
// May import: runtime/, checkpoint/, graph/, sources/topic-log.ts, sources/log-access.ts, sinks/collect-sink.ts.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { StreamGraph } from '../graph/stream-graph.js';
import type { PipelineOptions, RunOptions, WorkerRunOptions } from './job-options.js';
import type { JobResult } from './job-runner.js';
import type { FromWorker, ToWorker, WorkerInit, WorkerSnapshot } from './worker-protocol.js';
import type { CheckpointData } from '../checkpoint/checkpoint-data.js';
import type { OperatorStateSnapshot } from '../state/types.js';
import type { LogServer } from './worker-log-server.js';
import type { CheckpointListener, JobStatus, SubtaskStatus } from './job-status.js';
import { JobRunner } from './job-runner.js';
import { serveLog } from './worker-log-server.js';
import { isTopicLog, logAccessFrom } from '../sources/topic-log.js';
import { isLogAccess } from '../sources/log-access.js';
import { CHECKPOINT_FORMAT_VERSION } from '../checkpoint/checkpoint-data.js';
import { appendCollected, type Collected } from '../sinks/collect-sink.js';
import { ERROR_CODES, SluiceError, type ErrorCode } from '../../errors.js';

interface Waiter {
  acks: Map<number, WorkerSnapshot>;
  resolve: () => void;
}

export class WorkerCoordinator {
  private readonly base: JobRunner;
  private workers: Worker[] = [];
  private logServers: LogServer[] = [];
  /** Workers that rebuilt the job and run their subtasks. */
  private running = new Set<number>();
  private finished = new Set<number>();
  private done = new Map<number, Extract<FromWorker, { t: 'done' }>>();
  private failure: SluiceError | undefined;
  private waiters = new Map<number, Waiter>();
  private wake: (() => void) | undefined;
  private stopRequested: { savepoint: boolean } | undefined;
  private savepointRequests: { resolve: (p: string) => void; reject: (e: unknown) => void }[] = [];
  private completed = 0;
  readonly metrics: Record<string, number> = {};
  private state: JobStatus['state'] = 'created';
  private startedAt = Date.now();
  private startedPerf = performance.now();
  /** The latest status report of each worker. */
  private readonly stats = new Map<number, Extract<FromWorker, { t: 'stats' }>>();

  constructor(
    readonly graph: StreamGraph,
    readonly jobName: string,
    readonly options: PipelineOptions,
    readonly runOptions: RunOptions & { workers: WorkerRunOptions },
  ) {
    this.base = new JobRunner(graph, jobName, options, runOptions);
  }

  stop(options: { savepoint?: boolean } = {}): void {
    this.stopRequested = { savepoint: options.savepoint ?? false };
    this.wake?.();
  }

  triggerSavepoint(): Promise<string> {
    if (!this.base.storage) return Promise.reject(new SluiceError('INVALID_CONFIG', 'savepoints need checkpoints configured'));
    return new Promise((resolve, reject) => {
      this.savepointRequests.push({ resolve, reject });
      this.wake?.();
    });
  }

  /** As JobRunner.status(): the subtasks are the workers' latest reports (at most STATS_INTERVAL_MS old). */
  status(): JobStatus {
    const base = this.base.status();
    const subtasks: SubtaskStatus[] = [];
    let waiting = 0;
    for (const s of this.stats.values()) {
      subtasks.push(...s.subtasks);
      waiting += s.waitingForInputMs;
    }
    subtasks.sort((a, b) => a.nodeId - b.nodeId || a.subtask - b.subtask);
    return {
      jobName: this.jobName,
      state: this.state,
      startedAt: this.startedAt,
      uptimeMs: this.state === 'created' ? 0 : performance.now() - this.startedPerf,
      subtasks,
      // Each worker has its own loop: their mean, so it compares with the uptime as on one thread.
      waitingForInputMs: this.stats.size === 0 ? 0 : waiting / this.stats.size,
      restarts: 0,
      checkpoints: { ...base.checkpoints, completed: this.completed },
    };
  }

  onCheckpoint(listener: CheckpointListener): () => void {
    return this.base.onCheckpoint(listener);
  }

  async run(): Promise<JobResult> {
    this.state = 'initializing';
    this.startedAt = Date.now();
    this.startedPerf = performance.now();
    try {
      const result = await this.runWorkers();
      this.state = 'finished';
      return result;
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
  }

  private async runWorkers(): Promise<JobResult> {
    const restored = await this.base.loadRestore();
    const attempt = this.base.storage ? await this.base.storage.nextAttempt() : 0;
    this.spawn(restored, attempt);
    let savepoint: string | undefined;
    try {
      let nextCheckpoint = this.base.intervalMs > 0 ? Date.now() + this.base.intervalMs : Number.POSITIVE_INFINITY;
      while (true) {
        if (this.failure) throw this.failure;
        if (this.stopRequested) {
          if (this.stopRequested.savepoint) savepoint = await this.checkpoint(true, true);
          this.broadcast({ t: 'stop' });
          break;
        }
        if (this.finished.size === this.workers.length) {
          if (this.base.storage) await this.checkpoint(false);
          this.broadcast({ t: 'close' });
          break;
        }
        while (this.savepointRequests.length > 0) {
          const req = this.savepointRequests.shift() as { resolve: (p: string) => void; reject: (e: unknown) => void };
          try {
            req.resolve(await this.checkpoint(true));
          } catch (err) {
            req.reject(err);
          }
        }
        if (Date.now() >= nextCheckpoint) {
          await this.checkpoint(false);
          nextCheckpoint = Date.now() + this.base.intervalMs;
        }
        await this.sleep(Math.min(50, Math.max(1, nextCheckpoint - Date.now())));
      }
      await this.until(() => this.done.size === this.workers.length, 'workers to finish');
    } catch (err) {
      await Promise.all(this.workers.map((w) => w.terminate()));
      throw err;
    } finally {
      for (const s of this.logServers) s.close();
    }
    this.gatherResults();
    return { jobName: this.jobName, checkpoints: this.completed, restoredFrom: this.base.restoredFrom, metrics: { ...this.metrics }, savepoint };
  }

  private spawn(restored: CheckpointData | undefined, attempt: number): void {
    const p = this.base.parallelism;
    const w = this.runOptions.workers;
    // ports[i] = list of [peer, port] for worker i
    const ports: [number, MessagePort][][] = Array.from({ length: p }, () => []);
    for (let i = 0; i < p; i++)
      for (let j = i + 1; j < p; j++) {
        const ch = new MessageChannel();
        (ports[i] as [number, MessagePort][]).push([j, ch.port1]);
        (ports[j] as [number, MessagePort][]).push([i, ch.port2]);
      }
    const fingerprint = this.graph.nodes.map((n) => n.uid).join('|');
    const resources = this.options.resources ?? {};
    const logs = Object.keys(resources).filter((k) => isTopicLog(resources[k]) || isLogAccess(resources[k]));
    const isTs = import.meta.url.endsWith('.ts');
    const entry = new URL(`./worker-entry.${isTs ? 'ts' : 'js'}`, import.meta.url).href;
    // From TypeScript sources the worker must load tsx itself (loader hooks do not follow workers).
    const code = isTs
      ? `(async () => { const api = await import('tsx/esm/api'); api.register(); await import(${JSON.stringify(entry)}); })().catch((e) => { console.error(e); process.exit(1); })`
      : `import(${JSON.stringify(entry)}).catch((e) => { console.error(e); process.exit(1); })`;
    for (let i = 0; i < p; i++) {
      const mine = ports[i] as [number, MessagePort][];
      const init: WorkerInit = {
        module: w.module,
        exportName: w.export ?? 'default',
        args: w.args ?? [],
        jobName: this.jobName,
        subtask: i,
        parallelism: p,
        attempt,
        restored,
        fingerprint,
        peers: mine.map(([peer]) => peer),
        logs,
      };
      const portList = mine.map(([, port]) => port);
      const logPorts: MessagePort[] = [];
      for (const name of logs) {
        const ch = new MessageChannel();
        this.logServers.push(serveLog(ch.port1, logAccessFrom(resources, 'worker threads', name)));
        logPorts.push(ch.port2);
      }
      const worker = new Worker(code, { eval: true, workerData: { sluiceWorker: init, ports: portList, logPorts }, transferList: [...portList, ...logPorts] });
      worker.on('message', (m: FromWorker) => this.onMessage(i, m));
      worker.on('error', (err) => this.fail(new SluiceError('JOB_FAILED', `worker ${i}: ${err.message}`, { cause: err })));
      worker.on('exit', (code) => {
        if (!this.done.has(i) && !this.failure) this.fail(new SluiceError('JOB_FAILED', `worker ${i} exited (code ${code}) before finishing`));
      });
      this.workers.push(worker);
    }
  }

  private onMessage(i: number, m: FromWorker): void {
    switch (m.t) {
      case 'running':
        this.running.add(i);
        if (this.running.size === this.base.parallelism && this.state === 'initializing') this.state = 'running';
        return;
      case 'ack': {
        const w = this.waiters.get(m.id);
        if (w) {
          w.acks.set(i, m.snapshot);
          if (w.acks.size === this.workers.length) w.resolve();
        }
        break;
      }
      case 'finished':
        this.finished.add(i);
        break;
      case 'stats':
        this.stats.set(i, m);
        return;
      case 'done':
        this.done.set(i, m);
        for (const [k, v] of Object.entries(m.metrics)) this.metrics[k] = (this.metrics[k] ?? 0) + v;
        break;
      case 'failed':
        this.fail(new SluiceError(m.code in ERROR_CODES ? (m.code as ErrorCode) : 'JOB_FAILED', `worker ${i}: ${m.message}`, { details: { worker: i } }));
        break;
    }
    this.wake?.();
  }

  private fail(err: SluiceError): void {
    this.failure ??= err;
    this.wake?.();
  }

  private broadcast(m: ToWorker): void {
    for (const w of this.workers) w.postMessage(m);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async until(cond: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (this.failure) throw this.failure;
      if (Date.now() > deadline) throw new SluiceError('TIMEOUT', `timed out waiting for ${what}`);
      await this.sleep(50);
    }
  }

  private checkpoint(savepoint: boolean, halt = false): Promise<string> {
    return this.base.trackCheckpoint(this.base.checkpointId + 1, savepoint, () => this.takeCheckpoint(savepoint, halt));
  }

  private async takeCheckpoint(savepoint: boolean, halt: boolean): Promise<string> {
    const storage = this.base.storage;
    if (!storage) throw new SluiceError('INVALID_CONFIG', 'checkpoints are not configured');
    const id = ++this.base.checkpointId;
    const acks = new Map<number, WorkerSnapshot>();
    let complete = false;
    this.waiters.set(id, { acks, resolve: () => (complete = true) });
    this.broadcast({ t: 'trigger', id, savepoint, halt });
    try {
      await this.until(() => complete, `checkpoint ${id}`);
    } finally {
      this.waiters.delete(id);
    }
    const data: CheckpointData = {
      version: CHECKPOINT_FORMAT_VERSION,
      id,
      jobName: this.jobName,
      timestamp: Date.now(),
      savepoint,
      parallelism: this.base.parallelism,
      maxParallelism: this.base.maxParallelism,
      sources: {},
      keyed: {},
      timers: {},
      operatorState: {},
      sinks: {},
    };
    for (let i = 0; i < this.workers.length; i++) {
      const s = acks.get(i) as WorkerSnapshot;
      for (const [uid, pos] of Object.entries(s.sources)) Object.assign((data.sources[uid] ??= {}), pos);
      for (const [uid, snaps] of Object.entries(s.keyed)) (data.keyed[uid] ??= []).push(...snaps);
      for (const [uid, byName] of Object.entries(s.timers)) {
        const t = (data.timers[uid] ??= {});
        for (const [name, entries] of Object.entries(byName)) (t[name] ??= []).push(...entries);
      }
      for (const [uid, bySubtask] of Object.entries(s.operatorState)) {
        const list = (data.operatorState[uid] ??= []) as OperatorStateSnapshot[];
        for (const [sub, snap] of Object.entries(bySubtask)) list[Number(sub)] = snap;
      }
      for (const [uid, bySubtask] of Object.entries(s.sinks)) {
        const list = (data.sinks[uid] ??= []);
        for (const [sub, c] of Object.entries(bySubtask)) list[Number(sub)] = c;
      }
    }
    const path = await storage.write(data);
    this.completed++;
    this.metrics['checkpoints-completed'] = (this.metrics['checkpoints-completed'] ?? 0) + 1;
    this.broadcast({ t: 'commit', id });
    return path;
  }

  /** Collecting sinks filled inside workers are copied into this thread's sink objects. */
  private gatherResults(): void {
    for (let i = 0; i < this.workers.length; i++) {
      const d = this.done.get(i);
      if (!d) continue;
      for (const [uid, c] of Object.entries(d.collected)) {
        const node = this.graph.nodes.find((n) => n.uid === uid);
        const mine = node && node.kind === 'sink' ? (node.sink as { collected?: Collected<unknown> }).collected : undefined;
        // Not push(...values): a spread of a large result overflows the stack.
        if (mine) appendCollected(mine, c.values, c.timestamps);
      }
    }
  }
}
