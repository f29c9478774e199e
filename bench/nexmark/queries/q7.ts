// Nexmark q7, highest bid: per tumbling 10 s window, every bid whose price equals the
// window's highest price (bids in [start, end)). All bids share one key (the query is global),
// an incremental aggregate keeps the maximum and the bids that reach it.
import type { Collector } from '../../../src/engine/api/functions.js';
import type { AggregateFunction } from '../../../src/engine/state/types.js';
import { TumblingEventTimeWindows } from '../../../src/engine/windowing/assigners.js';
import type { ProcessWindowContext } from '../../../src/engine/windowing/window-function.js';
import type { TimeWindow } from '../../../src/engine/windowing/window.js';
import type { NexmarkQuery } from '../query.js';
import { BID, type Bid } from '../model.js';
import { bids, windowStart } from './common.js';

export const Q7_SIZE = 10_000;

export class Q7Out {
  constructor(
    readonly auction: number,
    readonly price: number,
    readonly bidder: number,
    readonly dateTime: number,
    readonly extra: string,
  ) {}
}

interface Highest {
  price: number;
  bids: Bid[];
}

function addBid(b: Bid, acc: Highest): Highest {
  if (b.price > acc.price) {
    acc.price = b.price;
    acc.bids = [b];
  } else if (b.price === acc.price) acc.bids.push(b);
  return acc;
}

const highestBids: AggregateFunction<Bid, Highest, Highest> = {
  createAccumulator: () => ({ price: -1, bids: [] }),
  add: addBid,
  merge: (a, b) => (a.price > b.price ? a : b.price > a.price ? b : { price: a.price, bids: [...a.bids, ...b.bids] }),
  getResult: (acc) => acc,
};

const toOut = (b: Bid): Q7Out => new Q7Out(b.auction, b.price, b.bidder, b.dateTime, b.extra);

export const q7: NexmarkQuery<Q7Out> = {
  name: 'q7',
  description: 'highest bid per tumbling 10 s window',
  ordered: false,
  floorIsBound: false,
  build(events) {
    return bids(events)
      .keyBy(() => 0)
      .window(TumblingEventTimeWindows.of(Q7_SIZE))
      .aggregate(
        highestBids,
        (_key: number, _ctx: ProcessWindowContext<TimeWindow>, results: readonly Highest[], out: Collector<Q7Out>) => {
          for (const h of results) for (const b of h.bids) out.collect(toOut(b));
        },
        { name: 'q7-highest' },
      );
  },
  loop(events) {
    const out: Q7Out[] = [];
    let start = Number.NaN;
    let acc: Highest = { price: -1, bids: [] };
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind !== BID) continue;
      const s = windowStart(e.dateTime, Q7_SIZE);
      if (s !== start) {
        for (const b of acc.bids) out.push(toOut(b));
        acc = { price: -1, bids: [] };
        start = s;
      }
      addBid(e, acc);
    }
    for (const b of acc.bids) out.push(toOut(b));
    return out;
  },
  key: (o) => `${o.dateTime}/${o.auction}/${o.bidder}/${o.price}/${o.extra.length}`,
};
