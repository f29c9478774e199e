// Canonical encoding of keys and namespaces (see StateKey in types.ts). One encoding
// decides key equality everywhere: the heap backend's Map identity, the LMDB key bytes,
// and (via key-group.ts) the hash that routes records and assigns key groups. It must not
// depend on object identity, property insertion order, process or restart.
// May import: errors, codec.
import { SluiceError } from '../../errors.js';
import { ByteReader } from '../../codec/byte-reader.js';
import { ByteWriter } from '../../codec/byte-writer.js';

const T_UNDEFINED = 0x00;
const T_NULL = 0x01;
const T_FALSE = 0x02;
const T_TRUE = 0x03;
const T_NUMBER = 0x04;
const T_BIGINT = 0x05;
const T_STRING = 0x06;
const T_ARRAY = 0x07;
const T_OBJECT = 0x08;
const T_BYTES = 0x09;

/** Deepest nesting accepted; a cyclic or hostile key fails cleanly instead of overflowing. */
const MAX_DEPTH = 32;

function unsupported(what: string): SluiceError {
  return new SluiceError('INVALID_ARGUMENT', `state keys and namespaces cannot be ${what}`);
}

function checkObject(v: object): void {
  if (v instanceof Date || v instanceof Map || v instanceof Set || v instanceof RegExp || v instanceof Promise) {
    throw unsupported(`a ${v.constructor.name}`);
  }
}

/** Writes the canonical bytes of `v` (decodable with decodeKey). */
export function encodeKeyInto(w: ByteWriter, v: unknown, depth = 0): void {
  if (depth > MAX_DEPTH) throw unsupported(`nested deeper than ${MAX_DEPTH} levels`);
  switch (typeof v) {
    case 'string':
      w.uint8(T_STRING).uvarint(Buffer.byteLength(v, 'utf8'));
      w.utf8(v);
      return;
    case 'number':
      // 0 and -0 are one key; every NaN is the same NaN.
      w.uint8(T_NUMBER).float64(v === 0 ? 0 : v !== v ? NaN : v);
      return;
    case 'bigint': {
      const s = v.toString(16);
      w.uint8(T_BIGINT).uvarint(s.length);
      w.utf8(s);
      return;
    }
    case 'boolean':
      w.uint8(v ? T_TRUE : T_FALSE);
      return;
    case 'undefined':
      w.uint8(T_UNDEFINED);
      return;
    case 'object': {
      if (v === null) {
        w.uint8(T_NULL);
        return;
      }
      if (v instanceof Uint8Array) {
        w.uint8(T_BYTES).uvarint(v.length).bytes(v);
        return;
      }
      if (Array.isArray(v)) {
        w.uint8(T_ARRAY).uvarint(v.length);
        for (let i = 0; i < v.length; i++) encodeKeyInto(w, v[i], depth + 1);
        return;
      }
      checkObject(v);
      const keys = Object.keys(v).sort();
      w.uint8(T_OBJECT).uvarint(keys.length);
      for (const k of keys) {
        w.uvarint(Buffer.byteLength(k, 'utf8'));
        w.utf8(k);
        encodeKeyInto(w, (v as Record<string, unknown>)[k], depth + 1);
      }
      return;
    }
    default:
      throw unsupported(`a ${typeof v}`);
  }
}

/** Canonical bytes of `v` as a fresh Buffer. */
export function encodeKey(v: unknown): Buffer {
  const w = new ByteWriter(32);
  encodeKeyInto(w, v);
  return w.finish();
}

function readValue(r: ByteReader, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new SluiceError('STATE_ERROR', 'encoded key nested too deeply');
  const tag = r.uint8();
  switch (tag) {
    case T_UNDEFINED:
      return undefined;
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_NUMBER:
      return r.float64();
    case T_BIGINT: {
      const s = r.utf8(r.uvarint());
      return s.startsWith('-') ? -BigInt('0x' + s.slice(1)) : BigInt('0x' + s);
    }
    case T_STRING:
      return r.utf8(r.uvarint());
    case T_BYTES:
      return Buffer.from(r.bytes(r.uvarint()));
    case T_ARRAY: {
      const n = r.uvarint();
      if (n > r.remaining) throw new SluiceError('STATE_ERROR', 'encoded key array longer than its bytes');
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readValue(r, depth + 1);
      return out;
    }
    case T_OBJECT: {
      const n = r.uvarint();
      if (n > r.remaining) throw new SluiceError('STATE_ERROR', 'encoded key object longer than its bytes');
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = r.utf8(r.uvarint());
        // defineProperty so a key named __proto__ stays an own property, as it was encoded.
        Object.defineProperty(out, k, { value: readValue(r, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new SluiceError('STATE_ERROR', `unknown key tag ${tag}`);
  }
}

/** Decodes one canonical value starting at r.pos (advances r). */
export function readKey(r: ByteReader): unknown {
  return readValue(r, 0);
}

export function decodeKey(buf: Buffer): unknown {
  const r = new ByteReader(buf);
  const v = readValue(r, 0);
  if (r.remaining !== 0) throw new SluiceError('STATE_ERROR', 'trailing bytes after encoded key');
  return v;
}

/** Primitive Map keys the heap backend uses; equal iff canonical encodings are equal. */
export type HeapKey = string | number | bigint | boolean | null | undefined;

/**
 * The identity of `v` as a Map key, allocation-free for primitives. Non-primitive keys and
 * strings that could collide with their encoding (starting with U+0001) become
 * U+0001-prefixed strings of their canonical bytes.
 */
export function heapKeyOf(v: unknown): HeapKey {
  switch (typeof v) {
    case 'string':
      return v.length > 0 && v.charCodeAt(0) === 1 ? '\u0001s' + v : v;
    case 'number':
      // Map treats -0 as 0 already (SameValueZero); adding 0 turns -0 into 0 so the heap key
      // also equals the key decoded from a checkpoint, which has no negative zero.
      return v + 0;
    case 'bigint':
    case 'boolean':
    case 'undefined':
      return v;
    case 'object': {
      if (v === null) return null;
      return '\u0001o' + encodeKey(v).toString('latin1');
    }
    default:
      throw unsupported(`a ${typeof v}`);
  }
}
