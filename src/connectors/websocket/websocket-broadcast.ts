// A WebSocket broadcast endpoint (ws, 127.0.0.1 by default) that browsers subscribe to, and
// the sink that feeds it. Each client has a bounded send buffer: before every send the
// client's `bufferedAmount` is checked, and a client over the limit is dropped (closed with
// code 1013 and a reason, then terminated if the close cannot get through). A slow client
// therefore costs at most the limit in memory and never slows the pipeline: sends never wait.
// At-most-once by nature (a client sees what is sent while it is connected).
// The endpoint lives apart from any job, so a restarted job keeps the same port and clients.
// May import: engine/sinks (types), errors, ws.
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import type { Sink, SinkWriter } from '../../engine/sinks/sink.js';
import { SluiceError } from '../../errors.js';

export interface WebSocketBroadcastOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (any free port; read `.port`). */
  readonly port?: number;
  /** URL path clients connect to (default any). */
  readonly path?: string;
  /** Unsent bytes a client may have before it is dropped (default 1 MiB). */
  readonly maxBufferedBytes?: number;
  /** Largest message a client may send us (default 4 KiB; clients only listen). */
  readonly maxClientPayload?: number;
  /** Most clients at once (default 1000); more are refused. */
  readonly maxClients?: number;
}

export interface WebSocketBroadcastStats {
  sent: number;
  dropped: number;
  clients: number;
  /** Largest bufferedAmount seen on any client before a send. */
  maxBuffered: number;
}

export class WebSocketBroadcast {
  readonly stats: WebSocketBroadcastStats = { sent: 0, dropped: 0, clients: 0, maxBuffered: 0 };
  private readonly maxBuffered: number;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly port: number,
    readonly host: string,
    options: WebSocketBroadcastOptions,
  ) {
    this.maxBuffered = options.maxBufferedBytes ?? 1 << 20;
  }

  static async start(options: WebSocketBroadcastOptions = {}): Promise<WebSocketBroadcast> {
    const host = options.host ?? '127.0.0.1';
    const maxClients = options.maxClients ?? 1000;
    const wss = new WebSocketServer({ host, port: options.port ?? 0, maxPayload: options.maxClientPayload ?? 4096, ...(options.path ? { path: options.path } : {}) });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', (err) => reject(new SluiceError('CONNECTION_FAILED', `websocket: cannot listen: ${err.message}`, { cause: err })));
    });
    const b = new WebSocketBroadcast(wss, (wss.address() as AddressInfo).port, host, options);
    wss.on('connection', (ws) => {
      if (wss.clients.size > maxClients) {
        ws.close(1013, 'too many clients');
        return;
      }
      b.stats.clients = wss.clients.size;
      ws.on('error', () => ws.terminate());
      ws.on('close', () => (b.stats.clients = wss.clients.size));
    });
    wss.on('error', () => undefined);
    return b;
  }

  get url(): string {
    return `ws://${this.host}:${this.port}`;
  }

  /** Sends one text message to every client that keeps up; drops the ones that do not. */
  broadcast(messages: readonly string[]): void {
    for (const ws of this.wss.clients) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      for (const m of messages) {
        const buffered = ws.bufferedAmount;
        if (buffered > this.stats.maxBuffered) this.stats.maxBuffered = buffered;
        if (buffered > this.maxBuffered) {
          this.drop(ws);
          break;
        }
        ws.send(m);
        this.stats.sent++;
      }
    }
  }

  private drop(ws: WebSocket): void {
    this.stats.dropped++;
    ws.close(1013, 'slow consumer: send buffer full');
    // The close frame waits behind the full buffer; do not wait for it.
    const t = setTimeout(() => ws.terminate(), 1000);
    t.unref();
    ws.once('close', () => clearTimeout(t));
  }

  /** A sink broadcasting each record as one message (JSON by default). */
  sink<T>(encode: (value: T) => string = (v) => JSON.stringify(v), name = 'websocket'): Sink<T> {
    return {
      name,
      createWriter: async (): Promise<SinkWriter<T>> => ({
        write: (values) => {
          const msgs = new Array<string>(values.length);
          for (let i = 0; i < values.length; i++) msgs[i] = encode(values[i] as T);
          this.broadcast(msgs);
        },
        close: async () => undefined,
      }),
    };
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
