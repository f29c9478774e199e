// The bytes of one key group's snapshot. Self-describing so a checkpoint can be restored
// at another parallelism, by another backend kind, or inspected offline:
//   "SLKS" magic, format version byte, then a msgpack map
//   { mp: maxParallelism, kg: keyGroup, states: [{ name, kind, ttlMs|null, wrapped, cells }] }
// where cells is a flat array [keyBytes, namespaceBytes, payload, ...] (keys and namespaces
// in canonical key-codec bytes so their identity survives exactly) and a map state's
// payload is a flat array [userKeyBytes, stored, ...]. Stored values are as in
// cell-storage.ts ({v, t} when wrapped for TTL).
// Version 2 (written now) stores each payload as its own msgpack bytes (a bin), so a backend
// can keep the encoding of a cell that did not change since the last checkpoint and copy it
// instead of encoding the value again; version 1 (payload inline) is still read.
// snapshot-writer.ts writes it; this file reads it.
// May import: errors, types, value-codec.
import { SluiceError } from '../../errors.js';
import type { StateKind } from './types.js';
import { packValue, unpackValue } from './value-codec.js';

export const MAGIC = Buffer.from('SLKS', 'latin1');
export const SNAPSHOT_FORMAT_VERSION = 2;
const INLINE_PAYLOAD_VERSION = 1;
const KINDS: ReadonlySet<string> = new Set<StateKind>(['value', 'list', 'map', 'reducing', 'aggregating']);

export interface SnapshotState {
  name: string;
  kind: StateKind;
  ttlMs: number | null;
  wrapped: boolean;
  /** Encoding: [keyBytes, nsBytes, payloadBytes (packValue), ...]; decoded: payloads unpacked. */
  cells: unknown[];
}

/** The payload bytes of one cell as version 2 stores them. */
export function encodeCellPayload(payload: unknown): Uint8Array {
  return packValue(payload);
}

export interface DecodedKeyGroup {
  maxParallelism: number;
  keyGroup: number;
  states: SnapshotState[];
}

function bad(msg: string): SluiceError {
  return new SluiceError('STATE_ERROR', `invalid keyed-state snapshot: ${msg}`);
}

export function decodeKeyGroupSnapshot(bytes: Uint8Array): DecodedKeyGroup {
  if (!(bytes instanceof Uint8Array) || bytes.length < MAGIC.length + 1) throw bad('too short');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw bad('bad magic');
  const version = buf[MAGIC.length];
  if (version !== SNAPSHOT_FORMAT_VERSION && version !== INLINE_PAYLOAD_VERSION) throw bad(`unsupported format version ${version}`);
  const body = unpackValue(buf.subarray(MAGIC.length + 1)) as Record<string, unknown> | null;
  if (typeof body !== 'object' || body === null) throw bad('body is not a map');
  const { mp, kg, states } = body as { mp: unknown; kg: unknown; states: unknown };
  if (typeof mp !== 'number' || !Number.isInteger(mp) || mp < 1) throw bad('bad maxParallelism');
  if (typeof kg !== 'number' || !Number.isInteger(kg) || kg < 0 || kg >= mp) throw bad('bad key group');
  if (!Array.isArray(states)) throw bad('states is not an array');
  for (const s of states as unknown[]) {
    const st = s as Partial<SnapshotState> | null;
    if (typeof st !== 'object' || st === null) throw bad('state entry is not a map');
    if (typeof st.name !== 'string' || st.name.length === 0) throw bad('state without a name');
    if (typeof st.kind !== 'string' || !KINDS.has(st.kind)) throw bad(`state '${st.name}' has unknown kind`);
    if (st.ttlMs !== null && !(typeof st.ttlMs === 'number' && st.ttlMs > 0)) throw bad(`state '${st.name}' has bad ttl`);
    if (typeof st.wrapped !== 'boolean') throw bad(`state '${st.name}' lacks the wrapped flag`);
    if (!Array.isArray(st.cells) || st.cells.length % 3 !== 0) throw bad(`state '${st.name}' has malformed cells`);
    if (version === SNAPSHOT_FORMAT_VERSION) {
      const cells = st.cells as unknown[];
      for (let i = 2; i < cells.length; i += 3) {
        const b = cells[i];
        if (!(b instanceof Uint8Array)) throw bad(`state '${st.name}' has a payload that is not bytes`);
        cells[i] = unpackValue(b);
      }
    }
  }
  return { maxParallelism: mp, keyGroup: kg, states: states as SnapshotState[] };
}
