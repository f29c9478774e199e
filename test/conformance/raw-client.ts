// A minimal raw Kafka-protocol client for tests that need to put exact bytes on the wire:
// builds request frames with the project's generic codec and reads response frames back.
import net from 'node:net';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import { decodeFromBuffer, encodeToBuffer, isFlexible } from '../../src/broker/protocol/codec.js';
import assert from 'node:assert/strict';
import { writeRequestHeader } from '../../src/broker/protocol/header.js';
import type { MessageSchema } from '../../src/broker/protocol/schema.js';

export function requestFrame(schema: MessageSchema, version: number, correlationId: number, body: object, clientId: string | null = 'raw'): Buffer {
  const w = new ByteWriter();
  w.int32(0);
  writeRequestHeader(w, { apiKey: schema.apiKey, apiVersion: version, correlationId, clientId }, isFlexible(schema, version));
  w.bytes(encodeToBuffer(schema, 'request', version, body));
  const out = Buffer.from(w.finish());
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(frame: Buffer): void {
    this.socket.write(frame);
  }

  /** The next response frame (without its size prefix), or undefined if the connection closed first. */
  async next(timeoutMs = 5000): Promise<Buffer | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= 4) {
        const n = this.buf.readInt32BE(0);
        if (this.buf.length >= 4 + n) {
          const frame = this.buf.subarray(4, 4 + n);
          this.buf = this.buf.subarray(4 + n);
          return frame;
        }
      }
      if (this.closed) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a response frame');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves true once the broker has closed the connection (within timeoutMs). */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A request/response caller over one raw connection: sends `body` as `schema` at `version`
 * with increasing correlation ids, checks the answer's id and decodes its body.
 */
export function caller(c: RawClient) {
  let correlationId = 1;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return async (schema: MessageSchema, version: number, body: object): Promise<any> => {
    const id = correlationId++;
    c.send(requestFrame(schema, version, id, body));
    const frame = await c.next(10_000);
    assert.ok(frame, `no response to ${schema.name} v${version}`);
    assert.equal(frame.readInt32BE(0), id);
    const headerSize = isFlexible(schema, version) ? 5 : 4;
    return decodeFromBuffer(schema, 'response', version, frame.subarray(headerSize));
  };
}
