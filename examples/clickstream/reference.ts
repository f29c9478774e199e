// The clickstream figures computed the plain way, with loops and maps over the generator's
// output, sharing no code with the pipeline (job.ts) or the engine: it is the oracle the
// end-to-end test compares the pipeline's result topics against. It models the same rules:
// the watermark trails the largest event time seen by the watermark delay (minus 1 ms, as
// Flink's bounded out-of-orderness does); a click whose 1-minute window ended more than the
// allowed lateness before the watermark is dropped (to the late side output) and counted;
// sessions close after 30 minutes without a click of that user.
// May import ./generator.ts (types) only.
import type { ClickEvent, PageType } from './generator.js';

export interface ReferenceOptions {
  readonly windowMs: number;
  readonly allowedLatenessMs: number;
  readonly watermarkDelayMs: number;
  readonly sessionGapMs: number;
  readonly topProducts?: number;
  readonly topPaths?: number;
}

export interface PageViewCount {
  readonly url: string;
  readonly windowStart: number;
  readonly views: number;
}

export interface ProductCount {
  readonly productId: string;
  readonly views: number;
}

export interface FunnelFigures {
  readonly sessions: number;
  readonly productViewSessions: number;
  readonly cartSessions: number;
  readonly checkoutSessions: number;
  /** checkoutSessions / productViewSessions (0 when no product was viewed). */
  readonly conversion: number;
  readonly topPaths: readonly { readonly path: string; readonly count: number }[];
}

export interface ReferenceResult {
  /** Keyed `${url}@${windowStart}`. */
  readonly pageViews: Map<string, PageViewCount>;
  /** Per window start: the top products, most viewed first (ties by product id). */
  readonly topProducts: Map<number, ProductCount[]>;
  readonly funnel: FunnelFigures;
  /** Clicks beyond the allowed lateness (the late side output). */
  readonly dropped: number;
  /** Clicks that arrived after their window fired but within the allowed lateness (they update results). */
  readonly lateAccepted: number;
  readonly clicks: number;
}

/** A session's path: its pages in time order, repeats of the same page collapsed, at most 8 steps. */
export function sessionPath(pages: readonly PageType[]): string {
  const steps: string[] = [];
  for (const p of pages) if (steps[steps.length - 1] !== p) steps.push(p);
  return steps.length > 8 ? `${steps.slice(0, 8).join('>')}>...` : steps.join('>');
}

export function computeReference(clicks: readonly ClickEvent[], o: ReferenceOptions): ReferenceResult {
  const topN = o.topProducts ?? 10;
  const pageViews = new Map<string, PageViewCount>();
  const productViews = new Map<number, Map<string, number>>();
  let dropped = 0;
  let lateAccepted = 0;
  let maxTs = -Infinity;

  // Sessions per user: open ones as [start, lastClick] with their clicks.
  interface OpenSession {
    start: number;
    last: number;
    clicks: ClickEvent[];
  }
  const open = new Map<string, OpenSession[]>();
  const closed: ClickEvent[][] = [];

  for (const c of clicks) {
    const watermark = maxTs === -Infinity ? -Infinity : maxTs - o.watermarkDelayMs - 1;
    // Tumbling windows: the click's window is [start, start + size).
    const start = Math.floor(c.ts / o.windowMs) * o.windowMs;
    const lastMs = start + o.windowMs - 1;
    if (lastMs + o.allowedLatenessMs <= watermark) {
      dropped++;
    } else {
      if (lastMs <= watermark) lateAccepted++;
      const key = `${c.url}@${start}`;
      const prev = pageViews.get(key);
      pageViews.set(key, { url: c.url, windowStart: start, views: (prev?.views ?? 0) + 1 });
      if (c.page === 'product' && c.productId !== undefined) {
        let m = productViews.get(start);
        if (!m) productViews.set(start, (m = new Map()));
        m.set(c.productId, (m.get(c.productId) ?? 0) + 1);
      }
    }
    // Sessions (no allowed lateness): a click opens [ts, ts + gap) and joins every session
    // whose span [start, last + gap) overlaps or touches it; a session whose end has passed
    // the watermark has closed, and a click that could only join closed ones is dropped.
    let sessions = open.get(c.userId);
    if (!sessions) open.set(c.userId, (sessions = []));
    closeExpired(sessions, watermark, o.sessionGapMs, closed);
    const touches = (s: OpenSession, from: number, to: number): boolean => s.start <= to + o.sessionGapMs && s.last + o.sessionGapMs >= from;
    // A click's own window is late only if it joins no open session (an open one is never late).
    if (c.ts + o.sessionGapMs - 1 > watermark || sessions.some((s) => touches(s, c.ts, c.ts))) {
      let merged: OpenSession = { start: c.ts, last: c.ts, clicks: [c] };
      let changed = true;
      while (changed) {
        changed = false;
        for (let i = 0; i < sessions.length; i++) {
          const s = sessions[i]!;
          if (!touches(s, merged.start, merged.last)) continue;
          merged = { start: Math.min(s.start, merged.start), last: Math.max(s.last, merged.last), clicks: [...s.clicks, ...merged.clicks] };
          sessions.splice(i, 1);
          changed = true;
          break;
        }
      }
      sessions.push(merged);
    }
    if (c.ts > maxTs) maxTs = c.ts;
  }
  // End of input: the final watermark closes every window and session.
  for (const sessions of open.values()) closeExpired(sessions, Infinity, o.sessionGapMs, closed);

  const topProducts = new Map<number, ProductCount[]>();
  for (const [start, m] of productViews) {
    const ranked = [...m].map(([productId, views]) => ({ productId, views }));
    ranked.sort((a, b) => b.views - a.views || (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
    topProducts.set(start, ranked.slice(0, topN));
  }

  let productViewSessions = 0;
  let cartSessions = 0;
  let checkoutSessions = 0;
  const paths = new Map<string, number>();
  for (const s of closed) {
    const sorted = [...s].sort((a, b) => a.ts - b.ts || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
    const pages = sorted.map((c) => c.page);
    if (pages.includes('product')) productViewSessions++;
    if (pages.includes('cart')) cartSessions++;
    if (pages.includes('checkout')) checkoutSessions++;
    const p = sessionPath(pages);
    paths.set(p, (paths.get(p) ?? 0) + 1);
  }
  const topPaths = [...paths].map(([path, count]) => ({ path, count }));
  topPaths.sort((a, b) => b.count - a.count || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  return {
    pageViews,
    topProducts,
    funnel: {
      sessions: closed.length,
      productViewSessions,
      cartSessions,
      checkoutSessions,
      conversion: productViewSessions === 0 ? 0 : checkoutSessions / productViewSessions,
      topPaths: topPaths.slice(0, o.topPaths ?? 10),
    },
    dropped,
    lateAccepted,
    clicks: clicks.length,
  };
}

function closeExpired(sessions: { start: number; last: number; clicks: ClickEvent[] }[], watermark: number, gap: number, closed: ClickEvent[][]): void {
  for (let i = sessions.length - 1; i >= 0; i--) {
    const s = sessions[i]!;
    if (s.last + gap - 1 <= watermark) {
      closed.push(s.clicks);
      sessions.splice(i, 1);
    }
  }
}
