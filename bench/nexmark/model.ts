// The three Nexmark event types (Person, Auction, Bid) with the fields the specification
// names, as classes so every record of one type shares one hidden class (monomorphic access
// in the queries' hot loops). `kind` discriminates the union the generator emits.
// Imports nothing.

export const PERSON = 0;
export const AUCTION = 1;
export const BID = 2;

export class Person {
  readonly kind = PERSON;
  constructor(
    readonly id: number,
    readonly name: string,
    readonly emailAddress: string,
    readonly creditCard: string,
    readonly city: string,
    readonly state: string,
    /** Event time, ms since the epoch. */
    readonly dateTime: number,
    readonly extra: string,
  ) {}
}

export class Auction {
  readonly kind = AUCTION;
  constructor(
    readonly id: number,
    readonly itemName: string,
    readonly description: string,
    /** Prices are whole cents. */
    readonly initialBid: number,
    readonly reserve: number,
    readonly dateTime: number,
    /** End of the auction's lifetime (event time, ms). */
    readonly expires: number,
    readonly seller: number,
    readonly category: number,
    readonly extra: string,
  ) {}
}

export class Bid {
  readonly kind = BID;
  constructor(
    readonly auction: number,
    readonly bidder: number,
    /** Whole cents. */
    readonly price: number,
    readonly channel: string,
    readonly url: string,
    readonly dateTime: number,
    readonly extra: string,
  ) {}
}

export type NexmarkEvent = Person | Auction | Bid;

export function isBid(e: NexmarkEvent): e is Bid {
  return e.kind === BID;
}
export function isAuction(e: NexmarkEvent): e is Auction {
  return e.kind === AUCTION;
}
export function isPerson(e: NexmarkEvent): e is Person {
  return e.kind === PERSON;
}
