// The web UI's one HTML page with its stylesheet inline, kept as a TypeScript string so the
// normal `tsc` build ships it in dist/ with no copy step. The views are filled in by
// app/app.ts (served as /assets/app.js).
// Imports nothing.

const CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;color:#1f2328;background:#f6f8fa}
header{display:flex;align-items:center;gap:24px;padding:10px 20px;background:#24292f;color:#fff}
header h1{font-size:17px;margin:0;font-weight:600}nav a{color:#d0d7de;text-decoration:none;margin-right:16px;padding:4px 0}
nav a.active{color:#fff;border-bottom:2px solid #fd8c73}#updated{margin-left:auto;font-size:12px;color:#d0d7de}
main{padding:16px 20px;max-width:1400px;margin:0 auto}.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:14px 16px;margin-bottom:16px}
h2{font-size:15px;margin:0 0 10px}h3{font-size:13px;margin:12px 0 6px;color:#57606a;text-transform:uppercase;letter-spacing:.04em}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:16px;margin-bottom:16px}.kpi{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px}
.kpi .v{font-size:26px;font-weight:600}.kpi .l{color:#57606a;font-size:12px}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:16px}canvas{width:100%;height:240px;display:block}
.bar-row{display:grid;grid-template-columns:180px 1fr 110px;gap:8px;align-items:center;margin:3px 0}
.bar-label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-family:ui-monospace,monospace;font-size:12px}
.bar{background:#eaeef2;border-radius:3px;height:14px;overflow:hidden}.bar span{display:block;height:100%;background:#0969da}
.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#57606a}.small{font-size:12px}
table{border-collapse:collapse;width:100%}.grid th,.grid td{border-bottom:1px solid #eaeef2;padding:5px 8px;text-align:left;vertical-align:top}
.grid th{font-size:12px;color:#57606a;font-weight:600}.kv td{padding:3px 8px}.path{font-family:ui-monospace,monospace;font-size:12px}
.meter{display:inline-flex;width:120px;height:10px;background:#eaeef2;border-radius:3px;overflow:hidden}.meter .busy{background:#0969da}.meter .backpressured{background:#cf222e}
.bp{font-size:11px;padding:1px 6px;border-radius:10px;background:#dafbe1;color:#116329}.bp-low{background:#fff8c5;color:#7d4e00}.bp-high{background:#ffebe9;color:#a40e26}
.status{font-size:11px;padding:1px 6px;border-radius:10px;background:#ddf4ff;color:#0969da;font-weight:500}
.graph{overflow-x:auto;margin-bottom:12px}.node rect{fill:#fff;stroke:#0969da;stroke-width:1.5}.node-source rect{stroke:#1a7f37}.node-sink rect{stroke:#8250df}
.node.bp-high rect{fill:#ffebe9}.node.bp-low rect{fill:#fff8c5}.node text{font-size:12px}.node .name{font-weight:600}.node .rate{fill:#57606a;font-size:11px}
.edge{fill:none;stroke:#8c959f;stroke-width:1.5}.edge.side{stroke-dasharray:4 3;stroke:#cf222e}
.value{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
`;

export const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sluice</title><style>${CSS}</style></head>
<body>
<header><h1>Sluice</h1><nav><a href="#/" data-view="dashboard">Clickstream</a><a href="#/jobs" data-view="jobs">Job</a><a href="#/topics" data-view="topics">Topics</a></nav><span id="updated">connecting…</span></header>
<main>
<section id="view-dashboard">
  <p id="no-clickstream" class="muted" hidden>The clickstream job is not running (start it with <code>npm start</code>).</p>
  <div class="kpis">
    <div class="kpi"><div class="v" id="kpi-clicks">–</div><div class="l">clicks counted (last hour)</div></div>
    <div class="kpi"><div class="v" id="kpi-sessions">–</div><div class="l">sessions closed</div></div>
    <div class="kpi"><div class="v" id="kpi-conversion">–</div><div class="l">conversion: product view → checkout</div></div>
    <div class="kpi"><div class="v" id="kpi-late">–</div><div class="l">clicks too late (side output)</div></div>
  </div>
  <div class="card"><h2>Page views per minute</h2><canvas id="views-chart"></canvas></div>
  <div class="cols">
    <div class="card"><h2>Top pages <span class="muted small" id="top-pages-window"></span></h2><div id="top-pages"></div></div>
    <div class="card"><h2>Top products <span class="muted small" id="top-products-window"></span></h2><div id="top-products"></div></div>
  </div>
  <div class="cols">
    <div class="card"><h2>Funnel <span class="muted small" id="funnel-note"></span></h2><div id="funnel"></div></div>
    <div class="card"><h2>Most common paths</h2><table class="grid"><tbody id="paths"></tbody></table></div>
  </div>
</section>
<section id="view-jobs" hidden><div id="jobs"></div></section>
<section id="view-topics" hidden>
  <div class="card"><h2>Topics</h2><table class="grid"><thead><tr><th>topic</th><th>partitions</th><th>records</th><th>size</th><th>offsets (start…end)</th><th>consumer groups</th></tr></thead><tbody id="topics"></tbody></table></div>
  <div class="card"><h2 id="peek-title">Click a topic to see its latest records</h2><table class="grid"><thead><tr><th>partition</th><th>offset</th><th>time</th><th>key</th><th>value</th></tr></thead><tbody id="peek"></tbody></table></div>
</section>
</main>
<script type="module" src="/assets/app.js"></script>
</body></html>
`;
