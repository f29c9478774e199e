// One client TCP connection: frames requests off the byte stream, dispatches them to
// handlers, and writes responses back strictly in request order (Kafka's per-connection
// guarantee) even when handlers finish out of order.
//
// Memory is bounded by construction: a frame's length is checked against the request cap
// before any of its bytes are kept; only the frame being assembled is buffered; at most
// `maxInFlight` requests run at once; and when the socket's unsent output exceeds
// `maxBufferedBytes` (a client that does not read) the connection stops reading until the
// output drains. A malformed frame, an unknown API key or an unsupported version closes
// only this connection (ApiVersions at an unknown version gets Kafka's v0-shaped answer).
// A Produce frame spread over several reads is assembled in a buffer borrowed from the
// broker's FramePool and given back once its handler answered (frame-pool.ts says why).
// May import: protocol/, handlers/handler.ts + registry, broker-context, frame-pool.ts, errors.ts.
import type { Socket } from 'node:net';
import { ByteReader } from '../codec/byte-reader.js';
import { isSluiceError } from '../errors.js';
import { decodeMessage, encodeMessage, FrameOut, isFlexible } from './protocol/codec.js';
import { KafkaError } from './protocol/error-codes.js';
import type { RequestHeader } from './protocol/header.js';
import { readRequestHeader, skipTaggedFields, writeResponseHeader } from './protocol/header.js';
import { ApiVersions } from './protocol/messages.js';
import type { BrokerContext } from './broker-context.js';
import type { Handler, RequestContext } from './handlers/handler.js';
import { NO_RESPONSE } from './handlers/handler.js';
import { apiVersionsBody } from './handlers/18-api-versions.js';
import type { BrokerMetrics } from './broker-metrics.js';
import type { FramePool } from './frame-pool.js';
import { Produce } from './protocol/messages.js';

export interface ConnectionLimits {
  maxRequestBytes: number;
  maxInFlight: number;
  maxBufferedBytes: number;
  idleTimeoutMs: number;
  /** Reusable buffers for multi-read Produce frames; absent = a fresh buffer per frame. */
  framePool?: FramePool;
}

interface Slot {
  chunks: Buffer[] | null; // null until the handler finishes; [] = send nothing
}

/** Smallest possible request header: key, version, correlation id, client id length. */
const MIN_FRAME = 10;

export class Connection {
  private readonly input: Buffer[] = [];
  private inputBytes = 0;
  private readonly queue: Slot[] = [];
  private paused = false;
  private parsing = false;
  private closing = false;
  private closed = false;
  private readonly abort = new AbortController();
  private drainWaiters: (() => void)[] = [];
  private readonly clientHost: string;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly broker: BrokerContext,
    private readonly metrics: BrokerMetrics,
    private readonly limits: ConnectionLimits,
  ) {
    this.clientHost = socket.remoteAddress ?? '';
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.updateFlow());
    socket.on('error', () => {
      // 'close' follows; nothing a peer does on the wire is worth more than closing.
    });
    socket.on('close', () => this.onClose());
    if (limits.idleTimeoutMs > 0) {
      socket.setTimeout(limits.idleTimeoutMs, () => {
        if (this.queue.length === 0) this.destroy('idle');
      });
    }
    const onShutdown = (): void => this.abort.abort();
    broker.signal.addEventListener('abort', onShutdown, { once: true });
    this.abort.signal.addEventListener('abort', () => broker.signal.removeEventListener('abort', onShutdown), { once: true });
  }

  get inFlight(): number {
    return this.queue.length;
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.closing) return;
    this.metrics.bytesIn.inc(chunk.length);
    this.input.push(chunk);
    this.inputBytes += chunk.length;
    this.parse();
    this.updateFlow();
  }

  private parse(): void {
    // Handlers that finish synchronously flush, and flushing parses again: the guard keeps
    // that from recursing once per pipelined frame (the loop below picks them up instead).
    if (this.parsing) return;
    this.parsing = true;
    try {
      this.parseFrames();
    } finally {
      this.parsing = false;
    }
  }

  private parseFrames(): void {
    while (
      !this.closed &&
      !this.closing &&
      this.queue.length < this.limits.maxInFlight &&
      this.socket.writableLength <= this.limits.maxBufferedBytes &&
      this.inputBytes >= 4
    ) {
      const size = this.peekInt32();
      if (size < MIN_FRAME || size > this.limits.maxRequestBytes) {
        this.destroy(size > this.limits.maxRequestBytes ? 'oversized' : 'malformed');
        return;
      }
      if (this.inputBytes < 4 + size) return;
      const pool = this.limits.framePool;
      const borrowed = pool !== undefined && this.input[0]!.length < 4 + size && this.peekApiKey() === Produce.apiKey ? pool.borrow(4 + size) : undefined;
      const frame = this.take(4 + size, borrowed).subarray(4);
      this.dispatch(frame, borrowed);
    }
  }

  private peekInt32(): number {
    const first = this.input[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.concat(this.input, 4);
    return head.readInt32BE(0);
  }

  /** The API key of the frame at the head of the input (the whole frame is buffered). */
  private peekApiKey(): number {
    const first = this.input[0]!;
    if (first.length >= 6) return first.readInt16BE(4);
    return Buffer.concat(this.input, 6).readInt16BE(4);
  }

  /** Removes and returns the next n bytes; zero-copy when they sit in one chunk, else copied into `into` (or a fresh buffer). */
  private take(n: number, into?: Buffer): Buffer {
    const first = this.input[0]!;
    this.inputBytes -= n;
    if (first.length >= n) {
      if (first.length === n) this.input.shift();
      else this.input[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = into === undefined ? Buffer.allocUnsafe(n) : into.subarray(0, n);
    let at = 0;
    while (at < n) {
      const c = this.input[0]!;
      const want = n - at;
      if (c.length <= want) {
        c.copy(out, at);
        at += c.length;
        this.input.shift();
      } else {
        c.copy(out, at, 0, want);
        this.input[0] = c.subarray(want);
        at += want;
      }
    }
    return out;
  }

  /**
   * `borrowed`: the pool buffer holding the frame, returned to the pool only when the handler
   * answered normally (it settles after its appends did); on any failure it is simply dropped.
   */
  private dispatch(frame: Buffer, borrowed?: Buffer): void {
    let header: RequestHeader;
    const r = new ByteReader(frame);
    try {
      header = readRequestHeader(r);
    } catch {
      this.destroy('malformed');
      return;
    }
    const handler = this.broker.registry.get(header.apiKey);
    if (!handler) {
      this.metrics.request(header.apiKey);
      this.destroy('unknown_api');
      return;
    }
    if (header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
      this.metrics.request(header.apiKey);
      if (header.apiKey === ApiVersions.apiKey) {
        // Kafka answers in the v0 shape so any client can read the supported range and retry.
        this.metrics.error(header.apiKey, KafkaError.UNSUPPORTED_VERSION);
        const slot: Slot = { chunks: null };
        this.queue.push(slot);
        slot.chunks = this.encode(handler, header.correlationId, 0, apiVersionsBody(this.broker.registry, KafkaError.UNSUPPORTED_VERSION));
        this.flush();
        return;
      }
      this.destroy('unsupported_version');
      return;
    }
    let request: unknown;
    try {
      if (isFlexible(handler.schema, header.apiVersion)) skipTaggedFields(r);
      request = decodeMessage(handler.schema, 'request', header.apiVersion, r);
    } catch {
      this.metrics.request(header.apiKey);
      this.destroy('malformed');
      return;
    }
    this.metrics.request(header.apiKey);
    const slot: Slot = { chunks: null };
    this.queue.push(slot);
    const ctx: RequestContext = {
      header,
      version: header.apiVersion,
      connectionId: this.id,
      clientHost: this.clientHost,
      broker: this.broker,
      signal: this.abort.signal,
    };
    const started = performance.now();
    let result: ReturnType<Handler['handle']>;
    try {
      result = handler.handle(request, ctx);
    } catch (err) {
      this.fail(header, err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (res) => {
          if (borrowed !== undefined) this.limits.framePool?.release(borrowed);
          this.complete(slot, handler, header, res, started);
        },
        (err: unknown) => this.fail(header, err),
      );
    } else {
      if (borrowed !== undefined) this.limits.framePool?.release(borrowed);
      this.complete(slot, handler, header, result, started);
    }
  }

  private complete(slot: Slot, handler: Handler, header: RequestHeader, res: unknown, started: number): void {
    this.metrics.duration(header.apiKey, (performance.now() - started) / 1000);
    if (this.closed) return;
    if (res === NO_RESPONSE) {
      slot.chunks = [];
    } else {
      this.metrics.countErrors(header.apiKey, res);
      try {
        slot.chunks = this.encode(handler, header.correlationId, header.apiVersion, res as object);
      } catch (err) {
        this.fail(header, err);
        return;
      }
    }
    this.flush();
  }

  private encode(handler: Handler, correlationId: number, version: number, body: object): Buffer[] {
    const out = new FrameOut(256);
    const sizeAt = out.w.reserve(4);
    // ApiVersions always answers with response header v0.
    writeResponseHeader(out.w, correlationId, handler.apiKey !== ApiVersions.apiKey && isFlexible(handler.schema, version));
    encodeMessage(handler.schema, 'response', version, body, out);
    out.w.patchInt32(sizeAt, out.length - 4);
    return out.chunks();
  }

  private fail(header: RequestHeader, err: unknown): void {
    this.metrics.error(header.apiKey, KafkaError.UNKNOWN_SERVER_ERROR);
    if (!isSluiceError(err) || err.code === 'INTERNAL') {
      console.error(`sluice broker: API ${header.apiKey} v${header.apiVersion} handler failed:`, err);
    }
    this.destroy('handler_error');
  }

  /** Writes every finished response at the head of the queue, in request order. */
  private flush(): void {
    if (this.closed) return;
    let wrote = false;
    while (this.queue.length > 0 && this.queue[0]!.chunks !== null) {
      const chunks = this.queue.shift()!.chunks!;
      if (chunks.length === 0) continue;
      if (!wrote) this.socket.cork();
      wrote = true;
      for (const c of chunks) {
        this.metrics.bytesOut.inc(c.length);
        this.socket.write(c);
      }
    }
    if (wrote) this.socket.uncork();
    if (this.queue.length === 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
    this.parse();
    this.updateFlow();
  }

  private updateFlow(): void {
    if (this.closed) return;
    const stop = this.closing || this.queue.length >= this.limits.maxInFlight || this.socket.writableLength > this.limits.maxBufferedBytes;
    if (stop && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!stop && this.paused) {
      this.paused = false;
      this.socket.resume();
      // Bytes that arrived while paused may already hold whole frames.
      this.parse();
    }
  }

  /** Stops reading, lets in-flight requests finish (or `timeoutMs` pass), then closes. */
  async drainAndClose(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.updateFlow();
    if (this.queue.length > 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.drainWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (!this.closed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.socket.destroy();
          resolve();
        }, Math.min(timeoutMs, 2000));
        this.socket.end(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.socket.destroy();
  }

  destroy(reason: string): void {
    if (this.closed) return;
    this.metrics.closed(reason);
    this.socket.destroy();
    this.onClose();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.input.length = 0;
    this.inputBytes = 0;
    this.queue.length = 0;
    this.abort.abort();
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
    this.onClosed?.(this);
  }

  onClosed: ((c: Connection) => void) | undefined;
}
