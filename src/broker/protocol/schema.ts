// Kafka message schemas as data. Each API is described once (request and response fields,
// the versions each field exists in, nullable and tagged versions, the API's flexible
// versions) in the vocabulary of Kafka's own message definitions, and ONE generic codec
// (codec.ts) reads these descriptions. No byte code is written per API or per version.
//
// Field names are the camelCase of Kafka's names (ThrottleTimeMs -> throttleTimeMs), so a
// reader of the Kafka protocol guide recognises every field.
// May import: nothing but errors.ts.
import { SluiceError } from '../../errors.js';

export type Primitive =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

/** A version range as Kafka writes it: "0+", "3-7", "5", or "none". */
export type Versions = string;

export interface FieldSpec {
  name: string;
  versions: Versions;
  type: Primitive | 'array' | 'struct';
  /** Arrays: a primitive element type or the fields of a struct element. */
  items?: Primitive | FieldSpec[];
  /** Structs. */
  fields?: FieldSpec[];
  nullable?: Versions;
  /** Tagged field (KIP-482): its tag and the versions in which it is tagged. */
  tag?: number;
  tagged?: Versions;
  default?: unknown;
}

export interface MessageSchema {
  apiKey: number;
  name: string;
  /** The versions described here (the broker may serve fewer). */
  versions: Versions;
  /** KIP-482 flexible versions: compact encodings, tagged fields, header v2 / v1. */
  flexible: Versions;
  request: FieldSpec[];
  response: FieldSpec[];
}

interface FieldOptions {
  nullable?: Versions;
  tag?: number;
  tagged?: Versions;
  default?: unknown;
}

export function field(name: string, type: Primitive, versions: Versions, options: FieldOptions = {}): FieldSpec {
  return { name, type, versions, ...options };
}

export function array(name: string, items: Primitive | FieldSpec[], versions: Versions, options: FieldOptions = {}): FieldSpec {
  return { name, type: 'array', items, versions, ...options };
}

export function struct(name: string, fields: FieldSpec[], versions: Versions, options: FieldOptions = {}): FieldSpec {
  return { name, type: 'struct', fields, versions, ...options };
}

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

const NONE: VersionRange = { min: 1, max: 0 };

/** Parsed ranges by their text: the connection asks twice per request (is this version flexible?). */
const parsedVersions = new Map<string, VersionRange>();

export function parseVersions(v: Versions | undefined): VersionRange {
  if (v === undefined || v === 'none' || v === '') return NONE;
  let r = parsedVersions.get(v);
  if (r === undefined) parsedVersions.set(v, (r = parseVersionText(v)));
  return r;
}

function parseVersionText(v: string): VersionRange {
  const plus = /^(\d+)\+$/.exec(v);
  if (plus) return { min: Number(plus[1]), max: 0x7fff };
  const range = /^(\d+)-(\d+)$/.exec(v);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (/^\d+$/.test(v)) return { min: Number(v), max: Number(v) };
  throw new SluiceError('INTERNAL', `bad version range '${v}' in a message schema`);
}

export function inVersions(range: VersionRange, version: number): boolean {
  return version >= range.min && version <= range.max;
}
