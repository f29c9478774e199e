// A simulated e-commerce website: users start sessions (a Poisson process in event time),
// walk a funnel home -> category -> product -> cart -> checkout with drop-off at every step,
// and products and categories are picked with a Zipf-like skew. Each click reaches the
// pipeline after a network delay: most arrive a little out of order (less than the watermark
// delay, so never late), a few arrive late, some within the allowed lateness and some beyond
// it. Events come out in ARRIVAL order, which is the order a single-partition topic stores
// them in. Deterministic for a seed; event time is simulated (independent of the wall clock),
// so a test can replay hours of traffic in seconds and a live producer paces it to a rate.
// May import nothing from src/ (the reference computation must stay independent of Sluice).

export type PageType = 'home' | 'category' | 'product' | 'cart' | 'checkout';

export interface ClickEvent {
  readonly userId: string;
  readonly sessionId: string;
  readonly url: string;
  readonly page: PageType;
  readonly productId?: string;
  readonly referrer: string;
  /** Event time, ms since the epoch. */
  readonly ts: number;
}

export interface GeneratorOptions {
  readonly seed?: number;
  /** Event time of the first session (default 2024-01-01T00:00:00Z). */
  readonly startTime?: number;
  readonly users?: number;
  readonly products?: number;
  readonly categories?: number;
  /** New sessions per simulated minute (default 120). */
  readonly sessionsPerMinute?: number;
  /** Largest delay of an on-time click; keep it below the pipeline's watermark delay (default 4 s). */
  readonly maxJitterMs?: number;
  /** Share of clicks that arrive late (default 0.03). */
  readonly lateFraction?: number;
  /** The pipeline's allowed lateness and watermark delay: late clicks are kept clear of the drop boundary. */
  readonly allowedLatenessMs?: number;
  readonly watermarkDelayMs?: number;
  readonly windowMs?: number;
}

export const CLICKSTREAM_DEFAULTS = {
  startTime: Date.UTC(2024, 0, 1),
  users: 5000,
  products: 400,
  categories: 16,
  sessionsPerMinute: 120,
  maxJitterMs: 4000,
  lateFraction: 0.03,
  allowedLatenessMs: 60_000,
  watermarkDelayMs: 5000,
  windowMs: 60_000,
  sessionGapMs: 30 * 60_000,
} as const;

const REFERRERS = ['https://www.google.com/', 'https://www.bing.com/', 'https://www.facebook.com/', 'https://t.co/', 'https://news.example/', 'direct', 'email:newsletter'];
const REFERRER_WEIGHTS = [40, 8, 12, 6, 4, 22, 8];
/** Longest think time between two clicks of a session: far below the 30 min session gap. */
const MAX_THINK_MS = 4 * 60_000;
const MAX_CLICKS_PER_SESSION = 24;
/** Late clicks stay this far from the point where they would be dropped, so batching cannot change the outcome. */
const DROP_BOUNDARY_MARGIN_MS = 30_000;

/** mulberry32: small, fast, good enough for simulation, and the same on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Samples 0..n-1 with probability proportional to 1/(k+1)^s. */
class Zipf {
  private readonly cdf: Float64Array;
  constructor(n: number, s: number) {
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) this.cdf[k] = total += 1 / Math.pow(k + 1, s);
    for (let k = 0; k < n; k++) this.cdf[k] = this.cdf[k]! / total;
  }
  sample(u: number): number {
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface Pending {
  readonly event: ClickEvent;
  readonly arrival: number;
  readonly seq: number;
}

/** A binary min-heap on (arrival, seq): arrival order with a deterministic tie-break. */
class ArrivalQueue {
  private readonly items: Pending[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Pending | undefined {
    return this.items[0];
  }
  push(p: Pending): void {
    const a = this.items;
    a.push(p);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  pop(): Pending | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(x: Pending, y: Pending): boolean {
  return x.arrival < y.arrival || (x.arrival === y.arrival && x.seq < y.seq);
}

export class ClickstreamGenerator {
  private readonly rnd: () => number;
  private readonly o: Required<GeneratorOptions>;
  private readonly productZipf: Zipf;
  private readonly categoryZipf: Zipf;
  private readonly queue = new ArrivalQueue();
  private nextSessionStart: number;
  private sessionCount = 0;
  private seq = 0;
  /** Arrival time of the click last returned by next(): the simulated "now". */
  now: number;

  constructor(options: GeneratorOptions = {}) {
    this.o = { ...CLICKSTREAM_DEFAULTS, seed: 1, ...options } as Required<GeneratorOptions>;
    if (this.o.maxJitterMs >= this.o.watermarkDelayMs) throw new RangeError('maxJitterMs must be below watermarkDelayMs, or on-time clicks would be late');
    this.rnd = seededRandom(this.o.seed);
    this.productZipf = new Zipf(this.o.products, 1.1);
    this.categoryZipf = new Zipf(this.o.categories, 0.9);
    this.nextSessionStart = this.o.startTime;
    this.now = this.o.startTime;
  }

  /** The next click in arrival order (the stream never ends). */
  next(): ClickEvent {
    // A session starting later cannot produce a click arriving earlier than its start.
    while (this.queue.size === 0 || this.queue.peek()!.arrival >= this.nextSessionStart) this.spawnSession();
    const p = this.queue.pop()!;
    this.now = p.arrival;
    return p.event;
  }

  /** Every click arriving before `until` (event time), in arrival order. */
  takeUntil(until: number): ClickEvent[] {
    const out: ClickEvent[] = [];
    for (;;) {
      while (this.queue.size === 0 || this.queue.peek()!.arrival >= this.nextSessionStart) {
        if (this.nextSessionStart >= until && (this.queue.size === 0 || this.queue.peek()!.arrival >= until)) return out;
        this.spawnSession();
      }
      if (this.queue.peek()!.arrival >= until) return out;
      out.push(this.next());
    }
  }

  private exp(meanMs: number): number {
    return -Math.log(1 - this.rnd()) * meanMs;
  }

  private pick<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let u = this.rnd() * total;
    for (let i = 0; i < items.length; i++) {
      u -= weights[i]!;
      if (u < 0) return items[i]!;
    }
    return items[items.length - 1]!;
  }

  private spawnSession(): void {
    const start = Math.round(this.nextSessionStart);
    this.nextSessionStart += Math.max(1, this.exp(60_000 / this.o.sessionsPerMinute));
    const n = this.sessionCount++;
    const userId = `u${1 + Math.floor(this.rnd() * this.o.users)}`;
    const sessionId = `s${this.o.seed}-${n}`;
    const product = (): string => `p${1 + this.productZipf.sample(this.rnd())}`;
    const category = (): string => `c${1 + this.categoryZipf.sample(this.rnd())}`;
    let page: PageType = this.pick<PageType>(['home', 'category', 'product'], [60, 25, 15]);
    let referrer = this.pick(REFERRERS, REFERRER_WEIGHTS);
    let ts = start;
    let productId: string | undefined = page === 'product' ? product() : undefined;
    for (let i = 0; i < MAX_CLICKS_PER_SESSION; i++) {
      const url =
        page === 'home' ? '/' : page === 'category' ? `/category/${category()}` : page === 'product' ? `/product/${productId!}` : `/${page}`;
      const event: ClickEvent = page === 'product' || page === 'cart'
        ? { userId, sessionId, url, page, productId: productId!, referrer, ts }
        : { userId, sessionId, url, page, referrer, ts };
      this.queue.push({ event, arrival: this.arrivalOf(ts), seq: this.seq++ });
      referrer = `https://shop.example${url}`;
      // The funnel: where the visitor goes next, or undefined when they leave.
      const u = this.rnd();
      let next: PageType | undefined;
      switch (page) {
        case 'home':
          next = u < 0.7 ? 'category' : u < 0.8 ? 'product' : undefined;
          break;
        case 'category':
          next = u < 0.6 ? 'product' : u < 0.72 ? 'category' : u < 0.78 ? 'home' : undefined;
          break;
        case 'product':
          next = u < 0.3 ? 'cart' : u < 0.52 ? 'product' : u < 0.65 ? 'category' : undefined;
          break;
        case 'cart':
          next = u < 0.55 ? 'checkout' : u < 0.7 ? 'product' : undefined;
          break;
        case 'checkout':
          next = undefined;
          break;
      }
      if (next === undefined) break;
      if (next === 'product') productId = product();
      page = next;
      ts += Math.round(Math.min(MAX_THINK_MS, 1000 + this.exp(25_000)));
    }
  }

  /** When a click made at `ts` reaches the topic. */
  private arrivalOf(ts: number): number {
    const o = this.o;
    if (this.rnd() >= o.lateFraction) return ts + Math.floor(this.rnd() * o.maxJitterMs);
    // Late: 10 s .. 3 min, kept clear of the point past which the pipeline drops it. A click
    // is dropped when its window's last ms plus the allowed lateness is at or below the
    // watermark, and the watermark trails arrivals by about the watermark delay.
    let arrival = ts + 10_000 + Math.floor(this.rnd() * 170_000);
    const windowEnd = Math.floor(ts / o.windowMs) * o.windowMs + o.windowMs;
    const dropAt = windowEnd - 1 + o.allowedLatenessMs + o.watermarkDelayMs + 1;
    if (Math.abs(arrival - dropAt) < DROP_BOUNDARY_MARGIN_MS) arrival = dropAt + DROP_BOUNDARY_MARGIN_MS + Math.floor(this.rnd() * 10_000);
    return arrival;
  }
}
