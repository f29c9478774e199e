// Nexmark q5, hot items: for every sliding window of 10 s advancing by 2 s, the auction(s)
// with the most bids. Stage 1 counts bids per auction per window (keyed sliding window with
// an incremental count); stage 2, keyed by window, keeps the maximum and the auctions that
// reach it and emits them when the watermark passes the window's end (a timer at the
// window's max timestamp, which is the timestamp stage 1 gives its results).
import type { Collector, KeyedProcessContext, KeyedProcessFunction, KeyedRuntimeContext, OnTimerContext } from '../../../src/engine/api/functions.js';
import { count } from '../../../src/engine/aggregations/basic.js';
import { valueStateDescriptor } from '../../../src/engine/state/descriptors.js';
import type { ValueState } from '../../../src/engine/state/types.js';
import { SlidingEventTimeWindows } from '../../../src/engine/windowing/assigners.js';
import type { WindowResult } from '../../../src/engine/windowing/window-function.js';
import type { NexmarkQuery } from '../query.js';
import { BID } from '../model.js';
import { bids, windowStart } from './common.js';

export const Q5_SIZE = 10_000;
export const Q5_SLIDE = 2_000;

export class Q5Out {
  constructor(
    readonly auction: number,
    readonly num: number,
    readonly windowStart: number,
  ) {}
}

interface Hottest {
  max: number;
  auctions: number[];
}

class HottestPerWindow implements KeyedProcessFunction<number, WindowResult<number, number>, Q5Out> {
  private s!: ValueState<Hottest>;
  open(ctx: KeyedRuntimeContext): void {
    this.s = ctx.getState(valueStateDescriptor<Hottest>('hottest'));
  }
  processElement(r: WindowResult<number, number>, ctx: KeyedProcessContext<number>): void {
    const s = this.s.value();
    if (s === undefined) {
      this.s.update({ max: r.value, auctions: [r.key] });
      ctx.timerService.registerEventTimeTimer(r.window.end - 1);
      return;
    }
    if (r.value > s.max) {
      s.max = r.value;
      s.auctions = [r.key];
    } else if (r.value === s.max) s.auctions.push(r.key);
    else return;
    this.s.update(s);
  }
  onTimer(_ts: number, ctx: OnTimerContext<number>, out: Collector<Q5Out>): void {
    const s = this.s.value();
    if (s === undefined) return;
    const start = ctx.getCurrentKey() - Q5_SIZE;
    for (const a of s.auctions) out.collect(new Q5Out(a, s.max, start));
    this.s.clear();
  }
}

/** The loop's window bookkeeping: counts per auction for every open window start. */
function emitHottest(counts: Map<number, number>, start: number, out: Q5Out[]): void {
  let max = 0;
  for (const n of counts.values()) if (n > max) max = n;
  for (const [a, n] of counts) if (n === max) out.push(new Q5Out(a, n, start));
}

export const q5: NexmarkQuery<Q5Out> = {
  name: 'q5',
  description: 'hot items (sliding window 10 s every 2 s, auctions with the most bids)',
  ordered: false,
  floorIsBound: false,
  build(events) {
    // Only the auction id (and the record's timestamp, which travels with it) is needed past
    // the filter: projecting before the shuffle is what Flink's planner does for this query.
    return bids(events)
      .map((b) => b.auction, 'q5-project')
      .keyBy((a) => a)
      .window(SlidingEventTimeWindows.of(Q5_SIZE, Q5_SLIDE))
      .aggregate(count(), { name: 'q5-count' })
      .keyBy((r) => r.window.end)
      .process(new HottestPerWindow(), 'q5-hottest');
  },
  loop(events) {
    const out: Q5Out[] = [];
    // window start -> (auction -> bids); windows close once event time reaches their end.
    const windows = new Map<number, Map<number, number>>();
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind !== BID) continue;
      const ts = e.dateTime;
      for (const [start, counts] of windows) {
        if (start + Q5_SIZE > ts) break;
        emitHottest(counts, start, out);
        windows.delete(start);
      }
      for (let start = windowStart(ts, Q5_SLIDE) - Q5_SIZE + Q5_SLIDE; start <= ts; start += Q5_SLIDE) {
        let counts = windows.get(start);
        if (counts === undefined) windows.set(start, (counts = new Map()));
        counts.set(e.auction, (counts.get(e.auction) ?? 0) + 1);
      }
    }
    for (const [start, counts] of windows) emitHottest(counts, start, out);
    return out;
  },
  key: (o) => `${o.windowStart}/${o.auction}/${o.num}`,
};
