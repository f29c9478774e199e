// Nexmark q1, currency conversion: every bid with its price in euros (price * 0.908).
import type { NexmarkQuery } from '../query.js';
import { BID, type Bid } from '../model.js';
import { bids } from './common.js';

export class Q1Bid {
  constructor(
    readonly auction: number,
    readonly bidder: number,
    readonly price: number,
    readonly dateTime: number,
    readonly extra: string,
  ) {}
}

function convert(b: Bid): Q1Bid {
  return new Q1Bid(b.auction, b.bidder, 0.908 * b.price, b.dateTime, b.extra);
}

export const q1: NexmarkQuery<Q1Bid> = {
  name: 'q1',
  description: 'currency conversion (price * 0.908)',
  ordered: true,
  floorIsBound: false,
  build: (events) => bids(events).map(convert, 'q1-convert'),
  loop(events) {
    const out: Q1Bid[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind === BID) out.push(convert(e));
    }
    return out;
  },
  key: (b) => `${b.auction}/${b.bidder}/${b.price}/${b.dateTime}/${b.extra.length}`,
};
