// The one generic encoder and decoder for every Kafka message: it walks a MessageSchema
// (schema.ts) compiled once per (message, version) into the list of fields that exist in
// that version, and reads or writes them with the codec's bounds-checked ByteReader /
// ByteWriter. Flexible versions (KIP-482) use compact lengths (uvarint N+1, 0 = null)
// and end every struct with a tagged-field section; older versions use int16/int32 lengths
// with -1 = null.
//
// Large `records` fields are not copied into the response buffer: FrameOut remembers where
// they go and hands the socket a list of chunks, so a fetch serves the log's bytes as read.
// Decoding never allocates from a length it has not checked against the bytes present.
// May import: codec/ (byte reader/writer), errors.ts, ./schema.ts.
import { isDeepStrictEqual } from 'node:util';
import { ByteReader } from '../../codec/byte-reader.js';
import { ByteWriter } from '../../codec/byte-writer.js';
import { SluiceError } from '../../errors.js';
import type { FieldSpec, MessageSchema, Primitive } from './schema.js';
import { inVersions, parseVersions } from './schema.js';

export type Message = Record<string, unknown>;

interface CompiledField {
  name: string;
  type: Primitive | 'array' | 'struct';
  nullable: boolean;
  tag: number; // -1 when not tagged in this version
  elem: Primitive | CompiledStruct | undefined; // arrays
  sub: CompiledStruct | undefined; // structs
  makeDefault: () => unknown;
}

interface CompiledStruct {
  fields: CompiledField[]; // present and untagged, in wire order
  tagged: CompiledField[]; // present and tagged, by tag
  absent: CompiledField[]; // not in this version: filled with defaults on decode
  flexible: boolean;
}

/** Records fields at least this large are spliced into the output rather than copied. */
const SPLICE_THRESHOLD = 4096;
const ZERO_UUID = Buffer.alloc(16);

function primitiveDefault(type: Primitive): () => unknown {
  switch (type) {
    case 'bool':
      return () => false;
    case 'string':
      return () => '';
    case 'bytes':
      return () => Buffer.alloc(0);
    case 'records':
      return () => null;
    case 'uuid':
      return () => ZERO_UUID;
    default:
      return () => 0;
  }
}

function compileStruct(specs: FieldSpec[], version: number, flexible: boolean): CompiledStruct {
  const out: CompiledStruct = { fields: [], tagged: [], absent: [], flexible };
  for (const spec of specs) {
    const present = inVersions(parseVersions(spec.versions), version);
    const nullable = inVersions(parseVersions(spec.nullable), version);
    const tagged = flexible && spec.tag !== undefined && inVersions(parseVersions(spec.tagged ?? spec.versions), version);
    let elem: CompiledField['elem'];
    let sub: CompiledStruct | undefined;
    let makeDefault: () => unknown;
    if (spec.type === 'array') {
      if (spec.items === undefined) throw new SluiceError('INTERNAL', `array ${spec.name} has no items`);
      elem = typeof spec.items === 'string' ? spec.items : compileStruct(spec.items, version, flexible);
      makeDefault = spec.default === null ? () => null : () => [];
    } else if (spec.type === 'struct') {
      if (spec.fields === undefined) throw new SluiceError('INTERNAL', `struct ${spec.name} has no fields`);
      const s = compileStruct(spec.fields, version, flexible);
      sub = s;
      makeDefault = () => structDefault(s);
    } else if (spec.default !== undefined) {
      const d = spec.default;
      makeDefault = () => d;
    } else {
      makeDefault = primitiveDefault(spec.type);
    }
    const f: CompiledField = { name: spec.name, type: spec.type, nullable, tag: tagged ? spec.tag! : -1, elem, sub, makeDefault };
    if (!present) out.absent.push(f);
    else if (tagged) out.tagged.push(f);
    else out.fields.push(f);
  }
  out.tagged.sort((a, b) => a.tag - b.tag);
  return out;
}

function structDefault(s: CompiledStruct): Message {
  const m: Message = {};
  for (const f of s.fields) m[f.name] = f.makeDefault();
  for (const f of s.tagged) m[f.name] = f.makeDefault();
  for (const f of s.absent) m[f.name] = f.makeDefault();
  return m;
}

const cache = new WeakMap<FieldSpec[], Map<number, CompiledStruct>>();

function compiled(schema: MessageSchema, side: 'request' | 'response', version: number): CompiledStruct {
  const specs = schema[side];
  let byVersion = cache.get(specs);
  if (!byVersion) {
    byVersion = new Map();
    cache.set(specs, byVersion);
  }
  let c = byVersion.get(version);
  if (!c) {
    c = compileStruct(specs, version, isFlexible(schema, version));
    byVersion.set(version, c);
  }
  return c;
}

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return inVersions(parseVersions(schema.flexible), version);
}

export function supportsVersion(schema: MessageSchema, version: number): boolean {
  return inVersions(parseVersions(schema.versions), version);
}

// ---------------------------------------------------------------- decoding

function malformed(message: string): SluiceError {
  return new SluiceError('MALFORMED_FRAME', message);
}

function readLength(r: ByteReader, flexible: boolean, wide: boolean): number {
  if (flexible) {
    const n = r.uvarint();
    if (n > 0x7fffffff) throw malformed(`compact length ${n} too large`);
    return n - 1;
  }
  return wide ? r.int32() : r.int16();
}

function decodePrimitive(r: ByteReader, type: Primitive, nullable: boolean, flexible: boolean, name: string): unknown {
  switch (type) {
    case 'bool':
      return r.bool();
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'uint16':
      return r.uint16();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'float64':
      return r.float64();
    case 'uuid':
      return r.bytes(16);
    case 'string': {
      const n = readLength(r, flexible, false);
      if (n < 0) {
        if (n === -1 && nullable) return null;
        throw malformed(`field ${name}: ${n === -1 ? 'null in a non-nullable string' : `negative length ${n}`}`);
      }
      return r.utf8(n);
    }
    case 'bytes':
    case 'records': {
      const n = readLength(r, flexible, true);
      if (n < 0) {
        if (n === -1 && nullable) return null;
        throw malformed(`field ${name}: ${n === -1 ? 'null in non-nullable bytes' : `negative length ${n}`}`);
      }
      return r.bytes(n);
    }
  }
}

function decodeField(r: ByteReader, f: CompiledField, flexible: boolean): unknown {
  if (f.type === 'struct') return decodeStruct(r, f.sub!);
  if (f.type === 'array') {
    const n = readLength(r, flexible, true);
    if (n < 0) {
      if (n === -1 && f.nullable) return null;
      throw malformed(`field ${f.name}: ${n === -1 ? 'null in a non-nullable array' : `negative count ${n}`}`);
    }
    // Every element takes at least one byte, so a count beyond the bytes left is a lie;
    // checking first keeps a forged count from driving a long loop.
    if (n > r.remaining) throw new SluiceError('TRUNCATED_INPUT', `field ${f.name}: ${n} elements but ${r.remaining} bytes left`);
    const out: unknown[] = [];
    const elem = f.elem!;
    if (typeof elem === 'string') {
      for (let i = 0; i < n; i++) out.push(decodePrimitive(r, elem, false, flexible, f.name));
    } else {
      for (let i = 0; i < n; i++) out.push(decodeStruct(r, elem));
    }
    return out;
  }
  return decodePrimitive(r, f.type, f.nullable, flexible, f.name);
}

function decodeStruct(r: ByteReader, s: CompiledStruct): Message {
  const m: Message = {};
  for (const f of s.fields) m[f.name] = decodeField(r, f, s.flexible);
  for (const f of s.absent) m[f.name] = f.makeDefault();
  if (s.flexible) {
    for (const f of s.tagged) m[f.name] = f.makeDefault();
    const count = r.uvarint();
    if (count > r.remaining) throw new SluiceError('TRUNCATED_INPUT', `${count} tagged fields but ${r.remaining} bytes left`);
    for (let i = 0; i < count; i++) {
      const tag = r.uvarint();
      const size = r.uvarint();
      r.need(size);
      const known = s.tagged.find((f) => f.tag === tag);
      if (known) {
        const sub = new ByteReader(r.buf, r.pos, r.pos + size);
        m[known.name] = decodeField(sub, known, true);
      }
      r.pos += size;
    }
  }
  return m;
}

/** Decodes a request or response body of `schema` at `version` from `r`. */
export function decodeMessage<T = Message>(schema: MessageSchema, side: 'request' | 'response', version: number, r: ByteReader): T {
  return decodeStruct(r, compiled(schema, side, version)) as T;
}

// ---------------------------------------------------------------- encoding

/**
 * A ByteWriter plus the large buffers that follow certain positions in it. `chunks()`
 * interleaves them, so big record sets go to the socket without being copied.
 */
export class FrameOut {
  readonly w: ByteWriter;
  private readonly splices: { at: number; buf: Buffer }[] = [];
  private external = 0;

  constructor(initialCapacity = 256) {
    this.w = new ByteWriter(initialCapacity);
  }

  /** Total bytes, written plus spliced. */
  get length(): number {
    return this.w.length + this.external;
  }

  appendBuffer(buf: Buffer): void {
    if (buf.length >= SPLICE_THRESHOLD) {
      this.splices.push({ at: this.w.length, buf });
      this.external += buf.length;
    } else {
      this.w.bytes(buf);
    }
  }

  chunks(): Buffer[] {
    const out: Buffer[] = [];
    let prev = 0;
    for (const s of this.splices) {
      if (s.at > prev) out.push(this.w.view(prev, s.at));
      out.push(s.buf);
      prev = s.at;
    }
    if (this.w.length > prev || out.length === 0) out.push(this.w.view(prev, this.w.length));
    return out;
  }

  /** One contiguous buffer (copies spliced buffers; for tests and small frames). */
  toBuffer(): Buffer {
    const c = this.chunks();
    return c.length === 1 ? c[0]! : Buffer.concat(c);
  }
}

function encodeError(name: string, message: string): SluiceError {
  return new SluiceError('INTERNAL', `cannot encode field ${name}: ${message}`);
}

function writeLength(w: ByteWriter, n: number, flexible: boolean, wide: boolean): void {
  if (flexible) w.uvarint(n + 1);
  else if (wide) w.int32(n);
  else w.int16(n);
}

function encodePrimitive(out: FrameOut, type: Primitive, v: unknown, nullable: boolean, flexible: boolean, name: string): void {
  const w = out.w;
  switch (type) {
    case 'bool':
      w.bool(v === true);
      return;
    case 'int8':
      w.int8(v as number);
      return;
    case 'int16':
      w.int16(v as number);
      return;
    case 'uint16':
      w.uint16(v as number);
      return;
    case 'int32':
      w.int32(v as number);
      return;
    case 'int64':
      w.int64(v as number);
      return;
    case 'float64':
      w.float64(v as number);
      return;
    case 'uuid': {
      const b = v as Buffer;
      if (!Buffer.isBuffer(b) || b.length !== 16) throw encodeError(name, 'a uuid is 16 bytes');
      w.bytes(b);
      return;
    }
    case 'string': {
      if (v === null) {
        if (!nullable) throw encodeError(name, 'null in a non-nullable string');
        writeLength(w, -1, flexible, false);
        return;
      }
      const s = v as string;
      const n = Buffer.byteLength(s, 'utf8');
      if (!flexible && n > 0x7fff) throw encodeError(name, `string of ${n} bytes exceeds int16`);
      writeLength(w, n, flexible, false);
      w.utf8(s);
      return;
    }
    case 'bytes':
    case 'records': {
      if (v === null) {
        if (!nullable) throw encodeError(name, 'null in non-nullable bytes');
        writeLength(w, -1, flexible, true);
        return;
      }
      const b = v as Buffer;
      writeLength(w, b.length, flexible, true);
      out.appendBuffer(b);
      return;
    }
  }
}

function encodeField(out: FrameOut, f: CompiledField, v: unknown, flexible: boolean): void {
  if (v === undefined) v = f.makeDefault();
  if (f.type === 'struct') {
    encodeStruct(out, f.sub!, (v ?? {}) as Message);
    return;
  }
  if (f.type === 'array') {
    if (v === null) {
      if (!f.nullable) throw encodeError(f.name, 'null in a non-nullable array');
      writeLength(out.w, -1, flexible, true);
      return;
    }
    const arr = v as unknown[];
    if (!Array.isArray(arr)) throw encodeError(f.name, 'expected an array');
    writeLength(out.w, arr.length, flexible, true);
    const elem = f.elem!;
    if (typeof elem === 'string') {
      for (const x of arr) encodePrimitive(out, elem, x, false, flexible, f.name);
    } else {
      for (const x of arr) encodeStruct(out, elem, x as Message);
    }
    return;
  }
  encodePrimitive(out, f.type, v, f.nullable, flexible, f.name);
}

function isDefault(f: CompiledField, v: unknown): boolean {
  if (v === undefined) return true;
  const d = f.makeDefault();
  if (Array.isArray(v)) return v.length === 0 && Array.isArray(d);
  if (Buffer.isBuffer(v)) return Buffer.isBuffer(d) && v.equals(d);
  if (f.type === 'struct') return isDeepStrictEqual(v, d);
  return v === d;
}

function encodeStruct(out: FrameOut, s: CompiledStruct, m: Message): void {
  for (const f of s.fields) encodeField(out, f, m[f.name], s.flexible);
  if (!s.flexible) return;
  // Kafka writes a tagged field only when it differs from its default.
  const present = s.tagged.filter((f) => !isDefault(f, m[f.name]));
  out.w.uvarint(present.length);
  for (const f of present) {
    const sub = new FrameOut(64);
    encodeField(sub, f, m[f.name], true);
    const bytes = sub.toBuffer();
    out.w.uvarint(f.tag);
    out.w.uvarint(bytes.length);
    out.w.bytes(bytes);
  }
}

/** Encodes a request or response body of `schema` at `version` into `out`. */
export function encodeMessage(schema: MessageSchema, side: 'request' | 'response', version: number, value: object, out: FrameOut): void {
  encodeStruct(out, compiled(schema, side, version), value as Message);
}

/** Convenience for tests and clients: one body as one buffer. */
export function encodeToBuffer(schema: MessageSchema, side: 'request' | 'response', version: number, value: object): Buffer {
  const out = new FrameOut();
  encodeMessage(schema, side, version, value, out);
  return out.toBuffer();
}

/** Convenience for tests and clients: decodes a whole body and checks nothing is left over. */
export function decodeFromBuffer<T = Message>(schema: MessageSchema, side: 'request' | 'response', version: number, buf: Buffer): T {
  const r = new ByteReader(buf);
  const m = decodeMessage<T>(schema, side, version, r);
  if (r.remaining !== 0) throw malformed(`${r.remaining} bytes left after ${schema.name} ${side} v${version}`);
  return m;
}
