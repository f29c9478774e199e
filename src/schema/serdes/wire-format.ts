// The Confluent wire format: magic byte 0, the writer schema's id as 4 big-endian bytes, then
// the payload; Protobuf payloads are preceded by the message-index path as zigzag varints
// (count, then indexes), with the single byte 0 standing for [0], the first message.
import { ByteReader } from '../../codec/byte-reader.js';
import { ByteWriter } from '../../codec/byte-writer.js';
import { SluiceError } from '../../errors.js';

export const MAGIC_BYTE = 0;

export interface Envelope {
  schemaId: number;
  /** The payload after the header (and after the message indexes for Protobuf). */
  payload: Buffer;
  messageIndexes?: number[];
}

function failed(reason: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): SluiceError {
  return new SluiceError('DESERIALIZATION_FAILED', message, { details: { reason, ...details }, cause });
}

export function encodeEnvelope(schemaId: number, payload: Uint8Array, messageIndexes?: readonly number[]): Buffer {
  const w = new ByteWriter(payload.length + 16);
  w.uint8(MAGIC_BYTE);
  w.int32(schemaId);
  if (messageIndexes !== undefined) {
    if (messageIndexes.length === 1 && messageIndexes[0] === 0) w.varint(0);
    else {
      w.varint(messageIndexes.length);
      for (const i of messageIndexes) w.varint(i);
    }
  }
  w.bytes(payload);
  return w.finish();
}

export function decodeEnvelope(buf: Buffer, withMessageIndexes = false): Envelope {
  if (buf.length < 5) throw failed('TRUNCATED', `record of ${buf.length} bytes is too short for the schema registry wire format`);
  if (buf[0] !== MAGIC_BYTE) throw failed('WRONG_MAGIC_BYTE', `unknown magic byte ${buf[0]} (expected ${MAGIC_BYTE})`, { magic: buf[0] });
  const schemaId = buf.readInt32BE(1);
  if (!withMessageIndexes) return { schemaId, payload: buf.subarray(5) };
  const r = new ByteReader(buf, 5);
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
