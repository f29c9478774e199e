// Serialization of state VALUES (keys use key-codec.ts). msgpackr rather than
// v8.serialize: its format is a published, stable spec independent of the V8 version, so a
// checkpoint taken on one Node release restores on another (v8.serialize's wire format is
// tied to V8 internals), it decodes faster for small values, and it is more compact. It
// keeps undefined, bigint (any size), Date, Set and Uint8Array/Buffer; Map values come
// back as plain objects and class instances as plain objects, so state values should be
// plain data. Values of a heap backend are not copied (same as Flink's heap backend).
// May import: errors.
import { Packr } from 'msgpackr';
import { SluiceError } from '../../errors.js';

const packr = new Packr({ useRecords: false, moreTypes: true, structuredClone: true });

export function packValue(v: unknown): Buffer {
  try {
    return packr.pack(v);
  } catch (err) {
    throw new SluiceError('STATE_ERROR', `state value cannot be serialized: ${(err as Error).message}`, { cause: err });
  }
}

export function unpackValue(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new SluiceError('STATE_ERROR', `state bytes do not decode: ${(err as Error).message}`, { cause: err });
  }
}
