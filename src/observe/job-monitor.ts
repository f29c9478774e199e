// Live statistics of a running job for the HTTP API, the web UI and /metrics: per node
// records in/out, busy time, watermark, backpressure; checkpoints (from the sinks' two-phase
// commit calls: preCommit starts a checkpoint's commit phase, commit ends it); consumer lag
// of log-topic sources. The engine does not expose these yet (see /work/helpers/H11-NEEDS.md),
// so `monitorPipeline` wraps the graph's nodes before the job starts: operators, source
// readers and sink writers are decorated, never changed. Per-record cost: one counter
// addition per batch and one call per emitted record (the counting output).
// May import: observe/metrics.ts, engine/ (types and graph), log/ (types).
import fs from 'node:fs';
import path from 'node:path';
import type { Pipeline } from '../engine/api/pipeline.js';
import type { StreamOperator, OperatorContext, Output } from '../engine/operators/operator.js';
import type { Source, SourceReader, SourceBatch } from '../engine/sources/source.js';
import type { Sink, SinkWriter } from '../engine/sinks/sink.js';
import type { OutputTag } from '../engine/api/output-tag.js';
import type { Log } from '../log/log.js';
import type { MetricsRegistry, CounterChild, GaugeChild, HistogramChild } from './metrics.js';

export type NodeKind = 'source' | 'operator' | 'sink';

export interface NodeStats {
  readonly id: number;
  readonly uid: string;
  readonly name: string;
  readonly kind: NodeKind;
  recordsIn: number;
  recordsOut: number;
  /** ms spent inside the node's code (operators), or with writes in flight (sinks). */
  busyMs: number;
  /** ms the node's writes were at the in-flight limit, i.e. it held the job back (sinks). */
  backpressuredMs: number;
  /** Event-time watermark the node has seen (-Infinity before the first). */
  watermark: number;
  /** Processing time when the watermark last advanced. */
  watermarkUpdatedAt: number;
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
  /** Fractions of wall time over the last sampling interval, 0..1. */
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
  readonly history: readonly { readonly id: number; readonly completedAt: number; readonly durationMs: number }[];
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
  at: number;
  stats: Map<number, { in: number; out: number; busy: number; bp: number }>;
}

export interface MonitorOptions {
  readonly registry: MetricsRegistry;
  /** The log topic sources read from (for consumer lag). */
  readonly log?: Log;
  /** Checkpoint directory (for the size of the last checkpoint). */
  readonly checkpointDir?: string;
  readonly now?: () => number;
}

export class JobMonitor {
  readonly name: string;
  readonly stats: NodeStats[] = [];
  status: 'running' | 'finished' | 'failed' = 'running';
  readonly startedAt: number;
  private readonly now: () => number;
  private samples: Sample[] = [];
  private readonly positions = new Map<string, { topic: string; partition: number; position: number }>();
  private checkpointStarts = new Map<number, number>();
  private checkpointHistory: { id: number; completedAt: number; durationMs: number }[] = [];
  private checkpointsCompleted = 0;
  checkpointsFailed = 0;
  counters: () => Record<string, number> = () => ({});

  /** Follows a started job: its engine counters and its end. */
  attach(handle: { readonly done: Promise<unknown>; metrics(): Record<string, number> }): void {
    this.counters = () => handle.metrics();
    handle.done.then(
      () => (this.status = 'finished'),
      () => (this.status = 'failed'),
    );
  }
  private readonly metrics: {
    in: (uid: string) => CounterChild;
    out: (uid: string) => CounterChild;
    busy: (uid: string) => CounterChild;
    bp: (uid: string) => CounterChild;
    wmLag: (uid: string) => GaugeChild;
    latency: (uid: string) => HistogramChild;
    cpDuration: HistogramChild;
    cpCompleted: CounterChild;
    cpSize: GaugeChild;
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
    // Registered first so its collector copies the engine's own counters (dead letters, late
    // records dropped) into the counters below before they are exposed.
    const uptime = r.gauge('sluice_job_uptime_seconds', 'Seconds since the job started', ['job']);
    const deadLetters = r.counter('sluice_dead_letters_total', 'Records a source could not decode, sent to the dead-letter topic', ['job']);
    const lateDropped = r.counter('sluice_late_records_dropped_total', 'Records too late for every window and without a late side output', ['job']);
    uptime.collect(() => {
      uptime.labels(job).set((this.now() - this.startedAt) / 1000);
      const c = this.counters();
      deadLetters.labels(job).value = c['dead-letters'] ?? 0;
      lateDropped.labels(job).value = c['numLateRecordsDropped'] ?? 0;
    });
    const recordsIn = r.counter('sluice_records_in_total', 'Records received by an operator (sources: records read)', ['job', 'operator']);
    const recordsOut = r.counter('sluice_records_out_total', 'Records emitted by an operator, side outputs included', ['job', 'operator']);
    const busy = r.counter('sluice_operator_busy_seconds_total', 'Time spent in the operator (sinks: with writes in flight)', ['job', 'operator']);
    const bp = r.counter('sluice_operator_backpressured_seconds_total', 'Time a sink held the job back at its in-flight write limit', ['job', 'operator']);
    const wmLag = r.gauge('sluice_watermark_lag_seconds', 'Processing time minus the event-time watermark an operator has seen', ['job', 'operator']);
    const latency = r.histogram('sluice_end_to_end_latency_seconds', 'Processing time at the sink minus the record event time (window results: the window end)', ['job', 'sink'], [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]);
    const cpDuration = r.histogram('sluice_checkpoint_duration_seconds', 'Time from a checkpoint barrier to its commit', ['job'], [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    const cpCompleted = r.counter('sluice_checkpoints_completed_total', 'Completed checkpoints', ['job']);
    const cpSize = r.gauge('sluice_checkpoint_size_bytes', 'Size of the last completed checkpoint file', ['job']);
    r.counter('sluice_checkpoints_failed_total', 'Failed checkpoints', ['job']).labels(job);
    const lag = r.gauge('sluice_consumer_lag_records', 'Records between a source position and the partition end', ['job', 'topic', 'partition']);
    lag.collect(() => {
      for (const l of this.consumerLag()) lag.labels(job, l.topic, String(l.partition)).set(l.lag);
    });
    wmLag.collect(() => {
      const t = this.now();
      for (const s of this.stats) if (s.watermark > -Infinity && s.watermark < Infinity) wmLag.labels(job, s.uid).set(Math.max(0, (t - s.watermark) / 1000));
    });
    this.metrics = {
      in: (uid) => recordsIn.labels(job, uid),
      out: (uid) => recordsOut.labels(job, uid),
      busy: (uid) => busy.labels(job, uid),
      bp: (uid) => bp.labels(job, uid),
      wmLag: (uid) => wmLag.labels(job, uid),
      latency: (uid) => latency.labels(job, uid),
      cpDuration: cpDuration.labels(job),
      cpCompleted: cpCompleted.labels(job),
      cpSize: cpSize.labels(job),
    };
    this.instrument();
  }

  private instrument(): void {
    for (const node of this.pipeline.graph.nodes) {
      const st: NodeStats = { id: node.id, uid: node.uid, name: node.name, kind: node.kind, recordsIn: 0, recordsOut: 0, busyMs: 0, backpressuredMs: 0, watermark: -Infinity, watermarkUpdatedAt: 0 };
      this.stats[node.id] = st;
      if (node.kind === 'operator') {
        const create = node.create;
        (node as { create: () => StreamOperator<unknown> }).create = () => this.wrapOperator(create(), st);
      } else if (node.kind === 'source') {
        (node as { source: Source<unknown> }).source = this.wrapSource(node.source, st);
      } else {
        (node as { sink: Sink<unknown> }).sink = this.wrapSink(node.sink, st);
      }
      // Make sure every node shows up in /metrics from the start.
      this.metrics.in(node.uid);
      this.metrics.out(node.uid);
    }
  }

  private wrapOperator(inner: StreamOperator<unknown>, st: NodeStats): StreamOperator<unknown> {
    const m = { in: this.metrics.in(st.uid), out: this.metrics.out(st.uid), busy: this.metrics.busy(st.uid) };
    const now = this.now;
    const watermarked = (w: number): void => {
      st.watermark = w;
      st.watermarkUpdatedAt = now();
    };
    const timed = (fn: () => void): void => {
      const t0 = performance.now();
      try {
        fn();
      } finally {
        const dt = performance.now() - t0;
        st.busyMs += dt;
        m.busy.inc(dt / 1000);
      }
    };
    return {
      open(ctx: OperatorContext<unknown>) {
        const o = ctx.output;
        const counting: Output<unknown> = {
          collect(value: unknown, timestamp: number) {
            st.recordsOut++;
            m.out.inc();
            o.collect(value, timestamp);
          },
          collectSide<S>(tag: OutputTag<S>, value: S, timestamp: number) {
            st.recordsOut++;
            m.out.inc();
            o.collectSide(tag, value, timestamp);
          },
          emitWatermark(w: number) {
            o.emitWatermark(w);
          },
        };
        inner.open({ ...ctx, output: counting });
      },
      processBatch(values, timestamps, input) {
        st.recordsIn += values.length;
        m.in.inc(values.length);
        timed(() => inner.processBatch(values, timestamps, input));
      },
      processWatermark(w) {
        watermarked(w);
        timed(() => inner.processWatermark(w));
      },
      finish: inner.finish ? () => timed(() => inner.finish!()) : undefined,
      close: inner.close ? () => inner.close!() : undefined,
    } as StreamOperator<unknown>;
  }

  private wrapSource(inner: Source<unknown>, st: NodeStats): Source<unknown> {
    const m = { in: this.metrics.in(st.uid), out: this.metrics.out(st.uid) };
    const positions = this.positions;
    const topicName = this.options.log?.hasTopic(inner.name) ? inner.name : undefined;
    return {
      name: inner.name,
      async createReader(ctx) {
        const reader = await inner.createReader(ctx);
        const wrapped: SourceReader<unknown> = {
          partitions: () => reader.partitions(),
          async poll(max, timeoutMs) {
            const r = await reader.poll(max, timeoutMs);
            if (r && r !== 'end') {
              const b = r as SourceBatch<unknown>;
              const n = b.values.length;
              st.recordsIn += n;
              st.recordsOut += n;
              m.in.inc(n);
              m.out.inc(n);
              if (topicName !== undefined && typeof b.position === 'number') {
                positions.set(`${topicName}/${b.partition}`, { topic: topicName, partition: Number(b.partition), position: b.position });
              }
            }
            return r;
          },
          close: () => reader.close(),
        };
        if (topicName !== undefined) {
          for (const p of reader.partitions()) {
            const pos = ctx.restoredPositions?.[p];
            if (!positions.has(`${topicName}/${p}`)) positions.set(`${topicName}/${p}`, { topic: topicName, partition: Number(p), position: typeof pos === 'number' ? pos : 0 });
          }
        }
        return wrapped;
      },
    };
  }

  private wrapSink(inner: Sink<unknown>, st: NodeStats): Sink<unknown> {
    const m = { in: this.metrics.in(st.uid), latency: this.metrics.latency(st.uid), busy: this.metrics.busy(st.uid), bp: this.metrics.bp(st.uid) };
    const now = this.now;
    const checkpointStarts = this.checkpointStarts;
    const onFailed = (): void => {
      this.checkpointsFailed++;
    };
    const onCommitted = (id: number): void => this.onCommitted(id);
    return {
      name: inner.name,
      async createWriter(ctx) {
        const writer = await inner.createWriter(ctx);
        let inflight = 0;
        let since = 0;
        const account = (): void => {
          const t = performance.now();
          if (inflight > 0) {
            const dt = t - since;
            st.busyMs += dt;
            m.busy.inc(dt / 1000);
            // The runtime allows 2 writes in flight by default before it waits for the sink.
            if (inflight >= 2) {
              st.backpressuredMs += dt;
              m.bp.inc(dt / 1000);
            }
          }
          since = t;
        };
        const wrapped: SinkWriter<unknown> = {
          write(values, timestamps) {
            const n = values.length;
            st.recordsIn += n;
            m.in.inc(n);
            const t = now();
            for (let i = 0; i < timestamps.length; i++) {
              const ts = timestamps[i]!;
              if (ts > 0 && Number.isFinite(ts)) m.latency.observe(Math.max(0, (t - ts) / 1000));
            }
            const r = writer.write(values, timestamps);
            if (r instanceof Promise) {
              account();
              inflight++;
              return r.finally(() => {
                account();
                inflight--;
              });
            }
            return r;
          },
          close: () => writer.close(),
        };
        if (writer.preCommit) {
          wrapped.preCommit = (id) => {
            if (!checkpointStarts.has(id)) checkpointStarts.set(id, performance.now());
            return writer.preCommit!(id).catch((err: unknown) => {
              onFailed();
              throw err;
            });
          };
        }
        const commit = writer.commit;
        wrapped.commit = async (id) => {
          if (commit) await commit.call(writer, id);
          onCommitted(id);
        };
        if (writer.finish) wrapped.finish = () => writer.finish!();
        return wrapped;
      },
    };
  }

  /** Called once per sink per checkpoint: the first call completes the checkpoint. */
  private onCommitted(id: number): void {
    if (this.checkpointHistory.some((c) => c.id === id)) return;
    const started = this.checkpointStarts.get(id);
    this.checkpointStarts.delete(id);
    const durationMs = started === undefined ? 0 : performance.now() - started;
    this.checkpointsCompleted++;
    this.metrics.cpCompleted.inc();
    this.metrics.cpDuration.observe(durationMs / 1000);
    this.checkpointHistory.push({ id, completedAt: this.now(), durationMs });
    if (this.checkpointHistory.length > 50) this.checkpointHistory.shift();
    const size = this.lastCheckpointSize();
    if (size !== null) this.metrics.cpSize.set(size);
  }

  private lastCheckpointSize(): number | null {
    const dir = this.options.checkpointDir;
    if (!dir) return null;
    try {
      let newest: { mtime: number; size: number } | null = null;
      for (const f of fs.readdirSync(dir)) {
        const s = fs.statSync(path.join(dir, f));
        if (s.isFile() && (!newest || s.mtimeMs > newest.mtime)) newest = { mtime: s.mtimeMs, size: s.size };
      }
      return newest?.size ?? null;
    } catch {
      return null;
    }
  }

  consumerLag(): JobView['consumerLag'] {
    const log = this.options.log;
    if (!log) return [];
    const out: { topic: string; partition: number; position: number; endOffset: number; lag: number }[] = [];
    for (const p of this.positions.values()) {
      let end: number;
      try {
        end = log.partition(p.topic, p.partition).highWatermark;
      } catch {
        continue;
      }
      out.push({ ...p, endOffset: end, lag: Math.max(0, end - p.position) });
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /** Remembers the counters now, so rates cover the time since the previous sample. */
  sample(): void {
    const stats = new Map<number, { in: number; out: number; busy: number; bp: number }>();
    for (const s of this.stats) stats.set(s.id, { in: s.recordsIn, out: s.recordsOut, busy: s.busyMs, bp: s.backpressuredMs });
    this.samples.push({ at: performance.now(), stats });
    // Rates over a window of about 5 seconds.
    while (this.samples.length > 2 && performance.now() - this.samples[1]!.at > 5000) this.samples.shift();
  }

  view(): JobView {
    this.sample();
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const dtMs = Math.max(1, last.at - first.at);
    const now = this.now();
    const graph = this.pipeline.graph;
    // A sink at its write limit holds back every node upstream of it.
    const heldBack = new Map<number, number>();
    const bpOf = (id: number): number => {
      const a = first.stats.get(id);
      const b = last.stats.get(id);
      return a && b ? Math.min(1, (b.bp - a.bp) / dtMs) : 0;
    };
    for (const s of this.stats) {
      if (s.kind !== 'sink') continue;
      const ratio = bpOf(s.id);
      const stack = [s.id];
      const seen = new Set<number>();
      while (stack.length) {
        const id = stack.pop()!;
        for (const e of graph.edges) {
          if (e.to !== id || seen.has(e.from)) continue;
          seen.add(e.from);
          heldBack.set(e.from, Math.max(heldBack.get(e.from) ?? 0, ratio));
          stack.push(e.from);
        }
      }
    }
    // Watermarks of sources are what their first downstream operator received.
    const wmOf = (s: NodeStats): number => {
      if (s.kind === 'operator') return s.watermark;
      if (s.kind === 'source') {
        let w = Infinity;
        for (const e of graph.edges) if (e.from === s.id) w = Math.min(w, this.stats[e.to]!.watermark);
        return w === Infinity ? -Infinity : w;
      }
      let w = Infinity;
      for (const e of graph.edges) if (e.to === s.id) w = Math.min(w, wmOf(this.stats[e.from]!));
      return w === Infinity ? -Infinity : w;
    };
    const nodes: NodeView[] = this.stats.map((s) => {
      const a = first.stats.get(s.id)!;
      const b = last.stats.get(s.id)!;
      const busy = Math.min(1, (b.busy - a.busy) / dtMs);
      const backpressured = s.kind === 'sink' ? bpOf(s.id) : heldBack.get(s.id) ?? 0;
      const wm = wmOf(s);
      const finite = wm > -Infinity && wm < Infinity;
      return {
        id: s.id,
        uid: s.uid,
        name: s.name,
        kind: s.kind,
        parallelism: this.pipeline.options.parallelism ?? 1,
        recordsIn: s.recordsIn,
        recordsOut: s.recordsOut,
        recordsInPerSecond: ((b.in - a.in) * 1000) / dtMs,
        recordsOutPerSecond: ((b.out - a.out) * 1000) / dtMs,
        busy,
        backpressured,
        idle: Math.max(0, 1 - busy - backpressured),
        backpressure: backpressured > 0.5 ? 'high' : backpressured > 0.1 ? 'low' : 'ok',
        watermark: finite ? wm : null,
        watermarkLagMs: finite ? now - wm : null,
      };
    });
    const lastCp = this.checkpointHistory[this.checkpointHistory.length - 1];
    return {
      name: this.name,
      status: this.status,
      startedAt: this.startedAt,
      nodes,
      edges: graph.edges.map((e) => ({ from: e.from, to: e.to, partitioning: e.partitioning, sideOutput: e.sideTag ?? null })),
      checkpoints: {
        completed: this.checkpointsCompleted,
        failed: this.checkpointsFailed,
        inProgress: this.checkpointStarts.size > 0,
        last: lastCp ? { ...lastCp, sizeBytes: this.lastCheckpointSize() } : null,
        history: this.checkpointHistory.slice(-20),
      },
      consumerLag: this.consumerLag(),
      counters: this.counters(),
    };
  }
}

/** Instruments a pipeline before `start()`; the monitor then reports on the running job. */
export function monitorPipeline(pipeline: Pipeline, options: MonitorOptions): JobMonitor {
  return new JobMonitor(pipeline, options);
}
