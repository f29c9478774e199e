// The two result queues of the async I/O operator, as Flink's stream element queues:
// ordered (results leave in input order: a completed element waits for every earlier one)
// and unordered (results leave as they complete, but never across a watermark: a watermark
// closes a segment, and leaves only when every element of the segments before it has left;
// elements of a later segment wait for it). Watermarks never count against the capacity.
// The queues hold elements and decide WHEN they leave; the operator decides how they are
// emitted (the `Emit` callbacks), always from the runtime's drain, never from a callback.
// May import nothing from the engine.

/** A FIFO with O(1) push and shift (an array with a moving head, compacted now and then). */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  /** The item `k` places before the last (0: the last). */
  peekLast(k = 0): T | undefined {
    const i = this.items.length - 1 - k;
    return i >= this.head ? this.items[i] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as T;
  }
}

export interface Emit<E> {
  element(e: E): void;
  watermark(w: number): void;
}

/** Per element, what the queue needs to know. */
export interface QueueSlot {
  done: boolean;
  /** Unordered queue: the segment the element belongs to. */
  segment: Segment | undefined;
}

export interface ResultQueue<E extends QueueSlot> {
  /** An element was issued (takes a slot until it leaves). */
  add(e: E): void;
  /** A watermark arrived after everything added so far. */
  addWatermark(w: number): void;
  /** `e` got its result (e.done is set by the queue). */
  complete(e: E): void;
  /** Elements added and not yet left. */
  readonly inFlight: number;
  /** Elements or watermarks still held. */
  readonly holding: boolean;
}

const WATERMARK = 0;
interface HeldWatermark {
  readonly kind: typeof WATERMARK;
  readonly w: number;
}

export class OrderedQueue<E extends QueueSlot> implements ResultQueue<E> {
  private readonly q = new Fifo<E | HeldWatermark>();
  inFlight = 0;

  constructor(private readonly emit: Emit<E>) {}

  get holding(): boolean {
    return this.q.size > 0;
  }

  add(e: E): void {
    e.done = false;
    this.q.push(e);
    this.inFlight++;
  }

  addWatermark(w: number): void {
    if (this.q.size === 0) this.emit.watermark(w);
    else this.q.push({ kind: WATERMARK, w });
  }

  complete(e: E): void {
    e.done = true;
    const q = this.q;
    for (let h = q.peek(); h !== undefined; h = q.peek()) {
      if ('kind' in h) {
        q.shift();
        this.emit.watermark(h.w);
        continue;
      }
      if (!h.done) return;
      q.shift();
      this.inFlight--;
      this.emit.element(h);
    }
  }
}

export interface Segment {
  /** Elements of the segment not completed yet. */
  pending: number;
  /** Completed elements waiting for the segments before this one. */
  done: QueueSlot[];
  /** The watermark that closed the segment; undefined while it is the open (last) one. */
  watermark: number | undefined;
}

export class UnorderedQueue<E extends QueueSlot> implements ResultQueue<E> {
  /** Never empty: the last segment is the open one new elements join. */
  private readonly segments = new Fifo<Segment>();
  inFlight = 0;

  constructor(private readonly emit: Emit<E>) {
    this.segments.push(newSegment());
  }

  get holding(): boolean {
    return this.inFlight > 0 || this.segments.size > 1;
  }

  add(e: E): void {
    const open = this.segments.peekLast() as Segment;
    e.done = false;
    e.segment = open;
    open.pending++;
    this.inFlight++;
  }

  addWatermark(w: number): void {
    const open = this.segments.peekLast() as Segment;
    if (this.segments.size === 1 && open.pending === 0) {
      this.emit.watermark(w);
      return;
    }
    if (open.pending === 0 && open.done.length === 0 && this.segments.size > 1) {
      // Nothing since the previous watermark: it can stand for both (watermarks only rise).
      (this.segments.peekLast(1) as Segment).watermark = w;
      return;
    }
    open.watermark = w;
    this.segments.push(newSegment());
  }

  complete(e: E): void {
    e.done = true;
    const seg = e.segment as Segment;
    e.segment = undefined;
    seg.pending--;
    if (seg === this.segments.peek()) {
      this.inFlight--;
      this.emit.element(e);
    } else seg.done.push(e);
    this.advance();
  }

  private advance(): void {
    const segs = this.segments;
    for (let h = segs.peek() as Segment; h.pending === 0 && h.watermark !== undefined; h = segs.peek() as Segment) {
      segs.shift();
      this.emit.watermark(h.watermark);
      const next = segs.peek() as Segment;
      const ready = next.done;
      next.done = [];
      for (const d of ready) {
        this.inFlight--;
        this.emit.element(d as E);
      }
    }
  }
}

function newSegment(): Segment {
  return { pending: 0, done: [], watermark: undefined };
}
