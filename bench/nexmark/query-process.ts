// One query's measurement in a process of its own; main.ts starts one per query, as JMH forks
// one JVM per benchmark. In one process shared by all queries, the engine code a query reuses
// (the window operator, keyed state, timers) carries the type feedback and heap that the queries
// before it left: q7's engine ran 1.3-1.9x slower there than alone, and how much depended
// on what ran first. A deployed job has its process to itself, and so does each query here.
//   node --import tsx bench/nexmark/query-process.ts <query> <events> <runs>
// Generates the events (not measured), warms up with one full run of every configuration, then
// `runs` rounds of: the loop, the stamping pass (measure.ts, runStampingPass), the engine
// without and with checkpoints. Each engine result is checked against the loop's. Prints one
// JSON object, a QueryMeasurement, as its last line on stdout.
// Imports this folder.
import { NexmarkGenerator } from './generator.js';
import { QUERIES } from './queries/index.js';
import { compareResults } from './query.js';
import { runLoop, runQueryOnEngine, runStampingPass } from './measure.js';

/** What the parent reports: CPU ms per run of each configuration, and any mismatch. */
export interface QueryMeasurement {
  name: string;
  description: string;
  loopMs: number[];
  /** The stamping pass alone (see runStampingPass). */
  stampingMs: number[];
  /** Whether loop + stamping pass bounds the engine (NexmarkQuery.floorIsBound). */
  floorIsBound: boolean;
  engineMs: number[];
  withCheckpointsMs: number[];
  checkpoints: number;
  results: number;
  mismatches: string[];
}

const CHECKPOINT_EVERY_MS = 10_000;

const [name, eventsArg, runsArg] = process.argv.slice(2);
const q = QUERIES.find((x) => x.name === name);
const n = Number(eventsArg);
const runs = Number(runsArg);
if (q === undefined || !(n > 0) || !(runs > 0)) {
  console.error(`usage: query-process.ts <${QUERIES.map((x) => x.name).join('|')}> <events> <runs>`);
  process.exit(2);
}
const events = new NexmarkGenerator().events(n);
const m: QueryMeasurement = {
  name: q.name,
  description: q.description,
  loopMs: [],
  stampingMs: [],
  floorIsBound: q.floorIsBound,
  engineMs: [],
  withCheckpointsMs: [],
  checkpoints: 0,
  results: 0,
  mismatches: [],
};
const check = (what: string, engine: readonly unknown[], loop: readonly unknown[], full: boolean): void => {
  // The first measured round compares whole results; later rounds at least their sizes.
  const diff = full ? compareResults(q, engine, loop, q.ordered) : engine.length === loop.length ? undefined : `${engine.length} vs ${loop.length} records`;
  if (diff !== undefined) m.mismatches.push(`${what}: ${diff}`);
};

// Warm-up, as a JMH warm-up iteration: the figures are the steady state of a long-running
// job. The engine's code runs once per batch, so V8 optimizes it later than a loop's.
runLoop((e) => q.loop(e), events);
runStampingPass(events);
await runQueryOnEngine(q, events);
await runQueryOnEngine(q, events, { checkpointEveryMs: CHECKPOINT_EVERY_MS });

for (let r = 0; r < runs; r++) {
  const l = runLoop((e) => q.loop(e), events);
  m.loopMs.push(l.cpuMs);
  m.results = l.outputs.length;
  m.stampingMs.push(runStampingPass(events).cpuMs);
  const e = await runQueryOnEngine(q, events);
  m.engineMs.push(e.cpuMs);
  check(`${q.name} (no checkpoints) run ${r}`, e.outputs, l.outputs, r === 0);
  const c = await runQueryOnEngine(q, events, { checkpointEveryMs: CHECKPOINT_EVERY_MS });
  m.withCheckpointsMs.push(c.cpuMs);
  m.checkpoints = c.checkpoints;
  check(`${q.name} (checkpoints) run ${r}`, c.outputs, l.outputs, r === 0);
}
console.log(JSON.stringify(m));
