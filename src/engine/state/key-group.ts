// Key groups: the unit in which keyed state is partitioned, checkpointed and moved when a
// job is rescaled (design decision 6). The hash here is ALSO what the runtime routes keyed
// records with, so a record always reaches the subtask that owns its state; keep exactly
// one such function (decision 10). Ranges are computed as Flink computes them.
// May import: errors, key-codec (for objects).
import { SluiceError } from '../../errors.js';
import type { KeyGroupRange } from './types.js';

export const DEFAULT_MAX_PARALLELISM = 128;
/** Key groups are stored as uint16 in durable keys. */
export const MAX_MAX_PARALLELISM = 32768;

const SEED = 0x9747b28c;
const T_UNDEFINED = 0x11;
const T_NULL = 0x12;
const T_FALSE = 0x13;
const T_TRUE = 0x14;
const T_INT = 0x15;
const T_FLOAT = 0x16;
const T_BIGINT = 0x17;
const T_STRING = 0x18;
const T_ARRAY = 0x19;
const T_OBJECT = 0x1a;
const T_BYTES = 0x1b;

// One shared scratch view for reading float bits: no allocation per number key.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Float bits are read in platform order; fix the word order so the hash is the same on
// big-endian hosts.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The hash state after the seed and an integer's type tag: where every 32-bit integer key starts. */
const INT_SEED = mix(SEED, T_INT);

function hashString(h: number, s: string): number {
  h = mix(h, T_STRING);
  const n = s.length;
  let i = 0;
  // Two UTF-16 code units per 32-bit block.
  for (; i + 1 < n; i += 2) h = mix(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h = mix(h, s.charCodeAt(i));
  return mix(h, n);
}

function hashValue(h: number, v: unknown, depth: number): number {
  switch (typeof v) {
    case 'string':
      return hashString(h, v);
    case 'number':
      if ((v | 0) === v) return mix(mix(h, T_INT), v); // also maps -0 to 0
      f64[0] = v !== v ? NaN : v;
      h = mix(h, T_FLOAT);
      return LITTLE_ENDIAN ? mix(mix(h, u32[1]!), u32[0]!) : mix(mix(h, u32[0]!), u32[1]!);
    case 'bigint':
      return hashString(mix(h, T_BIGINT), v.toString(16));
    case 'boolean':
      return mix(h, v ? T_TRUE : T_FALSE);
    case 'undefined':
      return mix(h, T_UNDEFINED);
    case 'object': {
      if (v === null) return mix(h, T_NULL);
      if (depth > 32) throw new SluiceError('INVALID_ARGUMENT', 'state keys cannot nest deeper than 32 levels');
      if (v instanceof Uint8Array) {
        h = mix(mix(h, T_BYTES), v.length);
        for (let i = 0; i < v.length; i++) h = mix(h, v[i]!);
        return h;
      }
      if (Array.isArray(v)) {
        h = mix(mix(h, T_ARRAY), v.length);
        for (let i = 0; i < v.length; i++) h = hashValue(h, v[i], depth + 1);
        return h;
      }
      if (v instanceof Date || v instanceof Map || v instanceof Set || v instanceof RegExp || v instanceof Promise) {
        throw new SluiceError('INVALID_ARGUMENT', `state keys cannot be a ${v.constructor.name}`);
      }
      const keys = Object.keys(v).sort();
      h = mix(mix(h, T_OBJECT), keys.length);
      for (const k of keys) h = hashValue(hashString(h, k), (v as Record<string, unknown>)[k], depth + 1);
      return h;
    }
    default:
      throw new SluiceError('INVALID_ARGUMENT', `state keys cannot be a ${typeof v}`);
  }
}

/**
 * A stable unsigned 32-bit hash of a key (murmur3 mixing over a typed canonical stream).
 * Equal keys (in the StateKey sense: 0 and -0, `{a,b}` and `{b,a}`) hash equal, on every
 * process and platform. Allocation-free for strings, numbers and booleans.
 */
export function keyHash(key: unknown): number {
  // 32-bit integers (ids, the most common keys) skip the type dispatch; same stream as hashValue's.
  if (typeof key === 'number' && (key | 0) === key) return fmix(mix(INT_SEED, key));
  return fmix(hashValue(SEED, key, 0));
}

function checkMaxParallelism(maxParallelism: number): void {
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > MAX_MAX_PARALLELISM) {
    throw new SluiceError('INVALID_ARGUMENT', `maxParallelism must be an integer in 1..${MAX_MAX_PARALLELISM}, got ${maxParallelism}`);
  }
}

/** The key group of `key`: keyHash(key) mod maxParallelism. */
export function keyGroupFor(key: unknown, maxParallelism = DEFAULT_MAX_PARALLELISM): number {
  return keyHash(key) % maxParallelism;
}

/** Key groups owned by subtask `subtaskIndex` of `parallelism` (contiguous, as in Flink). */
export function keyGroupRangeFor(
  subtaskIndex: number,
  parallelism: number,
  maxParallelism = DEFAULT_MAX_PARALLELISM,
): KeyGroupRange {
  checkMaxParallelism(maxParallelism);
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism) {
    throw new SluiceError('INVALID_ARGUMENT', `parallelism must be an integer in 1..${maxParallelism}, got ${parallelism}`);
  }
  if (!Number.isInteger(subtaskIndex) || subtaskIndex < 0 || subtaskIndex >= parallelism) {
    throw new SluiceError('INVALID_ARGUMENT', `subtask index ${subtaskIndex} out of range for parallelism ${parallelism}`);
  }
  const start = Math.floor((subtaskIndex * maxParallelism + parallelism - 1) / parallelism);
  const end = Math.floor(((subtaskIndex + 1) * maxParallelism - 1) / parallelism);
  return { start, end };
}

/** The subtask that owns `keyGroup` (inverse of keyGroupRangeFor). */
export function subtaskForKeyGroup(
  keyGroup: number,
  parallelism: number,
  maxParallelism = DEFAULT_MAX_PARALLELISM,
): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The subtask a keyed record must be routed to. */
export function subtaskForKey(key: unknown, parallelism: number, maxParallelism = DEFAULT_MAX_PARALLELISM): number {
  return subtaskForKeyGroup(keyGroupFor(key, maxParallelism), parallelism, maxParallelism);
}

export function fullKeyGroupRange(maxParallelism: number): KeyGroupRange {
  checkMaxParallelism(maxParallelism);
  return { start: 0, end: maxParallelism - 1 };
}

export function inKeyGroupRange(range: KeyGroupRange, keyGroup: number): boolean {
  return keyGroup >= range.start && keyGroup <= range.end;
}

/** Validates a range against maxParallelism; returns it. */
export function checkKeyGroupRange(range: KeyGroupRange, maxParallelism: number): KeyGroupRange {
  checkMaxParallelism(maxParallelism);
  if (!Number.isInteger(range.start) || !Number.isInteger(range.end) || range.start < 0 || range.end >= maxParallelism || range.start > range.end) {
    throw new SluiceError('INVALID_ARGUMENT', `key group range [${range.start}, ${range.end}] invalid for maxParallelism ${maxParallelism}`);
  }
  return range;
}
