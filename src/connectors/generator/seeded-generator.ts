// A seeded generator source for demos and load: record i of partition p is
// `generate(i, p, rng)` where rng is a PRNG seeded from (seed, p, i) alone, so the stream is
// the same on every run and a job restored from a checkpoint regenerates exactly the records
// it replays. Rate limiting, batching and checkpointed positions come from the engine's
// generatorSource (reused, not duplicated); `ratePerSecond` here is the TOTAL rate, split
// over the partitions.
// May import: engine/sources (generatorSource).
import type { Source } from '../../engine/sources/source.js';
import { generatorSource } from '../../engine/sources/generator-source.js';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  pick<X>(items: readonly X[]): X;
}

export interface SeededGeneratorOptions<T> {
  readonly seed?: number;
  readonly generate: (index: number, partition: number, rng: Rng) => T;
  /** Records per partition (default Infinity: unbounded). */
  readonly count?: number;
  readonly partitions?: number;
  /** Records per second over all partitions (default unlimited). */
  readonly ratePerSecond?: number;
  readonly timestampOf?: (value: T, index: number) => number;
  readonly name?: string;
}

/** mulberry32 over a state mixed from seed, partition and index (splitmix-style). */
export function rngFor(seed: number, partition: number, index: number): Rng {
  let s = mix(mix(seed ^ 0x9e3779b9) ^ mix(partition + 0x632be5ab) ^ mix(index * 0x85ebca6b + 0x27d4eb2f));
  const next = (): number => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: <X>(items: readonly X[]): X => items[Math.floor(next() * items.length)] as X,
  };
}

function mix(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

export function seededGenerator<T>(options: SeededGeneratorOptions<T>): Source<T> {
  const seed = options.seed ?? 1;
  const partitions = Math.max(1, options.partitions ?? 1);
  return generatorSource<T>({
    count: options.count ?? Number.POSITIVE_INFINITY,
    partitions,
    generate: (i, p) => options.generate(i, p, rngFor(seed, p, i)),
    ...(options.ratePerSecond !== undefined ? { ratePerSecond: options.ratePerSecond / partitions } : {}),
    ...(options.timestampOf ? { timestampOf: options.timestampOf } : {}),
    name: options.name ?? 'generator',
  });
}
