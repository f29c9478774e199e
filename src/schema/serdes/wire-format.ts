// The Confluent wire format: magic byte 0, the writer schema's id as 4 big-endian bytes, then
// the payload; Protobuf payloads are preceded by the message-index path as zigzag varints
// (count, then indexes), with the single byte 0 standing for [0], the first message.
// The formats (schema-format.ts) build a format's header once (`envelopeHeader`) and write
// payloads straight after it; `encodeEnvelope` / `decodeEnvelope` are the general helpers for
// callers holding a payload already (CLI, tests). Imports codec/ and errors.ts only.
import { ByteReader } from '../../codec/byte-reader.js';
import { ByteWriter } from '../../codec/byte-writer.js';
import { SluiceError } from '../../errors.js';

export const MAGIC_BYTE = 0;
/** Magic byte + 4-byte schema id. */
export const HEADER_SIZE = 5;

export interface Envelope {
  schemaId: number;
  /** The payload after the header (and after the message indexes for Protobuf). */
  payload: Buffer;
  messageIndexes?: number[];
}

function failed(reason: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): SluiceError {
  return new SluiceError('DESERIALIZATION_FAILED', message, { details: { reason, ...details }, cause });
}

/** The bytes before the payload: magic, id and (Protobuf) the message-index path. */
export function envelopeHeader(schemaId: number, messageIndexes?: readonly number[]): Buffer {
  const w = new ByteWriter(16);
  w.uint8(MAGIC_BYTE);
  w.int32(schemaId);
  if (messageIndexes !== undefined) {
    if (messageIndexes.length === 1 && messageIndexes[0] === 0) w.varint(0);
    else {
      w.varint(messageIndexes.length);
      for (const i of messageIndexes) w.varint(i);
    }
  }
  return w.finish();
}

export function encodeEnvelope(schemaId: number, payload: Uint8Array, messageIndexes?: readonly number[]): Buffer {
  const header = envelopeHeader(schemaId, messageIndexes);
  const out = Buffer.allocUnsafe(header.length + payload.length);
  header.copy(out, 0);
  out.set(payload, header.length);
  return out;
}

/**
 * The writer schema id of a wire-format record, after checking its length and magic byte.
 * The payload (or Protobuf's message indexes) starts at HEADER_SIZE.
 */
export function readSchemaId(buf: Buffer): number {
  if (buf.length < HEADER_SIZE) throw failed('TRUNCATED', `record of ${buf.length} bytes is too short for the schema registry wire format`);
  if (buf[0] !== MAGIC_BYTE) throw failed('WRONG_MAGIC_BYTE', `unknown magic byte ${buf[0]} (expected ${MAGIC_BYTE})`, { magic: buf[0] });
  return buf.readInt32BE(1);
}

export function decodeEnvelope(buf: Buffer, withMessageIndexes = false): Envelope {
  const schemaId = readSchemaId(buf);
  if (!withMessageIndexes) return { schemaId, payload: buf.subarray(HEADER_SIZE) };
  // the usual case, the first message: one 0 byte, no reader needed
  if (buf.length > HEADER_SIZE && buf[HEADER_SIZE] === 0) return { schemaId, payload: buf.subarray(HEADER_SIZE + 1), messageIndexes: [0] };
  const r = new ByteReader(buf, HEADER_SIZE);
  try {
    const count = r.varint();
    if (count < 0 || count > 100) throw failed('BAD_MESSAGE_INDEXES', `bad message-index count ${count}`, { schemaId });
    const messageIndexes = count === 0 ? [0] : [];
    for (let i = 0; i < count; i++) messageIndexes.push(r.varint());
    return { schemaId, payload: buf.subarray(buf.length - r.remaining), messageIndexes };
  } catch (err) {
    if (err instanceof SluiceError && err.code === 'DESERIALIZATION_FAILED') throw err;
    throw failed('BAD_MESSAGE_INDEXES', 'message indexes do not decode', { schemaId }, err);
  }
}
