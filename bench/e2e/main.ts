// `npm run bench -- e2e [--quick] [--json]`: the clickstream job end to end through the broker.
// Producer (kafkajs, own process) -> broker + job (one process, as `sluice demo` runs them) ->
// result topics -> consumers (kafkajs, this process). Offers fixed rates (open loop) and measures,
// per event, the time from its production to the first result that includes it becoming visible
// to a consumer; finds the highest rate the job sustains with p99 < 100 ms. Definitions, cases
// and caveats: README.md.
// May import: bench/lib, ./*, examples/clickstream/job.ts
// (topic names), node built-ins.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBenchFlags, median, Reporter } from '../lib/runner.js';
import { CLICKSTREAM_TOPICS } from '../../examples/clickstream/job.js';
import { Child } from './child.js';
import { ECHO_TOPIC } from './echo-topic.js';
import { ResultsConsumer, epochNow } from './results-consumer.js';
import type { Isolation, Path } from './results-consumer.js';

const flags = parseBenchFlags();
const rep = new Reporter('e2e', flags);

const TARGET_P99_MS = 100;
const REFERENCE_RATE = 10_000;
const TOPICS = { late: CLICKSTREAM_TOPICS.late, dlq: `${CLICKSTREAM_TOPICS.clicks}.dlq`, pageViews: CLICKSTREAM_TOPICS.pageViews, echo: ECHO_TOPIC };

interface Mode {
  key: string;
  /** 0 = no checkpoints (results appended directly); otherwise the checkpoint interval. */
  checkpointMs: number;
  isolations: Isolation[];
  rates: number[];
}

const CONFIG = flags.quick
  ? { runs: 1, warmupMs: 2000, measureMs: 5000 }
  : { runs: 3, warmupMs: 5000, measureMs: 20_000 };
const ALL_MODES: Mode[] = [
  {
    key: 'no-checkpoints',
    checkpointMs: 0,
    isolations: ['read_committed'],
    rates: flags.quick ? [5000, 10_000, 20_000] : [1000, 2000, 5000, 10_000, 15_000, 20_000, 30_000, 50_000],
  },
  { key: 'exactly-once-2s', checkpointMs: 2000, isolations: ['read_committed', 'read_uncommitted'], rates: [REFERENCE_RATE] },
];
// For profiling and debugging one case: SLUICE_E2E_MODES=no-checkpoints SLUICE_E2E_RATES=20000.
const onlyModes = process.env.SLUICE_E2E_MODES?.split(',');
const onlyRates = process.env.SLUICE_E2E_RATES?.split(',').map(Number);
const MODES = ALL_MODES.filter((m) => !onlyModes || onlyModes.includes(m.key)).map((m) => (onlyRates ? { ...m, rates: onlyRates } : m));

const say = (msg: string): void => {
  if (!flags.json) console.error(`  .. ${msg}`);
};

/** Nearest-rank percentile of sorted values. */
function pct(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface Latency {
  p50: number;
  p99: number;
  p999: number;
  n: number;
}

interface PhaseResult {
  rate: number;
  achieved: number;
  lagEnd: number;
  /** Job process CPU over the measured interval, in cores (1 = one core busy). */
  jobCores: number;
  latency: Map<string, Latency>;
  missingProbes: number;
  /** Checkpoints completed per second over the measured interval. */
  checkpointsPerSec: number;
  windowFirst: number;
  windowLast: number;
  /** Offered rate reached, backlog bounded, every probe visible (at any latency). */
  keepsUp: boolean;
  /** keepsUp and p99 < 100 ms. */
  pass: boolean;
  why: string;
}

interface Stat {
  t: number;
  end: number;
  in: number;
  cp: number;
}

const latencyKey = (p: Path, iso: Isolation): string => `${p}|${iso}`;

async function runMode(mode: Mode, run: number): Promise<PhaseResult[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-e2e-'));
  const stats: Stat[] = [];
  const job = Child.start('job', 'bench/e2e/job-process.ts', ['--data-dir', dataDir, '--checkpoint-every', String(mode.checkpointMs)], {
    profile: true,
    onLine: (l) => {
      if (l.startsWith('{"stat"')) stats.push(JSON.parse(l) as Stat);
    },
  });
  let producer: Child | undefined;
  const consumers: ResultsConsumer[] = [];
  const results: PhaseResult[] = [];
  try {
    const ready = await job.waitFor((l) => /listening on \S+/.test(l), 120_000, 'the broker and job to start');
    const address = /listening on (\S+)/.exec(ready)![1]!;
    producer = Child.start('producer', 'bench/e2e/producer-process.ts', ['--brokers', address, '--seed', String(7 + run)]);
    for (const iso of mode.isolations) consumers.push(await ResultsConsumer.start(address, iso, TOPICS));
    let failedAbove = false;
    for (const rate of mode.rates) {
      if (failedAbove && rate > REFERENCE_RATE) break;
      say(`${mode.key} run ${run + 1}: ${rate} events/s for ${CONFIG.warmupMs} + ${CONFIG.measureMs} ms`);
      const lateProbes = Math.max(50, rate * 0.01);
      const dlqProbes = Math.max(50, rate * 0.005);
      const totalMs = CONFIG.warmupMs + CONFIG.measureMs;
      const startedP = producer.waitFor((l) => l.startsWith('{"started"'), 30_000, 'the run to start');
      producer.send(JSON.stringify({ cmd: 'run', rate, ms: totalMs, lateProbes, dlqProbes, alignAfterMs: CONFIG.warmupMs + CONFIG.measureMs / 2 }));
      const start = (JSON.parse(await startedP) as { started: number }).started;
      const from = start + CONFIG.warmupMs;
      const to = start + totalMs;
      // CPU of the job over the measured interval (timers set from the producer's start time).
      const cpu: number[] = [];
      const cpuTimers = [from, to].map((at) => setTimeout(() => cpu.push(job.cpuSeconds()), Math.max(0, at - epochNow())));
      const doneLine = await producer.waitFor((l) => l.startsWith('{"done"'), totalMs + 60_000, 'the run to end');
      cpuTimers.forEach(clearTimeout);
      // The end timer may be starved behind the done line: read the end now (the interval is then a little longer).
      if (cpu.length === 1) cpu.push(job.cpuSeconds());
      const done = JSON.parse(doneLine) as { ok: boolean; error?: string; sent: number; ms: number; lateProbeTimes: number[]; dlqProbeTimes: number[]; triggers: { windowEnd: number; sentAt: number }[] };
      const inWindow = (t: number): boolean => t >= from && t < to;
      const expected = { late: done.lateProbeTimes.filter(inWindow).length, dlq: done.dlqProbeTimes.filter(inWindow).length };
      const seenProbes = (c: ResultsConsumer, p: 'late' | 'dlq'): number => c.samples[p].probes.filter(inWindow).length;
      // Drain: every probe of the measured interval should become visible (exactly-once: at the next commits).
      const drainUntil = Date.now() + 5000 + 2 * mode.checkpointMs;
      while (Date.now() < drainUntil && !consumers.every((c) => seenProbes(c, 'late') >= expected.late && seenProbes(c, 'dlq') >= expected.dlq)) {
        await new Promise((r) => setTimeout(r, 50));
      }
      let missing = 0;
      for (const c of consumers) missing += Math.max(0, expected.late - seenProbes(c, 'late')) + Math.max(0, expected.dlq - seenProbes(c, 'dlq'));
      const atEnd = stats.filter((s) => s.t <= to + 100).at(-1);
      const atStart = stats.filter((s) => s.t <= from + 100).at(-1);
      const lagEnd = atEnd ? atEnd.end - atEnd.in : Number.NaN;
      const latency = new Map<string, Latency>();
      for (const c of consumers) {
        for (const p of ['late', 'dlq', 'echo'] as Path[]) {
          const s = c.samples[p].between(from, to);
          latency.set(latencyKey(p, c.isolation), { p50: pct(s, 0.5), p99: pct(s, 0.99), p999: pct(s, 0.999), n: s.length });
        }
      }
      const trigger = done.triggers.find((t) => inWindow(t.sentAt));
      const seenWindow = trigger ? consumers[0]!.windows.get(trigger.windowEnd) : undefined;
      const achieved = (done.sent * 1000) / done.ms;
      const p99 = latency.get(latencyKey('late', 'read_committed'))?.p99 ?? Number.NaN;
      const why: string[] = [];
      if (!done.ok) why.push(`producer failed: ${done.error ?? 'sends still pending at the end'}`);
      if (achieved < rate * 0.97) why.push(`offered ${Math.round(achieved)}/s`);
      if (missing > 0) why.push(`${missing} probes not visible`);
      if (!(lagEnd <= rate)) why.push(`lag ${lagEnd} records at the end`);
      const keepsUp = why.length === 0;
      if (!(p99 < TARGET_P99_MS)) why.push(`p99 ${p99.toFixed(1)} ms`);
      const r: PhaseResult = {
        rate,
        achieved,
        lagEnd,
        jobCores: cpu.length === 2 ? (cpu[1]! - cpu[0]!) / (CONFIG.measureMs / 1000) : Number.NaN,
        latency,
        missingProbes: missing,
        checkpointsPerSec: atStart && atEnd && atEnd.t > atStart.t ? ((atEnd.cp - atStart.cp) * 1000) / (atEnd.t - atStart.t) : Number.NaN,
        windowFirst: seenWindow && trigger ? seenWindow.first - trigger.sentAt : Number.NaN,
        windowLast: seenWindow && trigger ? seenWindow.last - trigger.sentAt : Number.NaN,
        keepsUp,
        pass: why.length === 0,
        why: why.join(', '),
      };
      results.push(r);
      const echo = r.latency.get(latencyKey('echo', 'read_committed'));
      say(
        `   broker alone (echo) p50 ${echo?.p50.toFixed(1)} p99 ${echo?.p99.toFixed(1)}; ${mode.checkpointMs > 0 ? `${r.checkpointsPerSec.toFixed(2)} checkpoints/s; ` : ''}p50 ${r.latency.get(latencyKey('late', 'read_committed'))?.p50.toFixed(1)} p99 ${p99.toFixed(1)} ms (${r.latency.get(latencyKey('late', 'read_committed'))?.n} samples), job ${(r.jobCores * 100).toFixed(0)}% CPU, lag ${lagEnd}, offered ${Math.round(achieved)}/s: ${r.pass ? 'sustained' : `NOT sustained (${r.why})`}`,
      );
      if (!r.keepsUp) failedAbove = true;
      // The next rate starts from an empty backlog, or not at all.
      const lagDeadline = Date.now() + 30_000;
      while (Date.now() < lagDeadline) {
        const s = stats.at(-1);
        if (s && s.end - s.in <= 0 && s.t > to) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      const last = stats.at(-1);
      if (!last || last.end - last.in > 0) {
        say(`   the job did not catch up within 30 s; the remaining rates of this run are skipped`);
        break;
      }
    }
    producer.send(JSON.stringify({ cmd: 'quit' }));
  } finally {
    for (const c of consumers) await c.stop().catch(() => undefined);
    await producer?.stop(10_000);
    await job.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

rep.header();
const all = new Map<string, PhaseResult[][]>();
let failures = 0;
for (let run = 0; run < CONFIG.runs; run++) {
  for (const mode of MODES) {
    try {
      const rs = await runMode(mode, run);
      let runs = all.get(mode.key);
      if (!runs) all.set(mode.key, (runs = []));
      runs.push(rs);
    } catch (err) {
      failures++;
      console.error(`  !! ${mode.key} run ${run + 1} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

const medianOf = (values: number[]): number => {
  const ok = values.filter(Number.isFinite);
  return ok.length === 0 ? Number.NaN : median(ok);
};
const report = (c: string, metric: string, value: number, unit: string): void => {
  if (Number.isFinite(value)) rep.report(c, metric, value, unit);
};

for (const mode of MODES) {
  const runs = all.get(mode.key) ?? [];
  if (runs.length === 0) continue;
  for (const rate of mode.rates) {
    const phases = runs.map((rs) => rs.find((r) => r.rate === rate)).filter((r): r is PhaseResult => r !== undefined);
    if (phases.length === 0) continue;
    const c = `${mode.key} @${rate}/s`;
    const full = rate === REFERENCE_RATE;
    for (const iso of mode.isolations) {
      for (const p of ['late', 'dlq', 'echo'] as Path[]) {
        if (!full && (p === 'dlq' || iso !== 'read_committed')) continue;
        if (p === 'echo' && iso !== 'read_committed') continue;
        const k = latencyKey(p, iso);
        const ls = phases.map((r) => r.latency.get(k)).filter((l): l is Latency => l !== undefined);
        const name = `${c} ${p}-path ${iso}`;
        if (full) report(name, 'p50', medianOf(ls.map((l) => l.p50)), 'ms');
        report(name, 'p99', medianOf(ls.map((l) => l.p99)), 'ms');
        if (full) report(name, 'p99.9', medianOf(ls.map((l) => l.p999)), 'ms');
        if (full) report(name, 'samples', medianOf(ls.map((l) => l.n)), 'events per run');
      }
    }
    if (full) {
      report(`${c} window close (watermark click -> first final page-views)`, 'latency', medianOf(phases.map((r) => r.windowFirst)), 'ms');
      report(`${c} window close (watermark click -> last final page-views)`, 'latency', medianOf(phases.map((r) => r.windowLast)), 'ms');
    }
    report(c, 'offered', medianOf(phases.map((r) => r.achieved)), 'events/s');
    report(c, 'job-cpu', medianOf(phases.map((r) => r.jobCores * 100)), '% of one core');
    if (mode.checkpointMs > 0) report(c, 'checkpoints', medianOf(phases.map((r) => r.checkpointsPerSec)), 'completed per second');
    report(c, 'lag-at-end', medianOf(phases.map((r) => r.lagEnd)), 'records');
    report(c, 'keeps-up', phases.filter((r) => r.keepsUp).length, `of ${phases.length} runs`);
    report(c, 'sustained', phases.filter((r) => r.pass).length, `of ${phases.length} runs (keeps up, p99 < ${TARGET_P99_MS} ms)`);
  }
  // Per run: the highest rate meeting the criterion below the first rate the job did not keep up with.
  const top = (ok: (r: PhaseResult) => boolean): number =>
    median(
      runs.map((rs) => {
        let t = 0;
        for (const r of rs) {
          if (!r.keepsUp) break;
          if (ok(r)) t = r.rate;
        }
        return t;
      }),
    );
  if (mode.rates.length > 1) {
    report(`${mode.key} highest sustained rate (keeps up, p99 < ${TARGET_P99_MS} ms)`, 'rate', top((r) => r.pass), 'events/s');
    report(`${mode.key} highest rate kept up (any latency)`, 'rate', top((r) => r.keepsUp), 'events/s');
  }
}
if (failures > 0) process.exitCode = 1;
