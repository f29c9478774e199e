// Small helpers the query files share: narrowing filters (the engine's filter keeps the
// element type, Nexmark queries narrow the event union) and window arithmetic identical to
// the engine's assigners, for the hand-written loops.
// Imports the engine's DataStream type and ../model.ts.
import type { DataStream } from '../../../src/engine/api/data-stream.js';
import { AUCTION, BID, PERSON, type Auction, type Bid, type NexmarkEvent, type Person } from '../model.js';

export function bids(events: DataStream<NexmarkEvent>): DataStream<Bid> {
  return events.filter((e) => e.kind === BID, 'bids') as unknown as DataStream<Bid>;
}
export function auctions(events: DataStream<NexmarkEvent>, pred?: (a: Auction) => boolean): DataStream<Auction> {
  const p = pred;
  return (p === undefined
    ? events.filter((e) => e.kind === AUCTION, 'auctions')
    : events.filter((e) => e.kind === AUCTION && p(e), 'auctions')) as unknown as DataStream<Auction>;
}
export function persons(events: DataStream<NexmarkEvent>, pred?: (p: Person) => boolean): DataStream<Person> {
  const p = pred;
  return (p === undefined
    ? events.filter((e) => e.kind === PERSON, 'persons')
    : events.filter((e) => e.kind === PERSON && p(e), 'persons')) as unknown as DataStream<Person>;
}

/** Start of the window of `size` ms (aligned to the epoch) that holds `ts`. */
export function windowStart(ts: number, size: number): number {
  return ts - (((ts % size) + size) % size);
}
