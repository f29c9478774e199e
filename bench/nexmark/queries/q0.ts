// Nexmark q0, pass-through: every event through one operator; measures the engine's fixed
// cost per record (source, batch hand-over, sink). Output order is the input order.
import type { NexmarkQuery } from '../query.js';
import { AUCTION, PERSON, type NexmarkEvent } from '../model.js';

export const q0: NexmarkQuery<NexmarkEvent> = {
  name: 'q0',
  description: 'pass-through',
  ordered: true,
  floorIsBound: false,
  build: (events) => events.map((e) => e, 'q0-pass-through'),
  loop(events) {
    const out: NexmarkEvent[] = [];
    for (let i = 0; i < events.length; i++) out.push(events[i] as NexmarkEvent);
    return out;
  },
  key: (e) =>
    e.kind === PERSON ? `P${e.id}` : e.kind === AUCTION ? `A${e.id}` : `B${e.auction}/${e.bidder}/${e.price}/${e.dateTime}/${e.extra.length}`,
};
