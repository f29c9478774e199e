// Nexmark q3, local item suggestion: sellers in Oregon, Idaho or California joined with their
// auctions in category 10, emitting (name, city, state, auction id). A regular (unwindowed)
// inner join, built as Flink runs one: both sides keyed by person id, connected, and a keyed
// co-process function keeping the person and the auctions still waiting for it in state.
import type { KeyedCoProcessFunction, Collector, KeyedProcessContext, KeyedRuntimeContext } from '../../../src/engine/api/functions.js';
import { listStateDescriptor, valueStateDescriptor } from '../../../src/engine/state/descriptors.js';
import type { ListState, ValueState } from '../../../src/engine/state/types.js';
import type { NexmarkQuery } from '../query.js';
import { AUCTION, PERSON, type Auction, type Person } from '../model.js';
import { auctions, persons } from './common.js';

export class Q3Out {
  constructor(
    readonly name: string,
    readonly city: string,
    readonly state: string,
    readonly id: number,
  ) {}
}

const isLocal = (p: Person): boolean => p.state === 'OR' || p.state === 'ID' || p.state === 'CA';
const inCategory10 = (a: Auction): boolean => a.category === 10;

interface SellerView {
  name: string;
  city: string;
  state: string;
}

class Q3Join implements KeyedCoProcessFunction<number, Auction, Person, Q3Out> {
  private person!: ValueState<SellerView>;
  private waiting!: ListState<number>;
  open(ctx: KeyedRuntimeContext): void {
    this.person = ctx.getState(valueStateDescriptor<SellerView>('person'));
    this.waiting = ctx.getListState(listStateDescriptor<number>('auctions'));
  }
  processElement1(a: Auction, _ctx: KeyedProcessContext<number>, out: Collector<Q3Out>): void {
    const p = this.person.value();
    if (p !== undefined) out.collect(new Q3Out(p.name, p.city, p.state, a.id));
    else this.waiting.add(a.id);
  }
  processElement2(p: Person, _ctx: KeyedProcessContext<number>, out: Collector<Q3Out>): void {
    this.person.update({ name: p.name, city: p.city, state: p.state });
    const ids = this.waiting.get();
    if (ids.length === 0) return;
    for (const id of ids) out.collect(new Q3Out(p.name, p.city, p.state, id));
    this.waiting.clear();
  }
}

export const q3: NexmarkQuery<Q3Out> = {
  name: 'q3',
  description: 'local item suggestion (join persons in OR/ID/CA with auctions in category 10)',
  ordered: false,
  floorIsBound: true,
  build(events) {
    const a = auctions(events, inCategory10).keyBy((x) => x.seller);
    const p = persons(events, isLocal).keyBy((x) => x.id);
    return a.connect(p).process(new Q3Join(), 'q3-join');
  },
  loop(events) {
    const out: Q3Out[] = [];
    const people = new Map<number, Person>();
    const waiting = new Map<number, number[]>();
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind === AUCTION) {
        if (e.category !== 10) continue;
        const p = people.get(e.seller);
        if (p !== undefined) out.push(new Q3Out(p.name, p.city, p.state, e.id));
        else {
          const w = waiting.get(e.seller);
          if (w === undefined) waiting.set(e.seller, [e.id]);
          else w.push(e.id);
        }
      } else if (e.kind === PERSON) {
        if (!isLocal(e)) continue;
        people.set(e.id, e);
        const w = waiting.get(e.id);
        if (w !== undefined) {
          for (const id of w) out.push(new Q3Out(e.name, e.city, e.state, id));
          waiting.delete(e.id);
        }
      }
    }
    return out;
  },
  key: (o) => `${o.id}/${o.name}/${o.city}/${o.state}`,
};
