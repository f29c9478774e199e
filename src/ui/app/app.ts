// The web UI: one page with three views (clickstream dashboard, job, topics) switched by the
// URL hash, fed by the server's WebSocket (`/ws`, one overview per second) with a polling
// fallback. Charts are drawn on <canvas> and the operator graph as inline SVG, by hand: no
// framework, nothing loaded from the internet.
// Runs in the browser. May import ./dom.ts, ./format.ts and types from observe/.
import type { JobView, NodeView } from '../../observe/job-monitor.js';
import type { TopicView } from '../../observe/http-server.js';
import { browser, byId, esc, type Canvas } from './dom.js';
import { fmtBytes, fmtInt, fmtMs, fmtPct, fmtRate, fmtTime } from './format.js';

/** What /api/clickstream returns (examples/clickstream/results-view.ts, kept structural so the UI builds from src/ alone). */
interface ClickstreamSnapshot {
  readonly viewsPerMinute: { readonly windowStart: number; readonly views: number }[];
  readonly topPages: { readonly url: string; readonly views: number }[];
  readonly topPagesWindow: number | null;
  readonly topProducts: { readonly windowStart: number; readonly isUpdate: boolean; readonly top: readonly { readonly productId: string; readonly views: number }[] } | null;
  readonly funnel: {
    readonly sessions: number;
    readonly productViewSessions: number;
    readonly cartSessions: number;
    readonly checkoutSessions: number;
    readonly conversion: number;
    readonly topPaths: readonly { readonly path: string; readonly count: number }[];
    /** Open sessions counted provisionally (early results); absent in older records. */
    readonly openSessions?: number;
  } | null;
  readonly lateClicks: number;
  readonly clicks: number;
}

interface Overview {
  readonly at: number;
  readonly clickstream: ClickstreamSnapshot | null;
  readonly jobs: JobView[];
  readonly topics: TopicView[];
}

let latest: Overview | undefined;
let updates = 0;
let selectedTopic: string | undefined;

function route(): string {
  const h = browser.location.hash.replace(/^#\/?/, '');
  return h === 'jobs' || h === 'topics' ? h : 'dashboard';
}

function show(): void {
  const r = route();
  for (const v of ['dashboard', 'jobs', 'topics']) byId(`view-${v}`).hidden = v !== r;
  browser.document.querySelectorAll('nav a').forEach((a) => {
    a.className = a.dataset['view'] === r ? 'active' : '';
  });
  render();
}

function render(): void {
  if (!latest) return;
  byId('updated').textContent = `live · ${fmtTime(latest.at)} · update ${updates}`;
  byId('updated').dataset['updates'] = String(updates);
  const r = route();
  if (r === 'dashboard') renderDashboard(latest.clickstream);
  else if (r === 'jobs') renderJobs(latest.jobs);
  else renderTopics(latest.topics);
}

// ---- dashboard -----------------------------------------------------------------------------

function renderDashboard(c: ClickstreamSnapshot | null): void {
  byId('no-clickstream').hidden = c !== null;
  if (!c) return;
  const f = c.funnel;
  byId('kpi-clicks').textContent = fmtInt(c.clicks);
  byId('kpi-late').textContent = fmtInt(c.lateClicks);
  byId('kpi-sessions').textContent = fmtInt(f?.sessions ?? 0);
  byId('kpi-conversion').textContent = f ? fmtPct(f.conversion) : '–';
  drawViewsChart(byId<Canvas>('views-chart'), c.viewsPerMinute);
  byId('top-pages-window').textContent = c.topPagesWindow === null ? '' : `minute ${fmtTime(c.topPagesWindow)}`;
  byId('top-pages').innerHTML = barRows(c.topPages.map((p) => ({ label: p.url, value: p.views })));
  const tp = c.topProducts;
  byId('top-products-window').textContent = tp ? `minute ${fmtTime(tp.windowStart)}${tp.isUpdate ? ' (updated by late clicks)' : ''}` : '';
  byId('top-products').innerHTML = barRows((tp?.top ?? []).map((p) => ({ label: p.productId, value: p.views })));
  if (f) {
    const steps = [
      { label: 'sessions', value: f.sessions },
      { label: 'viewed a product', value: f.productViewSessions },
      { label: 'added to cart', value: f.cartSessions },
      { label: 'checked out', value: f.checkoutSessions },
    ];
    byId('funnel').innerHTML = barRows(steps, (v) => `${fmtInt(v)} (${fmtPct(f.sessions ? v / f.sessions : 0)})`);
    byId('funnel-note').textContent = f.openSessions ? `includes ${fmtInt(f.openSessions)} open sessions (provisional)` : 'final';
    byId('paths').innerHTML = f.topPaths.map((p) => `<tr><td class="path">${esc(p.path)}</td><td class="num">${fmtInt(p.count)}</td></tr>`).join('');
  }
}

function barRows(rows: { label: string; value: number }[], fmt: (v: number) => string = fmtInt): string {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return rows
    .map(
      (r) =>
        `<div class="bar-row"><span class="bar-label" title="${esc(r.label)}">${esc(r.label)}</span>` +
        `<span class="bar"><span style="width:${((100 * r.value) / max).toFixed(1)}%"></span></span><span class="num">${esc(fmt(r.value))}</span></div>`,
    )
    .join('');
}

function drawViewsChart(canvas: Canvas, points: readonly { windowStart: number; views: number }[]): void {
  const ratio = browser.devicePixelRatio ?? 1;
  const w = canvas.clientWidth || 600;
  const h = canvas.clientHeight || 220;
  if (canvas.width !== Math.round(w * ratio)) canvas.width = Math.round(w * ratio);
  if (canvas.height !== Math.round(h * ratio)) canvas.height = Math.round(h * ratio);
  const g = canvas.getContext('2d');
  if (!g) return;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  canvas.dataset['points'] = String(points.length);
  canvas.dataset['last'] = String(points[points.length - 1]?.views ?? 0);
  const left = 48;
  const bottom = h - 22;
  const top = 10;
  const max = Math.max(1, ...points.map((p) => p.views));
  g.strokeStyle = '#d0d7de';
  g.fillStyle = '#57606a';
  g.font = '11px system-ui, sans-serif';
  g.lineWidth = 1;
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const y = bottom - ((bottom - top) * i) / 4;
    g.beginPath();
    g.moveTo(left, y);
    g.lineTo(w - 8, y);
    g.stroke();
    g.fillText(fmtInt((max * i) / 4), left - 6, y);
  }
  if (points.length === 0) return;
  const step = (w - left - 16) / Math.max(1, points.length - 1);
  const x = (i: number): number => left + 4 + i * step;
  const y = (v: number): number => bottom - ((bottom - top) * v) / max;
  g.fillStyle = 'rgba(9, 105, 218, 0.12)';
  g.beginPath();
  g.moveTo(x(0), bottom);
  points.forEach((p, i) => g.lineTo(x(i), y(p.views)));
  g.lineTo(x(points.length - 1), bottom);
  g.closePath();
  g.fill();
  g.strokeStyle = '#0969da';
  g.lineWidth = 2;
  g.beginPath();
  points.forEach((p, i) => (i === 0 ? g.moveTo(x(i), y(p.views)) : g.lineTo(x(i), y(p.views))));
  g.stroke();
  g.fillStyle = '#57606a';
  g.textAlign = 'center';
  g.textBaseline = 'top';
  const every = Math.max(1, Math.ceil(points.length / 8));
  points.forEach((p, i) => {
    if (i % every === 0 || i === points.length - 1) g.fillText(fmtTime(p.windowStart).slice(0, 5), x(i), bottom + 6);
  });
}

// ---- job view ------------------------------------------------------------------------------

function renderJobs(jobs: readonly JobView[]): void {
  const root = byId('jobs');
  if (jobs.length === 0) {
    root.innerHTML = '<p class="muted">No job is running.</p>';
    return;
  }
  root.innerHTML = jobs.map(jobHtml).join('');
}

function jobHtml(j: JobView): string {
  const cp = j.checkpoints;
  const rows = j.nodes
    .map(
      (n) =>
        `<tr class="operator-row" data-operator="${esc(n.uid)}" data-rate="${n.recordsInPerSecond + n.recordsOutPerSecond}" data-watermark="${n.watermark ?? ''}">` +
        `<td>${esc(n.name)}<div class="muted small">${esc(n.kind)} · ${esc(n.uid)}</div></td>` +
        `<td class="num">${fmtRate(n.recordsInPerSecond)}</td><td class="num">${fmtRate(n.recordsOutPerSecond)}</td>` +
        `<td class="num">${fmtInt(n.recordsIn)}</td><td class="num">${fmtInt(n.recordsOut)}</td>` +
        `<td>${meter(n)}</td><td><span class="bp bp-${n.backpressure}">${n.backpressure}</span></td>` +
        `<td class="num">${n.watermark === null ? '–' : esc(new Date(n.watermark).toISOString().replace('T', ' ').slice(0, 19))}</td>` +
        `<td class="num">${fmtMs(n.watermarkLagMs)}</td></tr>`,
    )
    .join('');
  const lag = j.consumerLag
    .map((l) => `<tr><td>${esc(l.topic)}</td><td class="num">${l.partition}</td><td class="num">${fmtInt(l.position)}</td><td class="num">${fmtInt(l.endOffset)}</td><td class="num">${fmtInt(l.lag)}</td></tr>`)
    .join('');
  const last = cp.last;
  return `<section class="card"><h2>${esc(j.name)} <span class="status status-${j.status}">${j.status}</span></h2>
    ${graphSvg(j)}
    <table class="grid"><thead><tr><th>operator</th><th>in</th><th>out</th><th>records in</th><th>records out</th><th>busy / backpressured / idle</th><th>backpressure</th><th>watermark</th><th>lag</th></tr></thead><tbody>${rows}</tbody></table>
    <div class="cols"><div><h3>Checkpoints</h3><table class="kv">
      <tr><td>completed</td><td class="num" id="cp-completed">${fmtInt(cp.completed)}</td></tr>
      <tr><td>failed</td><td class="num">${fmtInt(cp.failed)}</td></tr>
      <tr><td>last</td><td class="num">${last ? `#${last.id} at ${fmtTime(last.completedAt)}` : '–'}</td></tr>
      <tr><td>duration</td><td class="num">${fmtMs(last?.durationMs)}</td></tr>
      <tr><td>size</td><td class="num">${fmtBytes(last?.sizeBytes)}</td></tr></table></div>
    <div><h3>Consumer lag</h3><table class="grid"><thead><tr><th>topic</th><th>partition</th><th>position</th><th>end</th><th>lag</th></tr></thead><tbody>${lag || '<tr><td colspan="5" class="muted">no log sources</td></tr>'}</tbody></table></div></div>
  </section>`;
}

function meter(n: NodeView): string {
  const pct = (x: number): string => (100 * Math.max(0, Math.min(1, x))).toFixed(1);
  return `<span class="meter" title="busy ${fmtPct(n.busy)}, backpressured ${fmtPct(n.backpressured)}, idle ${fmtPct(n.idle)}"><span class="busy" style="width:${pct(n.busy)}%"></span><span class="backpressured" style="width:${pct(n.backpressured)}%"></span></span>`;
}

/** Operators in columns by depth from the sources, edges as lines: the job graph as Flink draws it. */
function graphSvg(j: JobView): string {
  const depth = new Map<number, number>();
  for (const n of j.nodes) depth.set(n.id, 0);
  for (let pass = 0; pass < j.nodes.length; pass++) {
    for (const e of j.edges) depth.set(e.to, Math.max(depth.get(e.to) ?? 0, (depth.get(e.from) ?? 0) + 1));
  }
  const columns = new Map<number, NodeView[]>();
  for (const n of j.nodes) {
    const d = depth.get(n.id) ?? 0;
    let c = columns.get(d);
    if (!c) columns.set(d, (c = []));
    c.push(n);
  }
  const bw = 150;
  const bh = 46;
  const gx = 40;
  const gy = 14;
  const pos = new Map<number, { x: number; y: number }>();
  let height = 0;
  for (const [d, col] of columns) {
    col.forEach((n, i) => pos.set(n.id, { x: 10 + d * (bw + gx), y: 10 + i * (bh + gy) }));
    height = Math.max(height, 10 + col.length * (bh + gy));
  }
  const width = 20 + columns.size * (bw + gx);
  const lines = j.edges
    .map((e) => {
      const a = pos.get(e.from);
      const b = pos.get(e.to);
      if (!a || !b) return '';
      const x1 = a.x + bw;
      const y1 = a.y + bh / 2;
      const x2 = b.x;
      const y2 = b.y + bh / 2;
      const mx = (x1 + x2) / 2;
      return `<path d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" class="edge${e.sideOutput ? ' side' : ''}"><title>${esc(e.partitioning)}${e.sideOutput ? ` (side output ${esc(e.sideOutput)})` : ''}</title></path>`;
    })
    .join('');
  const boxes = j.nodes
    .map((n) => {
      const p = pos.get(n.id)!;
      return `<g class="node node-${n.kind} bp-${n.backpressure}" transform="translate(${p.x},${p.y})"><rect width="${bw}" height="${bh}" rx="6"/>` +
        `<text x="8" y="17" class="name">${esc(n.name.length > 22 ? `${n.name.slice(0, 21)}…` : n.name)}</text>` +
        `<text x="8" y="35" class="rate">${fmtRate(n.recordsInPerSecond)} in · ${fmtPct(n.busy)} busy</text><title>${esc(n.uid)}</title></g>`;
    })
    .join('');
  return `<div class="graph"><svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${lines}${boxes}</svg></div>`;
}

// ---- topics view -------------------------------------------------------------------------

function renderTopics(topics: readonly TopicView[]): void {
  byId('topics').innerHTML = topics
    .map(
      (t) =>
        `<tr class="topic-row" data-topic="${esc(t.name)}"><td><a href="#/topics" data-peek="${esc(t.name)}">${esc(t.name)}</a>${t.internal ? ' <span class="muted small">internal</span>' : ''}</td>` +
        `<td class="num">${t.partitions.length}</td><td class="num">${fmtInt(t.records)}</td><td class="num">${fmtBytes(t.sizeBytes)}</td>` +
        `<td class="small">${t.partitions.map((p) => `${p.partition}: ${fmtInt(p.logStartOffset)}…${fmtInt(p.endOffset)}`).join('<br>')}</td>` +
        `<td class="small">${t.groups.map((g) => `${esc(g.group)} <b>lag ${fmtInt(g.lag)}</b>`).join('<br>') || '<span class="muted">–</span>'}</td></tr>`,
    )
    .join('');
}

async function peek(topic: string): Promise<void> {
  selectedTopic = topic;
  byId('peek-title').textContent = `Latest records of ${topic}`;
  try {
    const res = await browser.fetch(`/api/topics/${encodeURIComponent(topic)}/records?limit=20`);
    const body = (await res.json()) as { records?: { partition: number; offset: number; timestamp: number; key: string | null; value: string | null }[] };
    if (selectedTopic !== topic) return;
    byId('peek').innerHTML = (body.records ?? [])
      .map((r) => `<tr><td class="num">${r.partition}</td><td class="num">${r.offset}</td><td class="num">${fmtTime(r.timestamp)}</td><td>${esc(r.key ?? '')}</td><td class="value">${esc(r.value ?? 'null')}</td></tr>`)
      .join('');
  } catch {
    byId('peek').innerHTML = '<tr><td colspan="5">could not load records</td></tr>';
  }
}

// ---- data feed -----------------------------------------------------------------------------

function accept(o: Overview): void {
  latest = o;
  updates++;
  render();
}

function connect(): void {
  const proto = browser.location.protocol === 'https:' ? 'wss' : 'ws';
  let ws: ReturnType<typeof open>;
  function open(): InstanceType<typeof browser.WebSocket> {
    return new browser.WebSocket(`${proto}://${browser.location.host}/ws`);
  }
  try {
    ws = open();
  } catch {
    poll();
    return;
  }
  ws.onmessage = (ev) => {
    try {
      accept(JSON.parse(String(ev.data)) as Overview);
    } catch {
      // A malformed push is skipped; the next one replaces it.
    }
  };
  ws.onclose = () => setTimeout(connect, 1000);
}

function poll(): void {
  browser
    .fetch('/api/overview')
    .then((r) => r.json())
    .then((o) => accept({ ...(o as Overview), at: Date.now() }))
    .catch(() => undefined)
    .finally(() => setTimeout(poll, 1000));
}

browser.addEventListener('hashchange', show);
byId('topics').addEventListener('click', (ev) => {
  const t = (ev.target as { dataset?: { peek?: string } }).dataset?.peek;
  if (t) void peek(t);
});
show();
connect();
