// Request and response headers. Request header v1 (apiKey, apiVersion, correlationId,
// nullable clientId with an int16 length even in flexible versions) becomes v2 in an API's
// flexible versions by adding a tagged-field section; the response header v0 is just the
// correlationId, v1 adds tagged fields. ApiVersions always answers with header v0 so a
// client that does not yet know the broker's versions can read it.
// May import: codec/, errors.ts.
import type { ByteReader } from '../../codec/byte-reader.js';
import type { ByteWriter } from '../../codec/byte-writer.js';
import { SluiceError } from '../../errors.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Reads the fixed part of a request header (v1 fields). */
export function readRequestHeader(r: ByteReader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const n = r.int16();
  let clientId: string | null = null;
  if (n >= 0) clientId = r.utf8(n);
  else if (n !== -1) throw new SluiceError('MALFORMED_FRAME', `client id length ${n}`);
  return { apiKey, apiVersion, correlationId, clientId };
}

/** Skips the tagged-field section that follows the header in flexible versions (header v2). */
export function skipTaggedFields(r: ByteReader): void {
  const count = r.uvarint();
  if (count > r.remaining) throw new SluiceError('TRUNCATED_INPUT', `${count} tagged fields but ${r.remaining} bytes left`);
  for (let i = 0; i < count; i++) {
    r.uvarint();
    r.skip(r.uvarint());
  }
}

export function writeRequestHeader(w: ByteWriter, h: RequestHeader, flexible: boolean): void {
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId);
  if (h.clientId === null) w.int16(-1);
  else {
    const at = w.reserve(2);
    const n = w.utf8(h.clientId);
    w.view(at, at + 2).writeInt16BE(n, 0);
  }
  if (flexible) w.uvarint(0);
}

export function writeResponseHeader(w: ByteWriter, correlationId: number, flexible: boolean): void {
  w.int32(correlationId);
  if (flexible) w.uvarint(0);
}
