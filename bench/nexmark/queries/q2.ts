// Nexmark q2, selection: (auction, price) of the bids whose auction id is a multiple of 123.
import type { NexmarkQuery } from '../query.js';
import { BID } from '../model.js';
import { bids } from './common.js';

export class Q2Out {
  constructor(
    readonly auction: number,
    readonly price: number,
  ) {}
}

export const q2: NexmarkQuery<Q2Out> = {
  name: 'q2',
  description: 'selection (auction % 123 == 0)',
  ordered: true,
  floorIsBound: true,
  build: (events) =>
    bids(events)
      .filter((b) => b.auction % 123 === 0, 'q2-select')
      .map((b) => new Q2Out(b.auction, b.price), 'q2-project'),
  loop(events) {
    const out: Q2Out[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind === BID && e.auction % 123 === 0) out.push(new Q2Out(e.auction, e.price));
    }
    return out;
  },
  key: (o) => `${o.auction}/${o.price}`,
};
