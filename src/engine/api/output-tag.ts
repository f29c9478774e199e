// A typed name for a side output (late records, alerts, dead letters), as Flink's OutputTag.
// Operators emit to a tag; `stream.getSideOutput(tag)` reads it. The id is what the graph
// routes on, so two tags with the same id are the same output.
// May import nothing from the engine.

export class OutputTag<T> {
  /** Type witness only. */
  declare readonly __type?: T;
  constructor(readonly id: string) {}
  toString(): string {
    return `OutputTag(${this.id})`;
  }
}

export function outputTag<T>(id: string): OutputTag<T> {
  return new OutputTag<T>(id);
}
