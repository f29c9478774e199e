// Nexmark q8, monitor new users: people who opened an auction (as seller) within the same
// tumbling 10 s window in which they registered; emits (id, name, window start). Built as a
// window join: persons and auctions keyed by person id / seller into one tumbling window,
// whose incremental aggregate notes the name and whether an auction was seen.
import type { Collector } from '../../../src/engine/api/functions.js';
import type { AggregateFunction } from '../../../src/engine/state/types.js';
import { TumblingEventTimeWindows } from '../../../src/engine/windowing/assigners.js';
import type { ProcessWindowContext } from '../../../src/engine/windowing/window-function.js';
import type { TimeWindow } from '../../../src/engine/windowing/window.js';
import type { NexmarkQuery } from '../query.js';
import { AUCTION, PERSON, type NexmarkEvent } from '../model.js';
import { windowStart } from './common.js';

export const Q8_SIZE = 10_000;

export class Q8Out {
  constructor(
    readonly id: number,
    readonly name: string,
    readonly starttime: number,
  ) {}
}

interface Seen {
  /** The person's name if they registered in this window. */
  name: string | null;
  sold: boolean;
}

const seen: AggregateFunction<NexmarkEvent, Seen, Seen> = {
  createAccumulator: () => ({ name: null, sold: false }),
  add(e, acc) {
    if (e.kind === PERSON) acc.name = e.name;
    else acc.sold = true;
    return acc;
  },
  merge: (a, b) => ({ name: a.name ?? b.name, sold: a.sold || b.sold }),
  getResult: (acc) => acc,
};

export const q8: NexmarkQuery<Q8Out> = {
  name: 'q8',
  description: 'monitor new users (persons and auctions joined on seller in the same 10 s tumbling window)',
  ordered: false,
  floorIsBound: false,
  build(events) {
    return events
      .filter((e) => e.kind === PERSON || e.kind === AUCTION, 'q8-people-and-auctions')
      .keyBy((e) => (e.kind === PERSON ? e.id : e.kind === AUCTION ? e.seller : -1))
      .window(TumblingEventTimeWindows.of(Q8_SIZE))
      .aggregate(
        seen,
        (id: number, ctx: ProcessWindowContext<TimeWindow>, results: readonly Seen[], out: Collector<Q8Out>) => {
          const s = results[0];
          if (s !== undefined && s.name !== null && s.sold) out.collect(new Q8Out(id, s.name, ctx.window.start));
        },
        { name: 'q8-window-join' },
      );
  },
  loop(events) {
    const out: Q8Out[] = [];
    let start = Number.NaN;
    let people = new Map<number, string>();
    let sellers = new Set<number>();
    const flush = (): void => {
      for (const [id, name] of people) if (sellers.has(id)) out.push(new Q8Out(id, name, start));
    };
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind !== PERSON && e.kind !== AUCTION) continue;
      const s = windowStart(e.dateTime, Q8_SIZE);
      if (s !== start) {
        flush();
        people = new Map();
        sellers = new Set();
        start = s;
      }
      if (e.kind === PERSON) people.set(e.id, e.name);
      else sellers.add(e.seller);
    }
    flush();
    return out;
  },
  key: (o) => `${o.starttime}/${o.id}/${o.name}`,
};
