// Nexmark q4, average selling price by category: each auction's winning bid is the highest
// bid made within the auction's lifetime [dateTime, expires]; the running average of winning
// prices is emitted per category as each auction closes. Stage 1 joins auctions and bids
// keyed by auction id (keyed co-process, the auction in state, an event-time timer at the
// first full second after its expiry emits the winner); stage 2 keeps (sum, count) per
// category. Which of two auctions of one category that close together is averaged first is
// not defined, so results are compared as the multiset of winners plus the final average per
// category.
import type { Collector, KeyedCoProcessFunction, KeyedProcessFunction, KeyedProcessContext, KeyedRuntimeContext, OnTimerContext } from '../../../src/engine/api/functions.js';
import { listStateDescriptor, valueStateDescriptor } from '../../../src/engine/state/descriptors.js';
import type { ListState, ValueState } from '../../../src/engine/state/types.js';
import type { NexmarkQuery } from '../query.js';
import { AUCTION, BID, type Auction, type Bid } from '../model.js';
import { auctions, bids } from './common.js';

/** One closed auction's winning price, with the category's running average after it. */
export class Q4Out {
  constructor(
    readonly category: number,
    readonly average: number,
    readonly count: number,
    readonly auction: number,
    readonly final: number,
  ) {}
}

export class Winner {
  constructor(
    readonly auction: number,
    readonly category: number,
    readonly final: number,
  ) {}
}

interface OpenAuction {
  category: number;
  start: number;
  expires: number;
  /** Highest bid so far; -1: none yet. */
  max: number;
  /** Closed and reported; kept briefly so bids arriving after the close are dropped at once. */
  closed: boolean;
}

/** How long (event time) a closed auction's tombstone stays. */
const TOMBSTONE_MS = 1000;

/**
 * Timers are coalesced to the next full second of event time, as Flink's documentation
 * advises for per-key timers: auctions closing within one second share a timer time (one
 * bucket in the timer service, not a heap entry each). The hand-written loop closes auctions
 * at the same granularity (a sweep per second); which auctions win, and at what price, does
 * not depend on it.
 */
function coalesced(time: number): number {
  return Math.ceil(time / 1000) * 1000;
}

/**
 * Bids may reach the join before their auction (another source partition read ahead, or a
 * bid in the same millisecond ahead of the auction), so a bid without its auction waits in
 * state, as [dateTime, price] pairs, until the watermark passes its time: by then any auction
 * it could belong to (dateTime <= the bid's) has arrived.
 */
class WinningBids implements KeyedCoProcessFunction<number, Auction, Bid, Winner> {
  private auction!: ValueState<OpenAuction>;
  private early!: ListState<number>;
  open(ctx: KeyedRuntimeContext): void {
    this.auction = ctx.getState(valueStateDescriptor<OpenAuction>('auction'));
    this.early = ctx.getListState(listStateDescriptor<number>('early-bids'));
  }
  processElement1(a: Auction, ctx: KeyedProcessContext<number>): void {
    const s: OpenAuction = { category: a.category, start: a.dateTime, expires: a.expires, max: -1, closed: false };
    const early = this.early.get();
    if (early.length > 0) {
      for (let i = 0; i < early.length; i += 2) {
        const ts = early[i] as number;
        const price = early[i + 1] as number;
        if (ts >= s.start && ts <= s.expires && price > s.max) s.max = price;
      }
      this.early.clear();
    }
    this.auction.update(s);
    ctx.timerService.registerEventTimeTimer(coalesced(a.expires));
  }
  processElement2(b: Bid, ctx: KeyedProcessContext<number>): void {
    const s = this.auction.value();
    if (s === undefined) {
      this.early.add(b.dateTime);
      this.early.add(b.price);
      ctx.timerService.registerEventTimeTimer(coalesced(b.dateTime));
      return;
    }
    if (s.closed || b.dateTime < s.start || b.dateTime > s.expires || b.price <= s.max) return;
    s.max = b.price;
    this.auction.update(s);
  }
  onTimer(ts: number, ctx: OnTimerContext<number>, out: Collector<Winner>): void {
    const s = this.auction.value();
    if (s === undefined) {
      // Early bids whose time has passed without their auction can never match.
      const early = this.early.get();
      const keep: number[] = [];
      for (let i = 0; i < early.length; i += 2) if ((early[i] as number) > ts) keep.push(early[i] as number, early[i + 1] as number);
      if (keep.length === 0) this.early.clear();
      else this.early.update(keep);
      return;
    }
    if (!s.closed && ts >= s.expires) {
      if (s.max >= 0) out.collect(new Winner(ctx.getCurrentKey(), s.category, s.max));
      s.closed = true;
      this.auction.update(s);
      ctx.timerService.registerEventTimeTimer(coalesced(s.expires + TOMBSTONE_MS));
    } else if (s.closed && ts >= s.expires + TOMBSTONE_MS) {
      this.auction.clear();
    }
  }
}

interface SumCount {
  sum: number;
  count: number;
}

class CategoryAverage implements KeyedProcessFunction<number, Winner, Q4Out> {
  private s!: ValueState<SumCount>;
  open(ctx: KeyedRuntimeContext): void {
    this.s = ctx.getState(valueStateDescriptor<SumCount>('sum-count'));
  }
  processElement(w: Winner, _ctx: KeyedProcessContext<number>, out: Collector<Q4Out>): void {
    const s = this.s.value() ?? { sum: 0, count: 0 };
    s.sum += w.final;
    s.count++;
    this.s.update(s);
    out.collect(new Q4Out(w.category, s.sum / s.count, s.count, w.auction, w.final));
  }
}

function closeAuction(perCategory: Map<number, SumCount>, w: Winner): Q4Out {
  let s = perCategory.get(w.category);
  if (s === undefined) perCategory.set(w.category, (s = { sum: 0, count: 0 }));
  s.sum += w.final;
  s.count++;
  return new Q4Out(w.category, s.sum / s.count, s.count, w.auction, w.final);
}

export const q4: NexmarkQuery<Q4Out> = {
  name: 'q4',
  description: 'average selling price by category (auction/bid join within lifetime, max per auction, average per category)',
  ordered: false,
  floorIsBound: false,
  build(events) {
    const a = auctions(events).keyBy((x) => x.id);
    const b = bids(events).keyBy((x) => x.auction);
    const winners = a.connect(b).process(new WinningBids(), 'q4-winning-bids');
    return winners.keyBy((w) => w.category).process(new CategoryAverage(), 'q4-average');
  },
  loop(events) {
    const out: Q4Out[] = [];
    const open = new Map<number, OpenAuction>();
    // Bids seen before their auction, by auction id: [dateTime, price, ...]. Events come in
    // time order, so only those in the auction's own millisecond can still fall in its lifetime.
    const early = new Map<number, number[]>();
    const perCategory = new Map<number, SumCount>();
    let nextSweep = Number.NEGATIVE_INFINITY;
    const close = (id: number, s: OpenAuction): void => {
      if (s.max >= 0) out.push(closeAuction(perCategory, new Winner(id, s.category, s.max)));
    };
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind === BID) {
        const s = open.get(e.auction);
        if (s === undefined) {
          const list = early.get(e.auction);
          if (list === undefined) early.set(e.auction, [e.dateTime, e.price]);
          else list.push(e.dateTime, e.price);
        } else if (e.dateTime >= s.start && e.dateTime <= s.expires && e.price > s.max) s.max = e.price;
      } else if (e.kind === AUCTION) {
        const s: OpenAuction = { category: e.category, start: e.dateTime, expires: e.expires, max: -1, closed: false };
        const list = early.get(e.id);
        if (list !== undefined) {
          for (let j = 0; j < list.length; j += 2) if (list[j]! >= s.start && list[j + 1]! > s.max) s.max = list[j + 1]!;
          early.delete(e.id);
        }
        open.set(e.id, s);
      }
      // An auction that expired before this event can win no more bids; early bids older
      // than this event can meet no auction any more.
      if (e.dateTime >= nextSweep) {
        for (const [id, s] of open) {
          if (s.expires < e.dateTime) {
            close(id, s);
            open.delete(id);
          }
        }
        for (const [id, list] of early) if (list[list.length - 2]! < e.dateTime) early.delete(id);
        nextSweep = e.dateTime + 1000;
      }
    }
    for (const [id, s] of open) close(id, s);
    return out;
  },
  key: (o) => `${o.auction}/${o.category}/${o.final}`,
  canonical(outs) {
    const winners = outs.map((o) => `W ${o.auction}/${o.category}/${o.final}`).sort();
    const last = new Map<number, Q4Out>();
    for (const o of outs) {
      const l = last.get(o.category);
      if (l === undefined || o.count > l.count) last.set(o.category, o);
    }
    const finals = [...last.values()].map((o) => `C ${o.category}/${o.count}/${o.average}`).sort();
    return [...winners, ...finals];
  },
};
