// Reads the clickstream job's result topics the way a downstream application would (kafkajs,
// a consumer group, fetches waiting at most 5 ms) and notes when each result becomes visible:
//  - clickstream.late and clickstream.clicks.dlq: one record per input event, carrying the
//    event's `sentAt` (see producer-process.ts), so visible-time - sentAt is that event's
//    end-to-end latency;
//  - clickstream.page-views: the first and last final (isUpdate=false) result of each minute,
//    matched later with the click that moved the watermark past that minute;
//  - bench.e2e.echo: a copy of each dlq probe, produced in the same request, in a topic that
//    no job reads: the same clients, processes and machine load without the job (the baseline).
// One consumer per isolation level: read_committed sees exactly-once results only when their
// checkpoint commits; read_uncommitted sees them as soon as the job writes them.
// May import: kafkajs, node built-ins.
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer } from 'kafkajs';

export type Isolation = 'read_committed' | 'read_uncommitted';
/** late / dlq: results of the job; echo: copies of the dlq probes sent to a topic no job reads (the broker alone). */
export type Path = 'late' | 'dlq' | 'echo';

export const epochNow = (): number => performance.timeOrigin + performance.now();

/** Growable pairs (sentAt, latency) of one kind of per-event result. */
export class Samples {
  sentAt = new Float64Array(1 << 16);
  latency = new Float64Array(1 << 16);
  n = 0;
  /** Probe records (as opposed to generated late clicks) seen, by sentAt. */
  probes: number[] = [];
  add(sentAt: number, latency: number, probe: boolean): void {
    if (this.n === this.sentAt.length) {
      const s = new Float64Array(this.n * 2);
      s.set(this.sentAt);
      this.sentAt = s;
      const l = new Float64Array(this.n * 2);
      l.set(this.latency);
      this.latency = l;
    }
    this.sentAt[this.n] = sentAt;
    this.latency[this.n++] = latency;
    if (probe) this.probes.push(sentAt);
  }
  /** Latencies of the events produced in [from, to), sorted. */
  between(from: number, to: number): Float64Array {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) {
      const s = this.sentAt[i]!;
      if (s >= from && s < to) out.push(this.latency[i]!);
    }
    return Float64Array.from(out).sort();
  }
}

export interface WindowSeen {
  first: number;
  last: number;
  results: number;
}

export class ResultsConsumer {
  readonly samples: Record<Path, Samples> = { late: new Samples(), dlq: new Samples(), echo: new Samples() };
  /** Final page-views results by window end. */
  readonly windows = new Map<number, WindowSeen>();
  unparsable = 0;
  private joined = false;

  private constructor(
    readonly isolation: Isolation,
    private readonly consumer: Consumer,
  ) {}

  static async start(brokers: string, isolation: Isolation, topics: { late: string; dlq: string; pageViews: string; echo: string }): Promise<ResultsConsumer> {
    const kafka = new Kafka({ clientId: `sluice-bench-e2e-${isolation}`, brokers: [brokers], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({
      groupId: `sluice-bench-e2e-${isolation}-${process.pid}-${Date.now().toString(36)}`,
      readUncommitted: isolation === 'read_uncommitted',
      maxWaitTimeInMs: 5,
      minBytes: 1,
      sessionTimeout: 30_000,
    });
    const rc = new ResultsConsumer(isolation, consumer);
    consumer.on(consumer.events.GROUP_JOIN, () => (rc.joined = true));
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.late, topics.dlq, topics.pageViews, topics.echo], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        // Everything in one fetch became visible together; one clock reading per batch.
        const now = epochNow();
        const path: Path | undefined = batch.topic === topics.late ? 'late' : batch.topic === topics.dlq ? 'dlq' : batch.topic === topics.echo ? 'echo' : undefined;
        for (const m of batch.messages) {
          if (m.value === null) continue;
          let v: Record<string, unknown>;
          try {
            v = JSON.parse(m.value.toString()) as Record<string, unknown>;
          } catch {
            rc.unparsable++;
            continue;
          }
          if (path !== undefined) {
            const sentAt = v['sentAt'];
            if (typeof sentAt === 'number') rc.samples[path].add(sentAt, now - sentAt, v['probe'] !== undefined);
          } else if (v['isUpdate'] === false && typeof v['windowEnd'] === 'number') {
            const w = rc.windows.get(v['windowEnd']);
            if (w) {
              w.last = now;
              w.results++;
            } else rc.windows.set(v['windowEnd'], { first: now, last: now, results: 1 });
          }
        }
      },
    });
    const deadline = Date.now() + 60_000;
    while (!rc.joined) {
      if (Date.now() > deadline) {
        await consumer.disconnect().catch(() => undefined);
        throw new Error(`the ${isolation} consumer did not join its group within 60 s`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return rc;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
