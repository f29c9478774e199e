// The clickstream results as the dashboard and the tests see them: tails the job's result
// topics (read_committed, so only checkpoint-committed results) and keeps the latest value
// per (URL, minute), per minute's top products, and the latest funnel. Later records for the
// same key replace earlier ones: that is how late-data updates land.
// May import src/log (types), src/observe/log-records.ts, ./job.ts (types and topic names).
import type { Log } from '../../src/log/log.js';
import { readRecords } from '../../src/observe/log-records.js';
import { CLICKSTREAM_TOPICS, type FunnelRecord, type PageViewsRecord, type TopProductsRecord } from './job.js';

export interface ClickstreamSnapshot {
  /** Views of all URLs per minute, oldest first (the live chart). */
  readonly viewsPerMinute: { readonly windowStart: number; readonly views: number }[];
  /** Most viewed URLs in the latest complete minute. */
  readonly topPages: { readonly url: string; readonly views: number }[];
  readonly topPagesWindow: number | null;
  readonly topProducts: TopProductsRecord | null;
  readonly funnel: FunnelRecord | null;
  readonly lateClicks: number;
  readonly clicks: number;
  readonly invalidClicks: number;
}

export class ClickstreamResultsView {
  readonly pageViews = new Map<string, PageViewsRecord>();
  readonly topProducts = new Map<number, TopProductsRecord>();
  funnel: FunnelRecord | null = null;
  lateClicks = 0;
  private readonly next = new Map<string, number>();

  constructor(
    private readonly log: Log,
    /** Keep minutes newer than this much event time behind the newest (default 1 h). */
    private readonly retainMs = 3_600_000,
  ) {}

  /** Reads whatever was committed since the last call. */
  async poll(): Promise<void> {
    await this.tail<PageViewsRecord>(CLICKSTREAM_TOPICS.pageViews, (r) => this.pageViews.set(`${r.url}@${r.windowStart}`, r));
    await this.tail<TopProductsRecord>(CLICKSTREAM_TOPICS.topProducts, (r) => this.topProducts.set(r.windowStart, r));
    // The funnel topic is one partition of snapshots in order: the latest one wins (early
    // results may count fewer sessions than the one before when two open sessions merge).
    await this.tail<FunnelRecord>(CLICKSTREAM_TOPICS.funnel, (r) => (this.funnel = r));
    await this.tail<unknown>(CLICKSTREAM_TOPICS.late, () => this.lateClicks++);
    this.evict();
  }

  private async tail<T>(topic: string, apply: (r: T) => void): Promise<void> {
    if (!this.log.hasTopic(topic)) return;
    const n = this.log.describeTopic(topic).partitions;
    for (let p = 0; p < n; p++) {
      const key = `${topic}/${p}`;
      const { records, next } = await readRecords(this.log.partition(topic, p), this.next.get(key) ?? 0);
      this.next.set(key, next);
      for (const r of records) {
        if (!r.value) continue;
        try {
          apply(JSON.parse(r.value.toString('utf8')) as T);
        } catch {
          // A result topic holds only the job's JSON; anything else is not ours to show.
        }
      }
    }
  }

  private evict(): void {
    let newest = -Infinity;
    for (const r of this.pageViews.values()) if (r.windowStart > newest) newest = r.windowStart;
    const cutoff = newest - this.retainMs;
    for (const [k, r] of this.pageViews) if (r.windowStart < cutoff) this.pageViews.delete(k);
    for (const k of this.topProducts.keys()) if (k < cutoff) this.topProducts.delete(k);
  }

  snapshot(): ClickstreamSnapshot {
    const perMinute = new Map<number, number>();
    for (const r of this.pageViews.values()) perMinute.set(r.windowStart, (perMinute.get(r.windowStart) ?? 0) + r.views);
    const minutes = [...perMinute.keys()].sort((a, b) => a - b);
    const latest = minutes[minutes.length - 1] ?? null;
    const topPages =
      latest === null
        ? []
        : [...this.pageViews.values()]
            .filter((r) => r.windowStart === latest)
            .sort((a, b) => b.views - a.views || (a.url < b.url ? -1 : 1))
            .slice(0, 10)
            .map((r) => ({ url: r.url, views: r.views }));
    const productMinutes = [...this.topProducts.keys()].sort((a, b) => a - b);
    const lastProducts = productMinutes[productMinutes.length - 1];
    let clicks = 0;
    for (const v of perMinute.values()) clicks += v;
    return {
      viewsPerMinute: minutes.slice(-60).map((m) => ({ windowStart: m, views: perMinute.get(m)! })),
      topPages,
      topPagesWindow: latest,
      topProducts: lastProducts === undefined ? null : this.topProducts.get(lastProducts)!,
      funnel: this.funnel,
      lateClicks: this.lateClicks,
      clicks,
      invalidClicks: 0,
    };
  }
}
