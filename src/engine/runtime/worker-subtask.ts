// Inside a worker thread: rebuilds the job's graph (the worker re-imported the module that
// defines it), runs subtask `init.subtask` of every node, exchanges batches with the other
// workers by key group, aligns checkpoint barriers per instance and reports its part of each
// checkpoint to the coordinator. Sources pause while too many batches sent to a peer are
// unacknowledged, so a slow worker slows the others (backpressure across threads), and, with
// watermark alignment, while they run more than maxDrift ahead of the slowest aligned source
// of any worker (each worker announces its own to its peers as it advances).
// May import: runtime/, api/pipeline.ts (type), checkpoint/.
import type { MessagePort } from 'node:worker_threads';
import type { JobRunner } from './job-runner.js';
import type { OperatorInstance } from './operator-instance.js';
import type { SinkInstance } from './sink-instance.js';
import type { FromWorker, PeerMessage, ToWorker, WorkerInit, WorkerSnapshot } from './worker-protocol.js';
import { PeerLink, RemoteReceiver } from './remote-receiver.js';
import { STATS_INTERVAL_MS } from './worker-protocol.js';
import { decodeBatch, decodeTimestamps } from './batch-codec.js';
import { alignmentDrift, mayPoll, slowestAligned } from './watermark-alignment.js';
import { SourcePolls } from './source-polls.js';
import { SluiceError, toSluiceError } from '../../errors.js';

const MAX_OUTSTANDING_BATCHES = 8;

interface Pending {
  snap: WorkerSnapshot;
  reported: Set<object>;
  sinksInProgress: Set<object>;
}

export class WorkerSubtask {
  private readonly links = new Map<number, PeerLink>();
  private readonly pending = new Map<number, Pending>();
  private stopRequested = false;
  private closeRequested = false;
  private finishedSent = false;
  /** After a stop-with-savepoint barrier: no source batch is pushed any more. */
  private halted = false;
  private failure: SluiceError | undefined;
  private wakeFn: (() => void) | undefined;
  /** An async boundary (async I/O) has completions to drain. */
  private mail = false;
  /** Credits of batches received while an async boundary was full: sent once it has room (backpressure to the peer). */
  private heldCredits: PeerLink[] = [];
  private ctrlChain: Promise<void> = Promise.resolve();
  private expected = 0;
  /** Watermark alignment: each peer's last announced slowest aligned source watermark. */
  private readonly peerSlowest = new Map<PeerLink, number>();
  /** NaN until the first announcement, which every worker makes at once (peers wait for it). */
  private announced = Number.NaN;

  constructor(
    private readonly runner: JobRunner,
    private readonly init: WorkerInit,
    private readonly ctrl: MessagePort,
    private readonly ports: readonly MessagePort[],
  ) {
    init.peers.forEach((peer, k) => this.links.set(peer, new PeerLink(ports[k] as MessagePort)));
  }

  private post(m: FromWorker): void {
    this.ctrl.postMessage(m);
  }

  async run(): Promise<void> {
    const r = this.runner;
    r.attempt = this.init.attempt;
    await r.build(this.init.restored, new Set([this.init.subtask]), (node, s) => {
      const link = this.links.get(s);
      if (!link) throw new SluiceError('INTERNAL', `no port to subtask ${s}`);
      return new RemoteReceiver(link, node);
    });
    this.expected = r.sources.length + r.operators.length + r.sinks.length;
    for (const op of r.operators) {
      op.onAligned = (inst, b) => this.reportOperator(inst, b.id);
      op.onError = (e) => this.fail(e);
      op.wake = () => {
        this.mail = true;
        this.wake();
      };
    }
    for (const sk of r.sinks) sk.onPreCommitted = (s, b, c) => this.reportSink(s, b.id, c);
    for (const [, link] of this.links) link.port.on('message', (m: PeerMessage) => this.onPeer(link, m));
    this.ctrl.on('message', (m: ToWorker) => this.onCtrl(m));
    r.markRunning();
    this.post({ t: 'running' });
    const stats = setInterval(() => this.postStats(), STATS_INTERVAL_MS);
    stats.unref();
    // Wakes a waiting loop at least every poll timeout (processing-time timers, idleness), with
    // one timer for the whole run rather than one per wait.
    const tick = setInterval(() => this.wake(), r.pollTimeoutMs);
    try {
      await this.loop();
      // A commit queued just before `stop` (stop-with-savepoint) completes before the sinks close.
      await this.ctrlChain;
      if (this.closeRequested) for (const sk of r.sinks) await sk.writer.finish?.();
      await r.closeAll(false);
      clearInterval(stats);
      this.postStats();
      this.post({ t: 'done', metrics: { ...r.metrics }, collected: this.collected() });
    } catch (err) {
      await r.closeAll(true).catch(() => undefined);
      const e = toSluiceError(err, 'JOB_FAILED');
      this.post({ t: 'failed', code: e.code, message: e.message });
    } finally {
      clearInterval(stats);
      clearInterval(tick);
      for (const [, link] of this.links) link.port.close();
      this.ctrl.close();
    }
  }

  /** This worker's subtasks, counted by the same instances as on one thread (per batch, never per record). */
  private postStats(): void {
    const st = this.runner.status();
    this.post({ t: 'stats', subtasks: st.subtasks, waitingForInputMs: st.waitingForInputMs });
  }

  /** Contents of collecting sinks (tests), shipped back to the coordinator's copies. */
  private collected(): Record<string, { values: unknown[]; timestamps: number[] }> {
    const out: Record<string, { values: unknown[]; timestamps: number[] }> = {};
    for (const node of this.runner.graph.nodes) {
      if (node.kind !== 'sink') continue;
      const c = (node.sink as { collected?: { values: unknown[]; timestamps: number[] } }).collected;
      if (c) out[node.uid] = { values: c.values, timestamps: c.timestamps };
    }
    return out;
  }

  private wake(): void {
    this.wakeFn?.();
  }

  private fail(err: unknown): void {
    this.failure ??= toSluiceError(err, 'JOB_FAILED');
    this.wake();
  }

  private onPeer(link: PeerLink, m: PeerMessage): void {
    try {
      if (m.t === 'C') {
        link.outstanding--;
        this.wake();
        return;
      }
      if (m.t === 'A') {
        this.peerSlowest.set(link, m.w);
        this.wake();
        return;
      }
      const target = this.runner.localByNode.get(m.n);
      if (!target) throw new SluiceError('INTERNAL', `no local instance of node ${m.n}`);
      switch (m.t) {
        case 'b':
          target.receive(decodeBatch(m.v, m.ts.length), decodeTimestamps(m.ts), m.i, m.c);
          if (this.runner.asyncBackpressured()) this.heldCredits.push(link);
          else link.port.postMessage({ t: 'C' } satisfies PeerMessage);
          break;
        case 'w':
          target.receiveWatermark(m.c, m.w);
          break;
        case 'i':
          target.receiveIdle(m.c, m.x);
          break;
        case 'B':
          target.receiveBarrier(m.c, { id: m.id, savepoint: m.sp });
          break;
        case 'E':
          target.receiveEnd(m.c);
          break;
      }
      this.afterEvent();
    } catch (err) {
      this.fail(err);
    }
  }

  private onCtrl(m: ToWorker): void {
    switch (m.t) {
      case 'trigger':
        try {
          if (m.halt) this.halted = true;
          this.trigger(m.id, m.savepoint);
        } catch (err) {
          this.fail(err);
        }
        break;
      case 'commit':
        this.ctrlChain = this.ctrlChain.then(async () => {
          for (const sk of this.runner.sinks) await sk.writer.commit?.(m.id);
          for (const src of this.runner.sources) await src.notifyCheckpointComplete(m.id);
        });
        this.ctrlChain.catch((err: unknown) => this.fail(err));
        break;
      case 'stop':
        this.stopRequested = true;
        this.wake();
        break;
      case 'close':
        // After any commit queued before it.
        void this.ctrlChain.then(() => {
          this.closeRequested = true;
          this.wake();
        });
        break;
    }
  }

  private entry(id: number): Pending {
    let p = this.pending.get(id);
    if (!p) {
      p = { snap: { sources: {}, keyed: {}, timers: {}, operatorState: {}, sinks: {} }, reported: new Set(), sinksInProgress: new Set() };
      this.pending.set(id, p);
    }
    return p;
  }

  /** Sources record their position and send the barrier; finished instances snapshot at once. */
  private trigger(id: number, savepoint: boolean): void {
    const p = this.entry(id);
    for (const src of this.runner.sources) {
      const positions = src.ended ? src.snapshotPositions(id) : src.emitBarrier({ id, savepoint });
      Object.assign((p.snap.sources[src.node.uid] ??= {}), positions);
      p.reported.add(src);
    }
    this.afterEvent();
  }

  private reportOperator(inst: OperatorInstance, id: number): void {
    const p = this.entry(id);
    if (p.reported.has(inst)) return;
    const uid = inst.info.uid;
    if (inst.keyed) {
      (p.snap.keyed[uid] ??= []).push(...inst.keyed.backend.snapshot());
      const t = (p.snap.timers[uid] ??= {});
      for (const [name, entries] of Object.entries(inst.keyed.snapshotTimers())) (t[name] ??= []).push(...entries);
    }
    inst.prepareSnapshot();
    (p.snap.operatorState[uid] ??= {})[inst.info.subtaskIndex] = inst.operatorState.snapshot();
    p.reported.add(inst);
    this.complete(id);
  }

  private reportSink(sk: SinkInstance, id: number, committable: unknown): void {
    const p = this.entry(id);
    if (p.reported.has(sk)) return;
    (p.snap.sinks[sk.uid] ??= {})[sk.subtaskIndex] = committable;
    p.reported.add(sk);
    this.complete(id);
  }

  /** Instances that ended without seeing a pending barrier take part with their final state. */
  private afterEvent(): void {
    for (const [id, p] of this.pending) {
      for (const op of this.runner.operators) if (op.hasFinished && !p.reported.has(op)) this.reportOperator(op, id);
      for (const sk of this.runner.sinks) {
        if (!sk.ended || p.reported.has(sk) || p.sinksInProgress.has(sk)) continue;
        p.sinksInProgress.add(sk);
        void (async () => {
          await sk.drainTo(0);
          const c = sk.writer.preCommit ? await sk.writer.preCommit(id) : null;
          this.reportSink(sk, id, c);
        })().catch((err: unknown) => this.fail(err));
      }
      this.complete(id);
    }
    this.wake();
  }

  private complete(id: number): void {
    const p = this.pending.get(id);
    if (!p || p.reported.size < this.expected) return;
    this.pending.delete(id);
    this.post({ t: 'ack', id, snapshot: p.snap });
  }

  /**
   * The slowest aligned source watermark this worker knows of: its own and its peers' last
   * announcements. Announces its own when it moved by a quarter of the drift (or stopped
   * counting), so a peer's view lags by less than that and the messages stay few.
   */
  private alignmentFloor(drift: number): number {
    const own = slowestAligned(this.runner.sources);
    const last = this.announced;
    const moved = own !== last && (!Number.isFinite(own) || !Number.isFinite(last) || own < last || own - last >= drift / 4);
    if (moved) {
      this.announced = own;
      for (const link of this.links.values()) link.send({ t: 'A', w: own });
    }
    // A peer not heard from yet is still starting: as slow as can be.
    if (this.peerSlowest.size < this.links.size) return Number.NEGATIVE_INFINITY;
    let slowest = own;
    for (const w of this.peerSlowest.values()) if (w < slowest) slowest = w;
    return slowest;
  }

  private allDone(): boolean {
    const r = this.runner;
    return r.sources.every((s) => s.ended) && r.operators.every((o) => o.hasFinished) && r.sinks.every((s) => s.ended);
  }

  private async loop(): Promise<void> {
    const r = this.runner;
    const polls = new SourcePolls(r.batchSize, r.pollTimeoutMs, () => this.wake());
    for (const src of r.sources) src.start();
    // From the graph, not this worker's instances: every worker must agree on whether to align
    // (a worker may hold no subtask of an aligned source, and then announces +Infinity).
    const drift = alignmentDrift(r.graph.nodes.flatMap((n) => (n.kind === 'source' ? [{ alignmentMs: n.watermarks?.alignmentMs }] : [])));
    while (true) {
      if (this.failure) throw this.failure;
      if (this.stopRequested || this.closeRequested) return;
      this.mail = false;
      r.drainAsync();
      const blocked = r.asyncBackpressured();
      if (!blocked && this.heldCredits.length > 0) {
        for (const link of this.heldCredits) link.port.postMessage({ t: 'C' } satisfies PeerMessage);
        this.heldCredits = [];
      }
      if (!this.finishedSent && this.allDone()) {
        for (const sk of r.sinks) await sk.drainTo(0);
        this.finishedSent = true;
        this.post({ t: 'finished' });
      }
      let throttled = false;
      for (const link of this.links.values()) if (link.outstanding > MAX_OUTSTANDING_BATCHES) throttled = true;
      const slowest = drift === undefined ? 0 : this.alignmentFloor(drift);
      if (!throttled && !blocked && !this.halted) {
        for (const src of r.sources) if (!src.ended && !polls.isPolling(src) && mayPoll(src, slowest, drift)) polls.start(src);
      }
      let outcome = blocked ? undefined : polls.take();
      if (outcome === undefined && !this.mail) {
        // Peers, the coordinator, polls and async boundaries wake the loop; the tick is a safety net.
        const waitStart = performance.now();
        await new Promise<void>((resolve) => {
          this.wakeFn = resolve;
        });
        r.chargeWait(performance.now() - waitStart, blocked);
        this.wakeFn = undefined;
        if (!blocked) outcome = polls.take();
      }
      // Halted: a taken batch is dropped, as the sources' positions stay where the savepoint has them.
      if (outcome && !this.halted) {
        if ('err' in outcome) throw toSluiceError(outcome.err, 'JOB_FAILED');
        if (outcome.r === 'end') outcome.src.end();
        else if (outcome.r) {
          outcome.src.push(outcome.r);
          r.count('records-in', outcome.r.values.length);
        }
      }
      const now = r.clock.now();
      for (const op of r.operators) op.advanceProcessingTime(now);
      for (const src of r.sources) src.checkIdleness();
      await r.drainSinksToLimit();
      this.afterEvent();
    }
  }
}
