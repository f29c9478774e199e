// Test support shared by the window property tests (not exported from the package): random
// keyed records whose event times advance in small steps and arrive up to some distance
// behind the newest, cut into random batch sizes.
// May import: fast-check (tests only).
import fc from 'fast-check';

export type Ev = { k: string; v: number };

export interface Case {
  /** The watermark's out-of-orderness bound: it trails the newest timestamp by this much. */
  bound: number;
  records: Array<[Ev, number]>;
  batches: number[];
}

/** Cases whose records arrive up to `behind(bound)` ms behind the newest (bound itself: never late). */
export function cases(behind: (bound: number) => number): fc.Arbitrary<Case> {
  return fc.integer({ min: 0, max: 30 }).chain((bound) =>
    fc
      .record({
        steps: fc.array(
          fc.record({ step: fc.integer({ min: 0, max: 12 }), back: fc.integer({ min: 0, max: behind(bound) }), k: fc.constantFrom('a', 'b', 'c'), v: fc.integer({ min: -50, max: 50 }) }),
          { maxLength: 120 },
        ),
        batches: fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 10 }),
        start: fc.integer({ min: -500, max: 500 }),
      })
      .map(({ steps, batches, start }) => {
        let t = start;
        const records = steps.map((s): [Ev, number] => {
          t += s.step;
          return [{ k: s.k, v: s.v }, t - s.back];
        });
        return { bound, records, batches };
      }),
  );
}
