// The observability HTTP server (node:http, 127.0.0.1:8080 by default): `GET /metrics` in the
// Prometheus text format, a JSON API the web UI reads (jobs, topics, a peek at records, the
// clickstream results), a WebSocket (`/ws`) pushing a dashboard update every second, and the
// web UI itself (src/ui). Bad requests get a JSON error with a SluiceError code; no request
// can crash the server. Nothing here is fetched from the internet.
// May import: observe/, log/ (types), ui/, errors, ws.
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Log } from '../log/log.js';
import type { MetricsRegistry } from './metrics.js';
import type { JobMonitor, JobView } from './job-monitor.js';
import { readRecords } from './log-records.js';
import { SluiceError } from '../errors.js';
import { UiAssets } from '../ui/assets.js';
import { INDEX_HTML } from '../ui/page.js';

export interface ObserveServerOptions {
  readonly registry: MetricsRegistry;
  readonly log?: Log;
  /** The jobs to show (read on every request, so jobs may come and go). */
  readonly jobs?: () => readonly JobMonitor[];
  /** The clickstream results for the dashboard (null when the demo job is not running). */
  readonly clickstream?: () => unknown;
  readonly host?: string;
  /** Default 8080; 0 = any free port (read `server.port`). */
  readonly port?: number;
  /** Interval of WebSocket pushes (default 1000 ms). */
  readonly pushIntervalMs?: number;
}

export interface TopicView {
  readonly name: string;
  readonly internal: boolean;
  readonly partitions: { readonly partition: number; readonly logStartOffset: number; readonly endOffset: number; readonly sizeBytes: number }[];
  readonly records: number;
  readonly sizeBytes: number;
  readonly groups: { readonly group: string; readonly lag: number; readonly partitions: { readonly partition: number; readonly offset: number; readonly lag: number }[] }[];
}

export class ObserveServer {
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly assets = new UiAssets();
  private timer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(private readonly options: ObserveServerOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 10_000;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
    this.server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
  }

  static async start(options: ObserveServerOptions): Promise<ObserveServer> {
    const s = new ObserveServer(options);
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 8080;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new SluiceError('CONNECTION_FAILED', `cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
      s.server.once('error', onError);
      s.server.listen(port, host, () => {
        s.server.off('error', onError);
        resolve();
      });
    });
    s.timer = setInterval(() => s.push(), options.pushIntervalMs ?? 1000);
    s.timer.unref();
    // Compiles the UI now so the first page load does not wait for it.
    void s.assets.warm();
    return s;
  }

  get port(): number {
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.port : 0;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      for (const c of this.wss.clients) c.terminate();
      this.wss.close();
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    })();
    return this.stopping;
  }

  // ---- routes -----------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return this.json(res, 405, { error: { code: 'INVALID_ARGUMENT', message: `method ${req.method} not allowed` } });
    }
    if (p === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
      res.end(this.options.registry.expose());
      return;
    }
    if (p === '/' || p === '/index.html' || p === '/jobs' || p === '/topics') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(INDEX_HTML);
      return;
    }
    if (p.startsWith('/assets/')) {
      const asset = await this.assets.get(p.slice('/assets/'.length));
      if (!asset) return this.json(res, 404, { error: { code: 'NOT_FOUND', message: `no asset ${p}` } });
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
      res.end(asset.body);
      return;
    }
    if (p === '/api/jobs') return this.json(res, 200, { jobs: this.jobViews() });
    const jobMatch = /^\/api\/jobs\/([^/]+)$/.exec(p);
    if (jobMatch) {
      const job = this.jobViews().find((j) => j.name === decodeURIComponent(jobMatch[1]!));
      if (!job) return this.json(res, 404, { error: { code: 'NOT_FOUND', message: `no job ${jobMatch[1]}` } });
      return this.json(res, 200, job);
    }
    if (p === '/api/topics') return this.json(res, 200, { topics: this.topicViews() });
    const peek = /^\/api\/topics\/([^/]+)\/records$/.exec(p);
    if (peek) return this.json(res, 200, await this.peek(decodeURIComponent(peek[1]!), url.searchParams));
    const topicMatch = /^\/api\/topics\/([^/]+)$/.exec(p);
    if (topicMatch) {
      const t = this.topicViews().find((x) => x.name === decodeURIComponent(topicMatch[1]!));
      if (!t) return this.json(res, 404, { error: { code: 'UNKNOWN_TOPIC', message: `no topic ${topicMatch[1]}` } });
      return this.json(res, 200, t);
    }
    if (p === '/api/clickstream') return this.json(res, 200, this.options.clickstream?.() ?? null);
    if (p === '/api/overview') return this.json(res, 200, this.overview());
    return this.json(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${p}` } });
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(text);
  }

  private fail(res: http.ServerResponse, err: unknown): void {
    const e = err instanceof SluiceError ? err : new SluiceError('INTERNAL', err instanceof Error ? err.message : String(err));
    const status = e.code === 'UNKNOWN_TOPIC' || e.code === 'PARTITION_OUT_OF_RANGE' ? 404 : e.code === 'INVALID_ARGUMENT' ? 400 : 500;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.json(res, status, { error: { code: e.code, message: e.message } });
  }

  // ---- views ------------------------------------------------------------------------------

  jobViews(): JobView[] {
    return (this.options.jobs?.() ?? []).map((j) => j.view());
  }

  topicViews(): TopicView[] {
    const log = this.options.log;
    if (!log) return [];
    const groupsByTopic = new Map<string, TopicView['groups'][number][]>();
    for (const group of log.groupOffsets.groups()) {
      for (const [topic, parts] of log.groupOffsets.fetch(group)) {
        if (!log.hasTopic(topic)) continue;
        const partitions: { partition: number; offset: number; lag: number }[] = [];
        for (const [partition, c] of parts) {
          let end = 0;
          try {
            end = log.partition(topic, partition).highWatermark;
          } catch {
            continue;
          }
          partitions.push({ partition, offset: c.offset, lag: Math.max(0, end - c.offset) });
        }
        let list = groupsByTopic.get(topic);
        if (!list) groupsByTopic.set(topic, (list = []));
        list.push({ group, lag: partitions.reduce((s, x) => s + x.lag, 0), partitions });
      }
    }
    // Jobs reading a topic show up as consumers too, named after the job.
    for (const job of this.options.jobs?.() ?? []) {
      const byTopic = new Map<string, { partition: number; offset: number; lag: number }[]>();
      for (const l of job.consumerLag()) {
        let list = byTopic.get(l.topic);
        if (!list) byTopic.set(l.topic, (list = []));
        list.push({ partition: l.partition, offset: l.position, lag: l.lag });
      }
      for (const [topic, partitions] of byTopic) {
        let list = groupsByTopic.get(topic);
        if (!list) groupsByTopic.set(topic, (list = []));
        list.push({ group: `job:${job.name}`, lag: partitions.reduce((s, x) => s + x.lag, 0), partitions });
      }
    }
    return log
      .listTopics()
      .map((t) => {
        const partitions: TopicView['partitions'][number][] = [];
        for (let i = 0; i < t.partitions; i++) {
          try {
            const p = log.partition(t.name, i);
            partitions.push({ partition: i, logStartOffset: p.logStartOffset, endOffset: p.highWatermark, sizeBytes: p.sizeBytes });
          } catch {
            // A partition that failed recovery is listed by the CLI's `log verify`, not here.
          }
        }
        return {
          name: t.name,
          internal: t.internal,
          partitions,
          records: partitions.reduce((s, p) => s + (p.endOffset - p.logStartOffset), 0),
          sizeBytes: partitions.reduce((s, p) => s + p.sizeBytes, 0),
          groups: groupsByTopic.get(t.name) ?? [],
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private async peek(topic: string, q: URLSearchParams): Promise<unknown> {
    const log = this.options.log;
    if (!log || !log.hasTopic(topic)) throw new SluiceError('UNKNOWN_TOPIC', `no topic ${topic}`);
    const partitions = log.describeTopic(topic).partitions;
    const limit = Math.min(100, Math.max(1, Number(q.get('limit') ?? 10) || 10));
    const only = q.get('partition');
    if (only !== null && !/^\d+$/.test(only)) throw new SluiceError('INVALID_ARGUMENT', `partition must be a number, got '${only}'`);
    const records: { partition: number; offset: number; timestamp: number; key: string | null; value: string | null }[] = [];
    for (let i = 0; i < partitions; i++) {
      if (only !== null && Number(only) !== i) continue;
      const part = log.partition(topic, i);
      const from = Math.max(part.logStartOffset, part.highWatermark - limit);
      const { records: rs } = await readRecords(part, from, { isolation: 'read_uncommitted', limit });
      for (const r of rs) {
        records.push({ partition: i, offset: r.offset, timestamp: r.timestamp, key: r.key ? printable(r.key) : null, value: r.value ? printable(r.value) : null });
      }
    }
    records.sort((a, b) => b.timestamp - a.timestamp || b.offset - a.offset);
    return { topic, records: records.slice(0, limit) };
  }

  private overview(): unknown {
    return { clickstream: this.options.clickstream?.() ?? null, jobs: this.jobViews(), topics: this.topicViews() };
  }

  // ---- WebSocket --------------------------------------------------------------------------

  private onSocket(ws: WebSocket): void {
    ws.on('error', () => ws.terminate());
    // Clients only listen; anything they send is ignored.
    ws.on('message', () => undefined);
    this.send(ws, this.safeOverview());
  }

  private safeOverview(): string | undefined {
    try {
      return JSON.stringify({ type: 'update', at: Date.now(), ...(this.overview() as object) }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
    } catch {
      return undefined;
    }
  }

  private push(): void {
    if (this.wss.clients.size === 0) return;
    const msg = this.safeOverview();
    for (const ws of this.wss.clients) this.send(ws, msg);
  }

  private send(ws: WebSocket, msg: string | undefined): void {
    // A slow client is skipped rather than buffered without bound.
    if (msg === undefined || ws.readyState !== ws.OPEN || ws.bufferedAmount > 4 << 20) return;
    ws.send(msg);
  }
}

/** UTF-8 text when it is text, else base64 with a prefix. */
function printable(b: Buffer): string {
  const s = b.toString('utf8');
  return s.includes('\uFFFD') ? `base64:${b.toString('base64')}` : s.length > 2000 ? `${s.slice(0, 2000)}…` : s;
}
