// HyperLogLog sketch for approximate distinct counts in fixed memory. Registers live in a
// Uint8Array (msgpack stores it as binary) so the sketch checkpoints as plain data, and two
// sketches of equal precision merge by register-wise max, exactly as if one sketch had seen
// both inputs. The estimate uses Ertl's improved estimator ("New cardinality estimation
// algorithms for HyperLogLog sketches", 2017), which needs no empirical bias tables and stays
// unbiased from tiny to huge cardinalities. Relative standard error is 1.04 / sqrt(2^p).
// Imports value-key.ts and errors only.
import { SluiceError } from '../../errors.js';
import { valueKey } from './value-key.js';

/** Bits of the second hash that give a register's rank: ranks run 1..Q+1. */
const Q = 32;

export interface HyperLogLogSketch {
  /** Precision: 2^p registers. */
  p: number;
  registers: Uint8Array;
}

export function createSketch(p = 14): HyperLogLogSketch {
  if (!Number.isInteger(p) || p < 4 || p > 18) {
    throw new SluiceError('INVALID_ARGUMENT', `HyperLogLog precision must be an integer in [4, 18], got ${p}`);
  }
  return { p, registers: new Uint8Array(1 << p) };
}

/** Relative standard error of a sketch with precision p. */
export function standardError(p: number): number {
  return 1.04 / Math.sqrt(1 << p);
}

// MurmurHash3 (x86, 32-bit) over UTF-16 code units, written from the algorithm's description.
function murmur3(s: string, seed: number): number {
  let h = seed >>> 0;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)) >>> 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = s.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Adds a value (any plain value; equal values by valueKey count once). Mutates and returns the sketch. */
export function sketchAdd(sketch: HyperLogLogSketch, value: unknown): HyperLogLogSketch {
  const key = valueKey(value);
  // Two independent 32-bit hashes: the first picks the register, the second its rank, so the
  // sketch behaves as if fed a (p + 32)-bit hash.
  const index = murmur3(key, 0x9747b28c) >>> (32 - sketch.p);
  const rank = Math.clz32(murmur3(key, 0x5bd1e995)) + 1;
  const regs = sketch.registers;
  if (rank > (regs[index] ?? 0)) regs[index] = rank;
  return sketch;
}

/** Register-wise max into `a`; the result is the sketch of the union of both inputs. */
export function sketchMerge(a: HyperLogLogSketch, b: HyperLogLogSketch): HyperLogLogSketch {
  if (a.p !== b.p) {
    throw new SluiceError('INVALID_ARGUMENT', `cannot merge HyperLogLog sketches of precision ${a.p} and ${b.p}`);
  }
  const ra = a.registers;
  const rb = b.registers;
  for (let i = 0; i < ra.length; i++) {
    const x = rb[i] ?? 0;
    if (x > (ra[i] ?? 0)) ra[i] = x;
  }
  return a;
}

function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  let prev: number;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (z !== prev);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let prev: number;
  do {
    x = Math.sqrt(x);
    prev = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (z !== prev);
  return z / 3;
}

/** The estimated number of distinct values added. */
export function sketchEstimate(sketch: HyperLogLogSketch): number {
  const m = sketch.registers.length;
  const counts = new Array<number>(Q + 2).fill(0);
  for (let i = 0; i < m; i++) {
    const r = sketch.registers[i] ?? 0;
    counts[r] = (counts[r] ?? 0) + 1;
  }
  let z = m * tau(1 - (counts[Q + 1] ?? 0) / m);
  for (let k = Q; k >= 1; k--) z = 0.5 * (z + (counts[k] ?? 0));
  z += m * sigma((counts[0] ?? 0) / m);
  const alphaInf = 1 / (2 * Math.LN2);
  return Math.round((alphaInf * m * m) / z);
}
