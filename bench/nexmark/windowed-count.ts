// The windowed count compared with RxJS: bids per auction per tumbling 10 s event-time
// window. Three implementations over the same bids: the engine (keyBy, tumbling window,
// incremental count), a plain loop, and RxJS as a TypeScript developer writes it today
// (groupBy on the event-time window, closed by a duration selector when a later window's
// first bid arrives since events are in time order; then groupBy auction and count).
// Imports rxjs, the engine's public pieces and this folder.
import { count as rxCount, filter, from, groupBy, map, mergeMap, share } from 'rxjs';
import type { DataStream } from '../../src/engine/api/data-stream.js';
import { count } from '../../src/engine/aggregations/basic.js';
import { TumblingEventTimeWindows } from '../../src/engine/windowing/assigners.js';
import { BID, type Bid, type NexmarkEvent } from './model.js';
import { bids, windowStart } from './queries/common.js';

export const COUNT_WINDOW = 10_000;

export class WindowCount {
  constructor(
    readonly windowStart: number,
    readonly auction: number,
    readonly count: number,
  ) {}
}

export function windowCountKey(c: WindowCount): string {
  return `${c.windowStart}/${c.auction}/${c.count}`;
}

export function buildWindowedCount(events: DataStream<NexmarkEvent>): DataStream<WindowCount> {
  return bids(events)
    .keyBy((b) => b.auction)
    .window(TumblingEventTimeWindows.of(COUNT_WINDOW))
    .aggregate(count(), { name: 'count-per-auction' })
    .map((r) => new WindowCount(r.window.start, r.key, r.value), 'to-window-count');
}

export function windowedCountLoop(events: readonly NexmarkEvent[]): WindowCount[] {
  const out: WindowCount[] = [];
  let start = Number.NaN;
  let counts = new Map<number, number>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.kind !== BID) continue;
    const s = windowStart(e.dateTime, COUNT_WINDOW);
    if (s !== start) {
      for (const [a, n] of counts) out.push(new WindowCount(start, a, n));
      counts = new Map();
      start = s;
    }
    counts.set(e.auction, (counts.get(e.auction) ?? 0) + 1);
  }
  for (const [a, n] of counts) out.push(new WindowCount(start, a, n));
  return out;
}

/** Synchronous: `from(array)` emits everything before subscribe() returns. */
export function windowedCountRx(events: readonly NexmarkEvent[]): WindowCount[] {
  const out: WindowCount[] = [];
  const bids$ = from(events).pipe(
    filter((e): e is Bid => e.kind === BID),
    share(),
  );
  bids$
    .pipe(
      groupBy((b) => windowStart(b.dateTime, COUNT_WINDOW), {
        // A window is complete once a bid of a later window arrives (events are in time order).
        duration: (win) => bids$.pipe(filter((b) => b.dateTime >= win.key + COUNT_WINDOW)),
      }),
      mergeMap((win) =>
        win.pipe(
          groupBy((b) => b.auction),
          mergeMap((perAuction) => perAuction.pipe(rxCount(), map((n) => new WindowCount(win.key, perAuction.key, n)))),
        ),
      ),
    )
    .subscribe((c) => out.push(c));
  return out;
}
