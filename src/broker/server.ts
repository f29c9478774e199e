// The Kafka wire-protocol server: a TCP listener (127.0.0.1:9092 by default) whose
// connections (connection.ts) decode requests with the generic protocol codec and answer
// through the handlers registered in handlers/. One node: broker 0, controller and every
// coordinator.
//
// Starting loads the transaction coordinator before the port opens: transactions a crash
// left in PrepareCommit/PrepareAbort are completed then, and Ongoing ones start timing out,
// so read_committed consumers are not held back until some transactional client connects.
//
// Stopping is graceful: stop accepting, end long polls (the shutdown signal), let in-flight
// requests finish, run coordinators' shutdown hooks, then flush the log and write its
// recovery points (when the broker owns the log).
// May import: log/, observe/metrics.ts, everything in broker/ except groups/ and txn/
// internals (they plug in through BrokerContext.coordinator; txn/broker-transactions.ts is
// imported only to start its coordinator eagerly).
import net from 'node:net';
import { SluiceError } from '../errors.js';
import { MetricsRegistry } from '../observe/metrics.js';
import { BrokerContext } from './broker-context.js';
import { BrokerMetrics } from './broker-metrics.js';
import { Connection } from './connection.js';
import { FramePool } from './frame-pool.js';
import type { HandlerRegistry } from './handlers/registry.js';
import { loadHandlers } from './handlers/registry.js';
import type { Log } from '../log/log.js';
import { transactionCoordinatorOf } from './txn/broker-transactions.js';

export interface BrokerOptions {
  /** The log to serve. */
  log: Log;
  /** Close (flush + recovery points) the log when the broker stops. Default true. */
  ownsLog?: boolean;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 9092 (0 = any free port, read `broker.port`). */
  port?: number;
  /** "host:port" clients are told to connect to; default the listen address. */
  advertisedListener?: string;
  autoCreateTopics?: boolean;
  defaultPartitions?: number;
  /** Largest request frame accepted, checked on the length prefix; default 100 MiB. */
  maxRequestBytes?: number;
  /** Requests one connection may have in progress; default 100. */
  maxInFlightPerConnection?: number;
  /** Unsent response bytes per connection before it stops reading; default 8 MiB. */
  maxBufferedBytesPerConnection?: number;
  /** Close connections idle this long; default 10 minutes (Kafka's connections.max.idle.ms). 0 = never. */
  idleTimeoutMs?: number;
  /** How long `stop()` waits for in-flight requests; default 10 s. */
  shutdownTimeoutMs?: number;
  metrics?: MetricsRegistry;
  clock?: () => number;
  clusterId?: string;
  /** Handlers to serve; default every handler file in handlers/. */
  registry?: HandlerRegistry;
}

export const DEFAULT_PORT = 9092;
export const DEFAULT_MAX_REQUEST_BYTES = 100 * 1024 * 1024;

export class Broker {
  readonly context: BrokerContext;
  readonly metrics: MetricsRegistry;
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  /** Shared by every connection: idle Produce frame buffers, bounded (frame-pool.ts). */
  private readonly framePool = new FramePool();
  private nextConnectionId = 1;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: BrokerOptions,
    context: BrokerContext,
    private readonly brokerMetrics: BrokerMetrics,
  ) {
    this.context = context;
    this.metrics = context.metrics;
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: BrokerOptions): Promise<Broker> {
    const metrics = options.metrics ?? new MetricsRegistry();
    const registry = options.registry ?? (await loadHandlers());
    const host = options.host ?? '127.0.0.1';
    const defaultPartitions = options.defaultPartitions ?? 1;
    if (!Number.isInteger(defaultPartitions) || defaultPartitions < 1) {
      throw new SluiceError('INVALID_CONFIG', `default partitions must be a positive integer, got ${defaultPartitions}`);
    }
    const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    if (!Number.isInteger(maxRequestBytes) || maxRequestBytes < 1024 || maxRequestBytes > 0x7fffffff) {
      throw new SluiceError('INVALID_CONFIG', `max request bytes must be an integer in [1024, 2^31-1], got ${maxRequestBytes}`);
    }
    const context = new BrokerContext({
      log: options.log,
      clock: options.clock,
      metrics,
      registry,
      config: {
        nodeId: 0,
        advertisedHost: host,
        advertisedPort: 0,
        clusterId: options.clusterId ?? 'sluice',
        autoCreateTopics: options.autoCreateTopics ?? true,
        defaultPartitions,
        maxRequestBytes,
      },
    });
    try {
      await transactionCoordinatorOf(context);
    } catch (err) {
      // Non-transactional traffic can still be served; the first transactional request
      // retries the start (and answers COORDINATOR_NOT_AVAILABLE while it keeps failing).
      console.error('sluice broker: the transaction coordinator could not start:', err);
    }
    const broker = new Broker({ ...options, maxRequestBytes }, context, new BrokerMetrics(metrics));
    try {
      await broker.listen(host, options.port ?? DEFAULT_PORT);
    } catch (err) {
      // A bad advertised listener is found after binding: release the port. Stop the
      // coordinators' timers; the caller still owns the log it passed.
      if (broker.server.listening) await new Promise<void>((resolve) => broker.server.close(() => resolve()));
      await context.runShutdownHooks();
      throw err;
    }
    return broker;
  }

  private async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new SluiceError('CONNECTION_FAILED', `cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const cfg = this.context.config;
    const adv = this.options.advertisedListener;
    if (adv) {
      const m = /^(?:[a-z]+:\/\/)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/i.exec(adv);
      if (!m) throw new SluiceError('INVALID_CONFIG', `advertised listener must be host[:port], got '${adv}'`);
      cfg.advertisedHost = m[1]!.replace(/^\[|\]$/g, '');
      cfg.advertisedPort = m[2] ? Number(m[2]) : this.port;
    } else {
      cfg.advertisedHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      cfg.advertisedPort = this.port;
    }
  }

  get port(): number {
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.port : 0;
  }

  get host(): string {
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.address : '';
  }

  get openConnections(): number {
    return this.connections.size;
  }

  private accept(socket: net.Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const conn = new Connection(this.nextConnectionId++, socket, this.context, this.brokerMetrics, {
      maxRequestBytes: this.options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
      maxInFlight: this.options.maxInFlightPerConnection ?? 100,
      maxBufferedBytes: this.options.maxBufferedBytesPerConnection ?? 8 * 1024 * 1024,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 10 * 60 * 1000,
      framePool: this.framePool,
    });
    this.connections.add(conn);
    this.brokerMetrics.connections.inc();
    conn.onClosed = (c) => {
      if (this.connections.delete(c)) this.brokerMetrics.connections.dec();
    };
  }

  /** Graceful stop (idempotent): see the file header. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const timeout = this.options.shutdownTimeoutMs ?? 10_000;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.context.beginShutdown();
    await Promise.all([...this.connections].map((c) => c.drainAndClose(timeout)));
    await closed;
    await this.context.runShutdownHooks();
    if (this.options.ownsLog ?? true) await this.options.log.close();
  }
}
