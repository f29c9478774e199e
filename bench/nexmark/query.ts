// What one Nexmark query is for the benchmark and the test: how to build it on the engine,
// the hand-written plain loop that computes the same result over the same events, and how two
// results are compared (exactly where the order is defined, otherwise as multisets), so a
// speed figure can never come from skipping work.
// Imports the engine's DataStream type and model.ts.
import type { DataStream } from '../../src/engine/api/data-stream.js';
import type { NexmarkEvent } from './model.js';

export interface NexmarkQuery<OUT> {
  readonly name: string;
  readonly description: string;
  /** Adds the query to a stream of events that already carries event time and watermarks. */
  build(events: DataStream<NexmarkEvent>): DataStream<OUT>;
  /** The same result, computed by a plain TypeScript loop. */
  loop(events: readonly NexmarkEvent[]): OUT[];
  /**
   * Whether the event-time floor (loop + stamping pass, see runStampingPass in measure.ts)
   * bounds the engine's ratio to the loop: the loop reads no event time, and its work (read
   * each event, keep the few that match) is work any engine must also do. Not where the loop
   * reads event times itself (an engine does that once, in the stamping), nor for q0, whose
   * loop is mostly growing one output array, which an engine's sink does its own way.
   */
  readonly floorIsBound: boolean;
  /** Whether the engine's output order is defined (parallelism 1): then it must match exactly. */
  readonly ordered: boolean;
  /** Canonical string of one output record (the unit of comparison). */
  key(out: OUT): string;
  /** Optional: canonical form of a whole result when records alone are order-dependent (q4). */
  canonical?(outs: readonly OUT[]): string[];
}

/** undefined when equal; otherwise a short description of the first difference. */
export function compareResults<OUT>(q: NexmarkQuery<OUT>, engine: readonly OUT[], loop: readonly OUT[], ordered: boolean): string | undefined {
  let a: string[];
  let b: string[];
  if (q.canonical) {
    a = q.canonical(engine);
    b = q.canonical(loop);
  } else {
    a = engine.map((o) => q.key(o));
    b = loop.map((o) => q.key(o));
    if (!ordered) {
      a.sort();
      b.sort();
    }
  }
  if (a.length !== b.length) return `${q.name}: engine produced ${a.length} records, the loop ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return `${q.name}: record ${i} differs: engine ${a[i]} vs loop ${b[i]}`;
  }
  return undefined;
}
