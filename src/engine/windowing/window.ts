// The windows a keyed stream is cut into. A window is a value (compared by its bounds), so
// it can name a state namespace and survive a checkpoint as plain numbers.
// Imports nothing from the engine: assigners, triggers and the window operator build on it.

/** A window of records; `maxTimestamp` is the last instant that still belongs to it. */
export interface Window {
  maxTimestamp(): number;
  /** A stable string naming this window, used as a state namespace and in timers. */
  readonly id: string;
}

/** [start, end): `end` is exclusive, so `maxTimestamp() === end - 1`. Times in ms. */
export class TimeWindow implements Window {
  readonly start: number;
  readonly end: number;
  readonly id: string;

  constructor(start: number, end: number) {
    this.start = start;
    this.end = end;
    this.id = `${start}:${end}`;
  }

  maxTimestamp(): number {
    return this.end - 1;
  }

  equals(other: TimeWindow): boolean {
    return this.start === other.start && this.end === other.end;
  }

  /** True when the two windows overlap or touch, the condition under which sessions merge. */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }

  /** The smallest window covering both. */
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  toJSON(): { start: number; end: number } {
    return { start: this.start, end: this.end };
  }

  toString(): string {
    return `TimeWindow[${this.start}, ${this.end})`;
  }

  /** Parses the `id` form back into a window (used when restoring timers and state). */
  static fromId(id: string): TimeWindow {
    const i = id.indexOf(':');
    return new TimeWindow(Number(id.slice(0, i)), Number(id.slice(i + 1)));
  }
}

/**
 * The window start that `timestamp` falls into for windows of `size` starting at `offset`
 * (mod size). Correct for negative timestamps too, unlike a plain `%`.
 */
export function windowStartWithOffset(timestamp: number, offset: number, size: number): number {
  const rem = (timestamp - offset) % size;
  return rem < 0 ? timestamp - (rem + size) : timestamp - rem;
}

/** The single window of all records, used with count or custom triggers. */
export class GlobalWindow implements Window {
  static readonly INSTANCE = new GlobalWindow();
  readonly id = 'global';

  private constructor() {}

  maxTimestamp(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  toJSON(): { global: true } {
    return { global: true };
  }

  toString(): string {
    return 'GlobalWindow';
  }
}

/** Recreates a window from its `id` (checkpoints and timers store ids, not objects). */
export function windowFromId(id: string): TimeWindow | GlobalWindow {
  return id === 'global' ? GlobalWindow.INSTANCE : TimeWindow.fromId(id);
}
