// The Nexmark event generator, following the public specification (Tucker et al.) as the
// Apache Beam and nexmark-flink reference generators implement it: event n is a Person, an
// Auction or a Bid in the proportions 1:3:46 by n mod 50; person and auction ids derive from
// the event number (first ids 1000), sellers and bidders come from the last `activePeople`
// people, bids go to the last `inFlightAuctions` auctions, with "hot" auctions, bidders and
// sellers at the configured ratios; event time advances by the inter-event delay (100 us at the
// default 10,000 events/s). Each event draws from a PRNG seeded by (seed, event number), as the
// reference seeds java.util.Random by event id, so event n is the same whatever was generated
// before it: deterministic, replayable and splittable. The PRNG and string source differ from
// Java's, so values are not bit-identical to the Java generator; shapes and distributions are.
// Imports model.ts only.
import { Auction, Bid, Person, type NexmarkEvent } from './model.js';

export interface GeneratorConfig {
  readonly seed: number;
  /** Event time of event 0 (ms). A multiple of 10 s keeps window boundaries round. */
  readonly baseTime: number;
  /** Events per second of event time (the spec's firstEventRate); sets the inter-event delay. */
  readonly eventsPerSecond: number;
  readonly activePeople: number;
  readonly inFlightAuctions: number;
  /** 1 - 1/ratio of auctions are by a hot seller, bids to a hot auction / by a hot bidder. */
  readonly hotSellersRatio: number;
  readonly hotAuctionRatio: number;
  readonly hotBiddersRatio: number;
  readonly avgPersonByteSize: number;
  readonly avgAuctionByteSize: number;
  readonly avgBidByteSize: number;
}

export const DEFAULT_CONFIG: GeneratorConfig = {
  seed: 1,
  baseTime: 1_704_067_200_000, // 2024-01-01T00:00:00Z
  eventsPerSecond: 10_000,
  activePeople: 1000,
  inFlightAuctions: 100,
  hotSellersRatio: 4,
  hotAuctionRatio: 2,
  hotBiddersRatio: 4,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
};

export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const BID_PROPORTION = 46;
export const PROPORTION_DENOMINATOR = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;
export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
const NUM_CATEGORIES = 5;
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
/** Hot sellers/auctions/bidders are the first of each block of this many ids. */
const HOT_BLOCK = 100;
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
const HOT_CHANNELS_RATIO = 2;
const CHANNELS_NUMBER = 10_000;

export const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];

/** Base-0 id of the last person created at or before event `eventId`. */
export function lastBase0PersonId(eventId: number): number {
  const epoch = Math.floor(eventId / PROPORTION_DENOMINATOR);
  let offset = eventId % PROPORTION_DENOMINATOR;
  if (offset >= PERSON_PROPORTION) offset = PERSON_PROPORTION - 1;
  return epoch * PERSON_PROPORTION + offset;
}

/** Base-0 id of the last auction created at or before event `eventId` (-1 before the first). */
export function lastBase0AuctionId(eventId: number): number {
  let epoch = Math.floor(eventId / PROPORTION_DENOMINATOR);
  let offset = eventId % PROPORTION_DENOMINATOR;
  if (offset < PERSON_PROPORTION) {
    epoch--;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    offset = AUCTION_PROPORTION - 1;
  } else {
    offset -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + offset;
}

/** A small, fast PRNG (SplitMix32-style) re-seeded per event; one instance, no allocation. */
class EventRandom {
  private s = 0;
  reseed(seed: number, eventId: number): void {
    // Mix both words so neighbouring event ids give unrelated streams.
    let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(eventId | 0, 0xc2b2ae35) ^ Math.imul(Math.floor(eventId / 4294967296), 0x27d4eb2f);
    h ^= h >>> 16;
    this.s = h | 0;
  }
  /** Uniform 32-bit unsigned. */
  next32(): number {
    let z = (this.s = (this.s + 0x9e3779b9) | 0);
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  }
  /** [0, 1) with 53 random bits. */
  nextDouble(): number {
    return ((this.next32() >>> 5) * 67108864 + (this.next32() >>> 6)) / 9007199254740992;
  }
  /** [0, n) for n up to 2^53. */
  nextInt(n: number): number {
    return n <= 4294967296 ? Math.floor((this.next32() / 4294967296) * n) : Math.floor(this.nextDouble() * n);
  }
}

/** Letters with a sprinkling of spaces, as the reference's random strings; sliced, never copied. */
function makeStringPool(seed: number, length: number): string {
  const r = new EventRandom();
  r.reseed(seed, -1);
  const chars: string[] = new Array<string>(length);
  for (let i = 0; i < length; i++) {
    const x = r.nextInt(27);
    chars[i] = x === 26 ? ' ' : String.fromCharCode(97 + x);
  }
  return chars.join('');
}

export class NexmarkGenerator {
  readonly config: GeneratorConfig;
  private readonly r = new EventRandom();
  private readonly pool: string;
  private readonly interEventDelayUs: number;
  private readonly hotUrls: string[];
  private readonly channelUrls = new Map<number, string>();

  constructor(config: Partial<GeneratorConfig> = {}) {
    this.config = { ...DEFAULT_CONFIG, ...config };
    if (!(this.config.eventsPerSecond > 0)) throw new RangeError('eventsPerSecond must be positive');
    this.interEventDelayUs = 1_000_000 / this.config.eventsPerSecond;
    this.pool = makeStringPool(this.config.seed, 1 << 16);
    this.r.reseed(this.config.seed, -2);
    this.hotUrls = HOT_CHANNELS.map(() => this.baseUrl());
  }

  /** Event time of event number n. */
  timestampOf(n: number): number {
    return this.config.baseTime + Math.floor((n * this.interEventDelayUs) / 1000);
  }

  /** Event number n (0-based). Independent of any other call. */
  event(n: number): NexmarkEvent {
    const r = this.r;
    r.reseed(this.config.seed, n);
    const ts = this.timestampOf(n);
    const rem = n % PROPORTION_DENOMINATOR;
    if (rem < PERSON_PROPORTION) return this.person(n, ts);
    if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) return this.auction(n, ts);
    return this.bid(n, ts);
  }

  /** Events [from, from + count). */
  events(count: number, from = 0): NexmarkEvent[] {
    const out = new Array<NexmarkEvent>(count);
    for (let i = 0; i < count; i++) out[i] = this.event(from + i);
    return out;
  }

  private person(n: number, ts: number): Person {
    const r = this.r;
    const id = lastBase0PersonId(n) + FIRST_PERSON_ID;
    const name = `${FIRST_NAMES[r.nextInt(FIRST_NAMES.length)]} ${LAST_NAMES[r.nextInt(LAST_NAMES.length)]}`;
    const email = `${this.nextString(7)}@${this.nextString(5)}.com`;
    const cc = `${this.digits4()} ${this.digits4()} ${this.digits4()} ${this.digits4()}`;
    const city = US_CITIES[r.nextInt(US_CITIES.length)] as string;
    const state = US_STATES[r.nextInt(US_STATES.length)] as string;
    const size = 8 + name.length + email.length + cc.length + city.length + state.length;
    return new Person(id, name, email, cc, city, state, ts, this.nextExtra(size, this.config.avgPersonByteSize));
  }

  private auction(n: number, ts: number): Auction {
    const r = this.r;
    const c = this.config;
    const id = lastBase0AuctionId(n) + FIRST_AUCTION_ID;
    const seller =
      (r.nextInt(c.hotSellersRatio) > 0 ? Math.floor(lastBase0PersonId(n) / HOT_BLOCK) * HOT_BLOCK : this.nextBase0PersonId(n)) + FIRST_PERSON_ID;
    const category = FIRST_CATEGORY_ID + r.nextInt(NUM_CATEGORIES);
    const initialBid = this.nextPrice();
    const expires = ts + this.nextAuctionLengthMs(n, ts);
    const itemName = this.nextString(20);
    const description = this.nextString(100);
    const reserve = initialBid + this.nextPrice();
    const size = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
    return new Auction(id, itemName, description, initialBid, reserve, ts, expires, seller, category, this.nextExtra(size, c.avgAuctionByteSize));
  }

  private bid(n: number, ts: number): Bid {
    const r = this.r;
    const c = this.config;
    const auction =
      (r.nextInt(c.hotAuctionRatio) > 0 ? Math.floor(lastBase0AuctionId(n) / HOT_BLOCK) * HOT_BLOCK : this.nextBase0AuctionId(n)) + FIRST_AUCTION_ID;
    const bidder =
      (r.nextInt(c.hotBiddersRatio) > 0 ? Math.floor(lastBase0PersonId(n) / HOT_BLOCK) * HOT_BLOCK + 1 : this.nextBase0PersonId(n)) + FIRST_PERSON_ID;
    const price = this.nextPrice();
    let channel: string;
    let url: string;
    if (r.nextInt(HOT_CHANNELS_RATIO) > 0) {
      const i = r.nextInt(HOT_CHANNELS.length);
      channel = HOT_CHANNELS[i] as string;
      url = this.hotUrls[i] as string;
    } else {
      const k = r.nextInt(CHANNELS_NUMBER);
      channel = `channel-${k}`;
      url = this.channelUrl(k);
    }
    const size = 8 + 8 + 8 + 8;
    return new Bid(auction, bidder, price, channel, url, ts, this.nextExtra(size, c.avgBidByteSize));
  }

  /** A person among the last activePeople (plus a few not created yet). */
  private nextBase0PersonId(n: number): number {
    const numPeople = lastBase0PersonId(n) + 1;
    const active = Math.min(numPeople, this.config.activePeople);
    return numPeople - active + this.r.nextInt(active + PERSON_ID_LEAD);
  }

  /** An auction among the last inFlightAuctions (plus a few not created yet). */
  private nextBase0AuctionId(n: number): number {
    const max = lastBase0AuctionId(n);
    const min = Math.max(max - this.config.inFlightAuctions, 0);
    return min + this.r.nextInt(max - min + 1 + AUCTION_ID_LEAD);
  }

  /** Lengths average the time until inFlightAuctions more auctions exist. */
  private nextAuctionLengthMs(n: number, ts: number): number {
    const eventsForAuctions = Math.floor((this.config.inFlightAuctions * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION);
    const horizonMs = this.timestampOf(n + eventsForAuctions) - ts;
    return 1 + this.r.nextInt(Math.max(horizonMs * 2, 1));
  }

  /** Cents, log-uniform between $1 and $1,000,000 as in the reference. */
  private nextPrice(): number {
    return Math.round(Math.pow(10, this.r.nextDouble() * 6) * 100);
  }

  private nextString(maxLength: number): string {
    return this.slice(3 + this.r.nextInt(maxLength - 3));
  }

  /** Padding so records average the configured byte size (+-20 %). */
  private nextExtra(currentSize: number, desiredAverageSize: number): string {
    if (currentSize > desiredAverageSize) return '';
    const desired = desiredAverageSize - currentSize;
    const delta = Math.round(desired * 0.2);
    const len = desired - delta + (delta > 0 ? this.r.nextInt(2 * delta) : 0);
    return this.slice(len);
  }

  private slice(len: number): string {
    const start = this.r.nextInt(this.pool.length - len);
    return this.pool.substring(start, start + len);
  }

  private digits4(): string {
    return String(this.r.nextInt(10000)).padStart(4, '0');
  }

  private baseUrl(): string {
    return `https://www.nexmark.com/${this.nextString(5)}/${this.nextString(5)}/${this.nextString(5)}/item.htm?query=1`;
  }

  /** One url per channel number, derived from the number alone (the reference caches them too). */
  private channelUrl(k: number): string {
    let u = this.channelUrls.get(k);
    if (u === undefined) {
      const saved = new EventRandom();
      saved.reseed(this.config.seed ^ 0x5bd1e995, k);
      const s = (len: number): string => {
        const st = saved.nextInt(this.pool.length - len);
        return this.pool.substring(st, st + len);
      };
      u = `https://www.nexmark.com/${s(5)}/${s(5)}/${s(5)}/item.htm?query=1`;
      if (saved.nextInt(10) > 0) u += `&channel_id=${Math.abs(reverseBits32(k))}`;
      this.channelUrls.set(k, u);
    }
    return u;
  }
}

function reverseBits32(x: number): number {
  let r = 0;
  for (let i = 0; i < 32; i++) {
    r = (r << 1) | (x & 1);
    x >>>= 1;
  }
  return r | 0;
}
