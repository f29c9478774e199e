// Processing time is injected (design decision 5): operators, timers, idleness and the
// checkpoint interval read a Clock, never Date.now directly, so tests drive time by hand.
// May import nothing from the engine.

export interface Clock {
  /** Wall-clock ms. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to; for tests and the harness. */
export class ManualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): number {
    this.current += ms;
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
}
