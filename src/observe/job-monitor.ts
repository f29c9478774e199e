// Live statistics of a running job for the HTTP API, the web UI and /metrics, read from the
// engine's own status API (`JobHandle.status()` and `onCheckpoint`, engine/runtime/
// job-status.ts): per node records in/out and their rates, busy / backpressured / idle shares,
// watermarks and their lag, checkpoints, consumer lag of log-topic sources. The monitor never
// touches the pipeline's graph; it samples the status about once a second (and whenever the
// UI or a scrape asks), so it adds nothing to the job's per-record or per-batch work.
// May import: observe/metrics.ts, engine/ (types), log/ (types).
import type { Pipeline, JobHandle } from '../engine/api/pipeline.js';
import type { CheckpointStats, JobStatus, NodeKind as EngineNodeKind, SubtaskStatus } from '../engine/runtime/job-status.js';
import type { Log } from '../log/log.js';
import type { MetricsRegistry, Counter, HistogramChild } from './metrics.js';

export type NodeKind = EngineNodeKind;

/** Totals of one node over its subtasks at one sample. */
interface NodeTotals {
  uid: string;
  in: number;
  out: number;
  busyMs: number;
  bpMs: number;
  idleMs: number;
  watermark: number;
  subtasks: number;
}

export interface NodeView {
  readonly id: number;
  readonly uid: string;
  readonly name: string;
  readonly kind: NodeKind;
  readonly parallelism: number;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly recordsInPerSecond: number;
  readonly recordsOutPerSecond: number;
  /** Fractions of wall time over the last sampling window (~5 s), 0..1, averaged over subtasks. */
  readonly busy: number;
  readonly backpressured: number;
  readonly idle: number;
  readonly backpressure: 'ok' | 'low' | 'high';
  readonly watermark: number | null;
  /** Processing time minus watermark, in ms (null before the first watermark). */
  readonly watermarkLagMs: number | null;
}

export interface CheckpointView {
  readonly completed: number;
  readonly failed: number;
  readonly inProgress: boolean;
  readonly last: { readonly id: number; readonly completedAt: number; readonly durationMs: number; readonly sizeBytes: number | null } | null;
  readonly history: readonly { readonly id: number; readonly completedAt: number; readonly durationMs: number; readonly sizeBytes: number | null; readonly status: 'completed' | 'failed' }[];
}

export interface JobView {
  readonly name: string;
  readonly status: 'running' | 'finished' | 'failed';
  readonly startedAt: number;
  readonly nodes: NodeView[];
  readonly edges: { readonly from: number; readonly to: number; readonly partitioning: string; readonly sideOutput: string | null }[];
  readonly checkpoints: CheckpointView;
  readonly consumerLag: { readonly topic: string; readonly partition: number; readonly position: number; readonly endOffset: number; readonly lag: number }[];
  readonly counters: Record<string, number>;
}

interface Sample {
  /** performance.now() of the sample */
  at: number;
  nodes: Map<number, NodeTotals>;
}

export interface MonitorOptions {
  readonly registry: MetricsRegistry;
  /** The log topic sources read from (for consumer lag). */
  readonly log?: Log;
  /** Kept for callers of the first version; checkpoint sizes now come from the engine. */
  readonly checkpointDir?: string;
  readonly now?: () => number;
  /** How often the monitor samples the job's status while it runs (default 1000 ms). */
  readonly sampleEveryMs?: number;
}

/** The part of a JobHandle the monitor follows. */
export type MonitoredHandle = Pick<JobHandle, 'done' | 'metrics' | 'status' | 'onCheckpoint'>;

const RATE_WINDOW_MS = 5000;

export class JobMonitor {
  readonly name: string;
  readonly startedAt: number;
  private readonly now: () => number;
  private handle: MonitoredHandle | undefined;
  private ended: 'finished' | 'failed' | undefined;
  private samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private checkpoints: { id: number; completedAt: number; durationMs: number; sizeBytes: number | null; status: 'completed' | 'failed' }[] = [];
  private checkpointsCompleted = 0;
  private checkpointsFailed = 0;
  /** Per sink node: the last write already observed in the latency histogram. */
  private readonly latencySeen = new Map<string, number>();
  /** Idle seconds exposed so far per node (kept monotonic across samples). */
  private readonly idleExposed = new Map<string, number>();
  private readonly m: {
    recordsIn: Counter;
    recordsOut: Counter;
    busy: Counter;
    bp: Counter;
    idle: Counter;
    latency: (sink: string) => HistogramChild;
    cpDuration: HistogramChild;
  };

  constructor(
    readonly pipeline: Pipeline,
    readonly options: MonitorOptions,
  ) {
    this.name = pipeline.name;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    const r = options.registry;
    const job = this.name;
    // Registered first: its collector reads the job's status into the counters below before
    // they are exposed (one status read per scrape).
    const uptime = r.gauge('sluice_job_uptime_seconds', 'Seconds since the job started', ['job']);
    const deadLetters = r.counter('sluice_dead_letters_total', 'Records a source could not decode, sent to the dead-letter topic', ['job']);
    const lateDropped = r.counter('sluice_late_records_dropped_total', 'Records too late for every window and without a late side output', ['job']);
    uptime.collect(() => {
      uptime.labels(job).set((this.now() - this.startedAt) / 1000);
      const c = this.counters();
      deadLetters.labels(job).value = c['dead-letters'] ?? 0;
      lateDropped.labels(job).value = c['numLateRecordsDropped'] ?? 0;
      this.sample();
    });
    const latency = r.histogram(
      'sluice_end_to_end_latency_seconds',
      'Wall time at the sink minus the event time of the newest record written (sampled once per sink and monitor sample; window results: the window end)',
      ['job', 'sink'],
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    );
    this.m = {
      recordsIn: r.counter('sluice_records_in_total', 'Records received by an operator (sources: records read; sinks: records written)', ['job', 'operator']),
      recordsOut: r.counter('sluice_records_out_total', 'Records emitted by an operator, side outputs included', ['job', 'operator']),
      busy: r.counter('sluice_operator_busy_seconds_total', "Time in the operator's own code, summed over subtasks (sinks: also waiting for their writes in flight)", ['job', 'operator']),
      bp: r.counter('sluice_operator_backpressured_seconds_total', 'Time the operator was held back by a full operator or sink downstream, summed over subtasks', ['job', 'operator']),
      idle: r.counter('sluice_operator_idle_seconds_total', 'Time the operator was neither busy nor backpressured (waiting for input), summed over subtasks', ['job', 'operator']),
      latency: (sink) => latency.labels(job, sink),
      cpDuration: r.histogram('sluice_checkpoint_duration_seconds', 'Time from triggering a checkpoint to the sinks committing it', ['job'], [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]).labels(job),
    };
    r.counter('sluice_checkpoints_completed_total', 'Completed checkpoints', ['job']).labels(job);
    r.counter('sluice_checkpoints_failed_total', 'Failed checkpoints', ['job']).labels(job);
    r.gauge('sluice_checkpoint_size_bytes', 'Size of the last completed checkpoint file', ['job']).labels(job);
    const wmLag = r.gauge('sluice_watermark_lag_seconds', 'Processing time minus the event-time watermark an operator has seen', ['job', 'operator']);
    wmLag.collect(() => {
      const t = this.now();
      for (const [, n] of this.latestTotals()) {
        if (Number.isFinite(n.watermark)) wmLag.labels(job, n.uid).set(Math.max(0, (t - n.watermark) / 1000));
      }
    });
    const lag = r.gauge('sluice_consumer_lag_records', 'Records between a source position and the partition end', ['job', 'topic', 'partition']);
    lag.collect(() => {
      for (const l of this.consumerLag()) lag.labels(job, l.topic, String(l.partition)).set(l.lag);
    });
    // Every node shows up in /metrics from the start.
    for (const node of pipeline.graph.nodes) {
      this.m.recordsIn.labels(job, node.uid);
      this.m.recordsOut.labels(job, node.uid);
    }
  }

  /** Follows a started job: its status, checkpoints, engine counters and its end. */
  attach(handle: MonitoredHandle): void {
    this.handle = handle;
    const stop = handle.onCheckpoint((c) => this.onCheckpoint(c));
    const every = this.options.sampleEveryMs ?? 1000;
    this.timer = setInterval(() => this.sample(), every);
    this.timer.unref();
    const end = (how: 'finished' | 'failed'): void => {
      // One last sample so the final counters land in the metrics.
      this.sample();
      this.ended = how;
      stop();
      if (this.timer) clearInterval(this.timer);
    };
    handle.done.then(
      () => end('finished'),
      () => end('failed'),
    );
  }

  get status(): 'running' | 'finished' | 'failed' {
    return this.ended ?? (this.handle?.status().state === 'failed' ? 'failed' : 'running');
  }

  counters(): Record<string, number> {
    return this.handle ? this.handle.metrics() : {};
  }

  private onCheckpoint(c: CheckpointStats): void {
    const job = this.name;
    const r = this.options.registry;
    if (c.status === 'completed') {
      this.checkpointsCompleted++;
      r.counter('sluice_checkpoints_completed_total', 'Completed checkpoints', ['job']).labels(job).inc();
      this.m.cpDuration.observe(c.durationMs / 1000);
      if (c.sizeBytes !== null) r.gauge('sluice_checkpoint_size_bytes', 'Size of the last completed checkpoint file', ['job']).labels(job).set(c.sizeBytes);
    } else {
      this.checkpointsFailed++;
      r.counter('sluice_checkpoints_failed_total', 'Failed checkpoints', ['job']).labels(job).inc();
    }
    this.checkpoints.push({ id: c.id, completedAt: this.now(), durationMs: c.durationMs, sizeBytes: c.sizeBytes, status: c.status });
    if (this.checkpoints.length > 50) this.checkpoints.shift();
  }

  private jobStatus(): JobStatus | undefined {
    return this.handle?.status();
  }

  /** Reads the job's status: updates the counters in the registry and keeps the sample for rates. */
  sample(): void {
    const st = this.jobStatus();
    // Before the job has built its subtasks there is nothing to sample.
    if (!st || st.subtasks.length === 0) return;
    const at = performance.now();
    const nodes = new Map<number, NodeTotals>();
    for (const s of st.subtasks) {
      let n = nodes.get(s.nodeId);
      if (!n) nodes.set(s.nodeId, (n = { uid: s.uid, in: 0, out: 0, busyMs: 0, bpMs: 0, idleMs: 0, watermark: Infinity, subtasks: 0 }));
      n.in += s.recordsIn;
      n.out += s.recordsOut;
      // A sink's writes in flight are the sink at work, even while its own code does not run.
      n.busyMs += s.busyMs + (s.inFlightWaitMs ?? 0);
      n.bpMs += s.backpressuredMs;
      n.idleMs += Math.max(0, s.idleMs - (s.inFlightWaitMs ?? 0));
      if (s.watermark < n.watermark) n.watermark = s.watermark;
      n.subtasks++;
      if (s.kind === 'sink') this.observeLatency(s);
    }
    const job = this.name;
    for (const n of nodes.values()) {
      this.m.recordsIn.labels(job, n.uid).value = n.in;
      this.m.recordsOut.labels(job, n.uid).value = n.out;
      this.m.busy.labels(job, n.uid).value = n.busyMs / 1000;
      this.m.bp.labels(job, n.uid).value = n.bpMs / 1000;
      const idle = Math.max(this.idleExposed.get(n.uid) ?? 0, n.idleMs / 1000);
      this.idleExposed.set(n.uid, idle);
      this.m.idle.labels(job, n.uid).value = idle;
    }
    this.samples.push({ at, nodes });
    // Rates over a window of about 5 seconds.
    while (this.samples.length > 2 && at - this.samples[1]!.at > RATE_WINDOW_MS) this.samples.shift();
  }

  /** Sampled end-to-end latency: one observation per sink subtask that wrote since the last sample. */
  private observeLatency(s: SubtaskStatus): void {
    const at = s.lastWriteAt ?? 0;
    const ts = s.lastEventTime ?? -Infinity;
    const key = `${s.uid}/${s.subtask}`;
    if (at === 0 || at === this.latencySeen.get(key) || !Number.isFinite(ts) || ts <= 0) return;
    this.latencySeen.set(key, at);
    this.m.latency(s.uid).observe(Math.max(0, (at - ts) / 1000));
  }

  private latestTotals(): ReadonlyMap<number, NodeTotals> {
    return this.samples[this.samples.length - 1]?.nodes ?? new Map<number, NodeTotals>();
  }

  consumerLag(): JobView['consumerLag'] {
    const log = this.options.log;
    const st = this.jobStatus();
    if (!log || !st) return [];
    const out: { topic: string; partition: number; position: number; endOffset: number; lag: number }[] = [];
    for (const s of st.subtasks) {
      if (s.kind !== 'source' || !s.positions || !log.hasTopic(s.name)) continue;
      for (const [p, pos] of Object.entries(s.positions)) {
        const partition = Number(p);
        if (!Number.isInteger(partition)) continue;
        let end: number;
        try {
          end = log.partition(s.name, partition).highWatermark;
        } catch {
          continue;
        }
        const position = typeof pos === 'number' ? pos : 0;
        out.push({ topic: s.name, partition, position, endOffset: end, lag: Math.max(0, end - position) });
      }
    }
    // Partitions a source owns but has not read from yet start at 0 (or their restored position).
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  view(): JobView {
    this.sample();
    const graph = this.pipeline.graph;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const dtMs = first && last ? Math.max(1, last.at - first.at) : 1;
    const now = this.now();
    const nodes: NodeView[] = graph.nodes.map((node) => {
      const b = last?.nodes.get(node.id);
      // A node missing from the first sample did not run yet then: its counters were zero.
      const a = b ? (first?.nodes.get(node.id) ?? { ...b, in: 0, out: 0, busyMs: 0, bpMs: 0, idleMs: 0 }) : undefined;
      const subtasks = b?.subtasks ?? 0;
      const share = (f: (t: NodeTotals) => number): number => (a && b && subtasks > 0 ? Math.min(1, Math.max(0, (f(b) - f(a)) / dtMs / subtasks)) : 0);
      const busy = share((t) => t.busyMs);
      const backpressured = share((t) => t.bpMs);
      const wm = b?.watermark ?? -Infinity;
      const finite = Number.isFinite(wm);
      return {
        id: node.id,
        uid: node.uid,
        name: node.name,
        kind: node.kind,
        parallelism: subtasks || (this.pipeline.options.parallelism ?? 1),
        recordsIn: b?.in ?? 0,
        recordsOut: b?.out ?? 0,
        recordsInPerSecond: a && b ? ((b.in - a.in) * 1000) / dtMs : 0,
        recordsOutPerSecond: a && b ? ((b.out - a.out) * 1000) / dtMs : 0,
        busy,
        backpressured,
        idle: Math.max(0, 1 - busy - backpressured),
        backpressure: backpressured > 0.5 ? 'high' : backpressured > 0.1 ? 'low' : 'ok',
        watermark: finite ? wm : null,
        watermarkLagMs: finite ? now - wm : null,
      };
    });
    const st = this.jobStatus();
    const completed = this.checkpoints.filter((c) => c.status === 'completed');
    const lastCp = completed[completed.length - 1];
    return {
      name: this.name,
      status: this.status,
      startedAt: st?.startedAt ?? this.startedAt,
      nodes,
      edges: graph.edges.map((e) => ({ from: e.from, to: e.to, partitioning: e.partitioning, sideOutput: e.sideTag ?? null })),
      checkpoints: {
        completed: this.checkpointsCompleted,
        failed: this.checkpointsFailed,
        inProgress: (st?.checkpoints.inProgress ?? null) !== null,
        last: lastCp ? { id: lastCp.id, completedAt: lastCp.completedAt, durationMs: lastCp.durationMs, sizeBytes: lastCp.sizeBytes } : null,
        history: this.checkpoints.slice(-20),
      },
      consumerLag: this.consumerLag(),
      counters: this.counters(),
    };
  }
}

/** A monitor for `pipeline`; call `attach(handle)` with the handle `start()` returned. */
export function monitorPipeline(pipeline: Pipeline, options: MonitorOptions): JobMonitor {
  return new JobMonitor(pipeline, options);
}
