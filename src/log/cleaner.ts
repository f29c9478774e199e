// The background log cleaner: every interval it applies retention (cleanup.policy delete)
// and compaction (cleanup.policy compact) to every partition of a Log, and forgets producer
// ids idle for producer.id.expiration.ms, one partition at a time so it never competes with
// itself. Compaction of a partition is skipped while nothing new was closed since its last
// run and no kept tombstone has come of age, so an idle log costs nothing. Errors are
// collected, never thrown into the timer.
// The Log starts one by default (LogOptions.cleaner). It never holds a partition's write
// path for long: compaction reads through Partition.read, writes its replacement outside
// the partition's lock, and only the final swap (rename + delete + reopen) is exclusive.
// May import: ./retention.ts, ./compaction.ts, ./topic-config.ts (types), ../errors.ts.
import { toSluiceError } from '../errors.js';
import type { SluiceError } from '../errors.js';
import { applyRetention } from './retention.js';
import type { RetentionResult, RetentionTarget } from './retention.js';
import { compactPartition, isCompacted } from './compaction.js';
import type { CompactionResult, CompactionTarget } from './compaction.js';
import type { TopicConfig } from './topic-config.js';

/** What the cleaner needs from a Log (a structural slice of it). */
export interface CleanableLog {
  listTopics(): { name: string; partitions: number; config: TopicConfig }[];
  partition(topic: string, index: number): RetentionTarget & CompactionTarget & { expireProducers(): Promise<number> };
}

export interface CleanerPass {
  retention: (RetentionResult & { topic: string; partition: number })[];
  compaction: CompactionResult[];
  /** Producer ids forgotten for being idle longer than producer.id.expiration.ms, over all partitions. */
  expiredProducerIds: number;
  errors: { topic: string; partition: number; error: SluiceError }[];
}

export interface LogCleanerOptions {
  intervalMs?: number;
  clock?: () => number;
  onPass?: (pass: CleanerPass) => void;
}

export class LogCleaner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<CleanerPass> | undefined;
  private readonly clock: () => number;
  /** Per partition: closed range already compacted, and when a kept tombstone comes of age. */
  private readonly compacted = new Map<string, { upTo: number; recheckAt: number }>();
  private stopping = false;
  /** The last finished pass (for status pages and tests). */
  lastPass: CleanerPass | undefined;
  /** Passes finished since start. */
  passes = 0;

  constructor(
    private readonly log: CleanableLog,
    private readonly options: LogCleanerOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.stopping = false;
    const every = this.options.intervalMs ?? 30_000;
    this.timer = setInterval(() => {
      if (this.running) return;
      void this.runOnce()
        .then((p) => this.options.onPass?.(p))
        .catch(() => undefined); // a listener's bug must not become an unhandled rejection
    }, every);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass over every partition (a pass already running is joined, not repeated). */
  runOnce(): Promise<CleanerPass> {
    if (!this.running) {
      if (!this.timer) this.stopping = false; // an explicit pass after stop() runs fully
      this.running = this.pass().then(
        (p) => {
          this.running = undefined;
          this.lastPass = p;
          this.passes++;
          return p;
        },
        (err: unknown) => {
          this.running = undefined;
          throw err;
        },
      );
    }
    return this.running;
  }

  private async pass(): Promise<CleanerPass> {
    const out: CleanerPass = { retention: [], compaction: [], expiredProducerIds: 0, errors: [] };
    let topics: ReturnType<CleanableLog['listTopics']>;
    try {
      topics = this.log.listTopics();
    } catch (err) {
      out.errors.push({ topic: '*', partition: -1, error: toSluiceError(err) });
      return out;
    }
    for (const t of topics) {
      for (let i = 0; i < t.partitions; i++) {
        // Stopped (the log is closing): leave the rest for the next open.
        if (this.stopping) return out;
        try {
          const p = this.log.partition(t.name, i);
          const now = this.clock();
          const r = await applyRetention(p, t.config, now);
          if (r.deleted > 0) out.retention.push({ ...r, topic: t.name, partition: i });
          out.expiredProducerIds += await p.expireProducers();
          if (isCompacted(t.config)) {
            const key = `${t.name}\u0000${i}`;
            const prev = this.compacted.get(key);
            const closedEnd = closedEndOf(p);
            if (prev && prev.upTo >= closedEnd && now < prev.recheckAt) continue;
            const c = await compactPartition(p, t.config, now);
            const recheckAt = c.earliestKeptTombstone === undefined ? Infinity : c.earliestKeptTombstone + t.config.deleteRetentionMs + 1;
            this.compacted.set(key, { upTo: c.cleanedUpTo, recheckAt });
            if (c.segmentsBefore > 0) out.compaction.push(c);
          }
        } catch (err) {
          // A partition that is corrupted, closed or changed underneath is retried next pass.
          out.errors.push({ topic: t.name, partition: i, error: toSluiceError(err) });
        }
      }
    }
    return out;
  }
}

function closedEndOf(p: RetentionTarget): number {
  let end = 0;
  for (const s of p.segments()) if (!s.active) end = Math.max(end, s.nextOffset);
  return end;
}
