// The clickstream pipeline, in event time, on the engine's public builder API:
//   clicks ──▶ page views per URL per minute (tumbling, allowed lateness, late side output)
//          ──▶ product views per minute ──▶ top 10 products per minute (updated by late clicks)
//          ──▶ user sessions (30 min inactivity) ──▶ paths, most common paths, funnel
// With `earlyResultsEvery`, the open minute's page views and the open sessions are emitted
// early (provisional, replaced later: upsert by key); the funnel counts the final sessions
// exactly and adds the latest provisional version of each open session on top, so a live
// dashboard shows paths and conversion within seconds instead of after 30 minutes.
// Results go to topics of the embedded log as JSON; the late side output goes to its own
// topic. Everything here is ordinary user code: it imports the engine like an application.
// May import src/engine, src/connectors/postgres, src/log (types), ./generator.ts (types), ./reference.ts (sessionPath only
// is NOT imported: the pipeline computes paths on its own so the test compares two codes).
import type { ClickEvent, PageType } from './generator.js';
import { CLICKSTREAM_DEFAULTS } from './generator.js';
import { pipeline, type Pipeline } from '../../src/engine/api/pipeline.js';
import type { DataStream } from '../../src/engine/api/data-stream.js';
import type { PipelineOptions } from '../../src/engine/runtime/job-options.js';
import { topic } from '../../src/engine/sources/log-topic-source.js';
import { topicSink } from '../../src/engine/sinks/log-topic-sink.js';
import { json } from '../../src/engine/formats/json.js';
import { boundedOutOfOrderness } from '../../src/engine/time/watermark-strategy.js';
import { TumblingEventTimeWindows, EventTimeSessionWindows } from '../../src/engine/windowing/assigners.js';
import { count } from '../../src/engine/aggregations/basic.js';
import { outputTag } from '../../src/engine/api/output-tag.js';
import { mapStateDescriptor, valueStateDescriptor } from '../../src/engine/state/descriptors.js';
import type { MapState, ValueState } from '../../src/engine/state/types.js';
import type { WindowResult } from '../../src/engine/windowing/window-function.js';
import type { TimeWindow } from '../../src/engine/windowing/window.js';
import type { Sink } from '../../src/engine/sinks/sink.js';
import type { Duration } from '../../src/engine/api/duration.js';
import { EarlyFiringEventTimeTrigger } from '../../src/engine/windowing/triggers.js';
import { toMillis } from '../../src/engine/api/duration.js';
import { postgresSink } from '../../src/connectors/postgres/postgres-sink.js';
import type { PgConnectionConfig } from '../../src/connectors/postgres/pg-session.js';

export const CLICKSTREAM_TOPICS = {
  clicks: 'clickstream.clicks',
  pageViews: 'clickstream.page-views',
  topProducts: 'clickstream.top-products',
  sessions: 'clickstream.sessions',
  funnel: 'clickstream.funnel',
  late: 'clickstream.late',
} as const;

export interface PageViewsRecord {
  readonly url: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly views: number;
  readonly isUpdate: boolean;
}

export interface TopProductsRecord {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly top: readonly { readonly productId: string; readonly views: number }[];
  readonly isUpdate: boolean;
}

export interface SessionRecord {
  readonly userId: string;
  readonly start: number;
  readonly end: number;
  readonly clicks: number;
  readonly path: string;
  readonly viewedProduct: boolean;
  readonly addedToCart: boolean;
  readonly checkedOut: boolean;
  /** False for an early result of a session still open: a later record for the same user and a window containing this one replaces it. */
  readonly final: boolean;
}

export interface FunnelRecord {
  readonly sessions: number;
  readonly productViewSessions: number;
  readonly cartSessions: number;
  readonly checkoutSessions: number;
  readonly conversion: number;
  readonly topPaths: readonly { readonly path: string; readonly count: number }[];
  /** Event time up to which the figures are complete (the last session's end). */
  readonly asOf: number;
  /** Sessions still open, counted provisionally above (0 when every figure is final). */
  readonly openSessions: number;
}

export interface ClickstreamJobOptions {
  /** The job name (also names its checkpoints). */
  readonly name?: string;
  readonly resources: { readonly log: unknown } & Record<string, unknown>;
  /** Stop at the end of the clicks present at start (tests); default: run forever. */
  readonly bounded?: boolean;
  readonly checkpoints?: PipelineOptions['checkpoints'];
  readonly batchSize?: number;
  readonly allowedLatenessMs?: number;
  readonly watermarkDelayMs?: number;
  readonly sessionGapMs?: number;
  /** Partitions of the result topics created on demand (default 1). */
  readonly resultPartitions?: number;
  /** Extra sinks per result stream (e.g. PostgreSQL, or an in-memory view). */
  readonly extraSinks?: {
    readonly pageViews?: Sink<PageViewsRecord>;
    readonly topProducts?: Sink<TopProductsRecord>;
    readonly funnel?: Sink<FunnelRecord>;
  };
  readonly clock?: PipelineOptions['clock'];
  /**
   * Also write page views per URL per minute, the top products per minute and the funnel to
   * PostgreSQL tables (`<tablePrefix>page_views`, `top_products`, `funnel`; upserts, created
   * if missing), exactly-once when the job checkpoints.
   */
  readonly postgres?: { readonly connection: PgConnectionConfig; readonly tablePrefix?: string };
  /** Also emit the current minute's page views and the open sessions (so paths and funnel) this often (processing time) before they close, for live dashboards. */
  readonly earlyResultsEvery?: Duration;
}

const TOP_PRODUCTS = 10;
const TOP_PATHS = 10;

export function isClickEvent(v: unknown): v is ClickEvent {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c['userId'] === 'string' &&
    typeof c['sessionId'] === 'string' &&
    typeof c['url'] === 'string' &&
    typeof c['page'] === 'string' &&
    ['home', 'category', 'product', 'cart', 'checkout'].includes(c['page']) &&
    typeof c['ts'] === 'number' &&
    Number.isFinite(c['ts']) &&
    (c['productId'] === undefined || typeof c['productId'] === 'string')
  );
}

/** Collapses repeated pages and keeps at most 8 steps. */
function pathOf(pages: readonly PageType[]): string {
  let path = '';
  let steps = 0;
  let prev: PageType | undefined;
  for (const p of pages) {
    if (p === prev) continue;
    prev = p;
    if (steps === 8) return `${path}>...`;
    path = steps === 0 ? p : `${path}>${p}`;
    steps++;
  }
  return path;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function buildClickstreamJob(options: ClickstreamJobOptions): Pipeline {
  const allowedLateness = options.allowedLatenessMs ?? CLICKSTREAM_DEFAULTS.allowedLatenessMs;
  const resultPartitions = options.resultPartitions ?? 1;
  const p = pipeline(options.name ?? 'clickstream', {
    resources: options.resources,
    ...(options.checkpoints ? { checkpoints: options.checkpoints } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const invalid = outputTag<unknown>('invalid-clicks');
  const late = outputTag<ClickEvent>('late-clicks');

  const raw = p
    .from(topic<unknown>(CLICKSTREAM_TOPICS.clicks, { format: json<unknown>(), bounded: options.bounded ?? false, maxBytes: 256 * 1024 }), { uid: 'clicks' })
    .withWatermarks(
      (v, recordTs) => (isClickEvent(v) ? v.ts : recordTs),
      boundedOutOfOrderness(options.watermarkDelayMs ?? CLICKSTREAM_DEFAULTS.watermarkDelayMs).withIdleness('30s'),
    );
  // JSON that is not a click goes to the dead-letter topic instead of failing the job.
  const clicks = raw.process<ClickEvent>(
    {
      processElement(v, ctx, out) {
        if (isClickEvent(v)) out.collect(v);
        else ctx.output(invalid, v);
      },
    },
    'validate',
  );
  clicks.getSideOutput(invalid).to(topicSink<unknown>(`${CLICKSTREAM_TOPICS.clicks}.dlq`, { format: json<unknown>(), createPartitions: 1 }), { uid: 'invalid-sink' });

  // 1. Page views per URL per minute.
  const pageViewWindows = clicks.keyBy((c) => c.url).window(TumblingEventTimeWindows.of<ClickEvent>('1m'));
  if (options.earlyResultsEvery !== undefined) pageViewWindows.trigger(EarlyFiringEventTimeTrigger.of<ClickEvent>(options.earlyResultsEvery));
  const pageViewCounts = pageViewWindows
    .allowedLateness(allowedLateness)
    .sideOutputLateData(late)
    .aggregate(count<ClickEvent>(), { name: 'page-views', uid: 'page-views' });
  const pageViews = pageViewCounts.map<PageViewsRecord>((r) => ({ url: r.key, windowStart: r.window.start, windowEnd: r.window.end, views: r.value, isUpdate: r.isUpdate }), 'page-views-record');
  pageViews.to(topicSink(CLICKSTREAM_TOPICS.pageViews, { format: json<PageViewsRecord>(), key: (r) => `${r.url}@${r.windowStart}`, createPartitions: resultPartitions }), { uid: 'page-views-sink' });
  if (options.extraSinks?.pageViews) pageViews.to(options.extraSinks.pageViews, { uid: 'page-views-extra' });
  pageViewCounts.getSideOutput(late).to(topicSink(CLICKSTREAM_TOPICS.late, { format: json<ClickEvent>(), key: (c) => c.userId, createPartitions: 1 }), { uid: 'late-sink' });

  // 2. Top products per minute: counts per product and minute, then a ranking per minute
  //    that re-ranks whenever a late click updates a count.
  const productCounts = clicks
    .filter((c) => c.page === 'product' && c.productId !== undefined, 'product-views-only')
    .keyBy((c) => c.productId as string)
    .window(TumblingEventTimeWindows.of<ClickEvent>('1m'))
    .allowedLateness(allowedLateness)
    .aggregate(count<ClickEvent>(), { name: 'product-views', uid: 'product-views' });
  const countsDesc = mapStateDescriptor<string, number>('counts');
  const emittedDesc = valueStateDescriptor<boolean>('emitted');
  const topProducts = productCounts.keyBy((r: WindowResult<string, number>) => r.window.start).process<TopProductsRecord>(
    (() => {
      let counts: MapState<string, number>;
      let emitted: ValueState<boolean>;
      return {
        open(ctx) {
          counts = ctx.getMapState(countsDesc);
          emitted = ctx.getState(emittedDesc);
        },
        processElement(r: WindowResult<string, number>, ctx, _out) {
          counts.put(r.key, r.value);
          // Rank once the watermark has passed the minute (the timer fires on the next advance
          // if it already has), and forget the minute when no late click can change it.
          ctx.timerService.registerEventTimeTimer(r.window.end - 1);
          ctx.timerService.registerEventTimeTimer(r.window.end - 1 + allowedLateness + 1);
        },
        onTimer(ts, ctx, out) {
          const start = ctx.getCurrentKey();
          const end = start + 60_000;
          if (ts > end - 1 + allowedLateness) {
            counts.clear();
            emitted.clear();
            return;
          }
          const ranked = counts.entries().map(([productId, views]) => ({ productId, views }));
          ranked.sort((a, b) => b.views - a.views || compareStrings(a.productId, b.productId));
          out.collect({ windowStart: start, windowEnd: end, top: ranked.slice(0, TOP_PRODUCTS), isUpdate: emitted.value() === true });
          emitted.update(true);
        },
      };
    })(),
    'top-products',
  );
  topProducts.to(topicSink(CLICKSTREAM_TOPICS.topProducts, { format: json<TopProductsRecord>(), key: (r) => String(r.windowStart), createPartitions: resultPartitions }), { uid: 'top-products-sink' });
  if (options.extraSinks?.topProducts) topProducts.to(options.extraSinks.topProducts, { uid: 'top-products-extra' });

  // 3. Sessions per user, their paths, and the funnel over all sessions.
  //    Early firings give open sessions a provisional result every `earlyResultsEvery`.
  const earlyMs = options.earlyResultsEvery === undefined ? undefined : toMillis(options.earlyResultsEvery, 'earlyResultsEvery');
  const sessionWindows = clicks.keyBy((c) => c.userId).window(EventTimeSessionWindows.withGap<ClickEvent>(options.sessionGapMs ?? CLICKSTREAM_DEFAULTS.sessionGapMs));
  // Only sessions that got clicks since their last result fire early (there may be tens of thousands open).
  if (earlyMs !== undefined) sessionWindows.trigger(EarlyFiringEventTimeTrigger.of<ClickEvent>(earlyMs, { onlyOnChange: true }));
  const sessions = sessionWindows
    .process<SessionRecord>(
      (userId: string, ctx, elements, out) => {
        const sorted = [...elements].sort((a, b) => a.ts - b.ts || compareStrings(a.url, b.url));
        const pages = sorted.map((c) => c.page);
        const w = ctx.window as TimeWindow;
        out.collect({
          userId,
          start: w.start,
          end: w.end,
          clicks: sorted.length,
          path: pathOf(pages),
          viewedProduct: pages.includes('product'),
          addedToCart: pages.includes('cart'),
          checkedOut: pages.includes('checkout'),
          // The final firing is the one at the watermark passing the session's end.
          final: ctx.currentWatermark() >= w.maxTimestamp(),
        });
      },
      { name: 'sessions', uid: 'sessions' },
    );
  sessions.to(topicSink(CLICKSTREAM_TOPICS.sessions, { format: json<SessionRecord>(), key: (s) => s.userId, createPartitions: resultPartitions }), { uid: 'sessions-sink' });

  const totalsDesc = valueStateDescriptor<[number, number, number, number]>('totals');
  const pathsDesc = mapStateDescriptor<string, number>('paths');
  const openDesc = mapStateDescriptor<string, SessionRecord[]>('open-sessions');
  const funnel = sessions.keyBy(() => 'all').process<FunnelRecord>(
    (() => {
      let totals: ValueState<[number, number, number, number]>;
      let paths: MapState<string, number>;
      // Per user, the latest provisional result of each of their open sessions.
      let open: MapState<string, SessionRecord[]>;
      return {
        open(ctx) {
          totals = ctx.getState(totalsDesc);
          paths = ctx.getMapState(pathsDesc);
          open = ctx.getMapState(openDesc);
        },
        processElement(s: SessionRecord, ctx) {
          // Session windows only grow (by merging), so a later result of the same session has
          // a window containing the earlier ones': those are replaced (upsert by session).
          const before = open.get(s.userId);
          const mine = before ? before.filter((o) => !(o.start >= s.start && o.end <= s.end)) : [];
          if (s.final) {
            const t = totals.value() ?? [0, 0, 0, 0];
            totals.update([t[0] + 1, t[1] + (s.viewedProduct ? 1 : 0), t[2] + (s.addedToCart ? 1 : 0), t[3] + (s.checkedOut ? 1 : 0)]);
            paths.put(s.path, (paths.get(s.path) ?? 0) + 1);
            // Report once per watermark advance rather than once per session.
            ctx.timerService.registerEventTimeTimer(ctx.timestamp);
          } else {
            mine.push(s);
            // Provisional figures: report once per early-firing interval.
            if (earlyMs !== undefined) {
              const now = ctx.timerService.currentProcessingTime();
              ctx.timerService.registerProcessingTimeTimer(now - (now % earlyMs) + earlyMs);
            }
          }
          if (mine.length > 0) open.put(s.userId, mine);
          else if (before) open.remove(s.userId);
        },
        onTimer(ts, ctx, out) {
          let [sessionsN, viewed, carted, checkedOut] = totals.value() ?? [0, 0, 0, 0];
          const counts = new Map(paths.entries());
          let openSessions = 0;
          for (const list of open.values()) {
            for (const s of list) {
              openSessions++;
              sessionsN++;
              if (s.viewedProduct) viewed++;
              if (s.addedToCart) carted++;
              if (s.checkedOut) checkedOut++;
              counts.set(s.path, (counts.get(s.path) ?? 0) + 1);
            }
          }
          const ranked = [...counts].map(([path, n]) => ({ path, count: n }));
          ranked.sort((a, b) => b.count - a.count || compareStrings(a.path, b.path));
          const wm = ctx.timerService.currentWatermark();
          out.collect({
            sessions: sessionsN,
            productViewSessions: viewed,
            cartSessions: carted,
            checkoutSessions: checkedOut,
            conversion: viewed === 0 ? 0 : checkedOut / viewed,
            topPaths: ranked.slice(0, TOP_PATHS),
            asOf: ctx.timeDomain === 'event' ? ts : Number.isFinite(wm) ? wm : 0,
            openSessions,
          });
        },
      };
    })(),
    'funnel',
  );
  funnel.to(topicSink(CLICKSTREAM_TOPICS.funnel, { format: json<FunnelRecord>(), key: () => 'all', createPartitions: 1 }), { uid: 'funnel-sink' });
  if (options.extraSinks?.funnel) funnel.to(options.extraSinks.funnel, { uid: 'funnel-extra' });
  if (options.postgres) toPostgres(options.postgres, pageViews, topProducts, funnel);
  return p;
}

/** One row per top product and rank of a minute (the ranking's length only grows: later updates overwrite every rank). */
export interface TopProductRow {
  readonly windowStart: number;
  readonly rank: number;
  readonly productId: string;
  readonly views: number;
}

/** The PostgreSQL tables of the clickstream results: upserts keyed like the result topics, so the latest result wins. */
function toPostgres(
  o: NonNullable<ClickstreamJobOptions['postgres']>,
  pageViews: DataStream<PageViewsRecord>,
  topProducts: DataStream<TopProductsRecord>,
  funnel: DataStream<FunnelRecord>,
): void {
  const prefix = o.tablePrefix ?? 'clickstream_';
  const connection = o.connection;
  pageViews.to(
    postgresSink<PageViewsRecord>({
      connection,
      table: `${prefix}page_views`,
      mode: 'upsert',
      keyColumns: ['url', 'window_start'],
      columns: { url: (r) => r.url, window_start: (r) => new Date(r.windowStart), window_end: (r) => new Date(r.windowEnd), views: (r) => r.views },
      createTable: { columnTypes: { url: 'text', window_start: 'timestamptz', window_end: 'timestamptz', views: 'bigint' } },
    }),
    { uid: 'page-views-postgres' },
  );
  topProducts
    .flatMap<TopProductRow>((r, out) => r.top.forEach((t, i) => out.collect({ windowStart: r.windowStart, rank: i + 1, productId: t.productId, views: t.views })), 'top-product-rows')
    .to(
      postgresSink<TopProductRow>({
        connection,
        table: `${prefix}top_products`,
        mode: 'upsert',
        keyColumns: ['window_start', 'rank'],
        columns: { window_start: (r) => new Date(r.windowStart), rank: (r) => r.rank, product_id: (r) => r.productId, views: (r) => r.views },
        createTable: { columnTypes: { window_start: 'timestamptz', rank: 'integer', product_id: 'text', views: 'bigint' } },
      }),
      { uid: 'top-products-postgres' },
    );
  funnel.to(
    postgresSink<FunnelRecord>({
      connection,
      table: `${prefix}funnel`,
      mode: 'upsert',
      keyColumns: ['id'],
      columns: {
        id: () => 'all',
        sessions: (r) => r.sessions,
        product_view_sessions: (r) => r.productViewSessions,
        cart_sessions: (r) => r.cartSessions,
        checkout_sessions: (r) => r.checkoutSessions,
        conversion: (r) => r.conversion,
        top_paths: (r) => JSON.stringify(r.topPaths),
        open_sessions: (r) => r.openSessions,
        as_of: (r) => new Date(r.asOf),
      },
      createTable: {
        columnTypes: {
          id: 'text',
          sessions: 'bigint',
          product_view_sessions: 'bigint',
          cart_sessions: 'bigint',
          checkout_sessions: 'bigint',
          conversion: 'double precision',
          top_paths: 'jsonb',
          open_sessions: 'integer',
          as_of: 'timestamptz',
        },
      },
    }),
    { uid: 'funnel-postgres' },
  );
}
