// What every handler can reach: the log, the clock, the metrics registry, the broker's
// configuration (node id, advertised address, auto-creation), and named coordinators
// (the group and transaction coordinators register themselves here lazily, so the broker
// core does not need to know their classes). One BrokerContext per running broker.
// May import: log/ (the Log it serves), observe/metrics.ts, errors.ts.
import type { MetricsRegistry } from '../observe/metrics.js';
import type { HandlerRegistry } from './handlers/registry.js';
import type { Log } from '../log/log.js';

export interface BrokerConfig {
  /** This node's id (Sluice is one node: broker 0, the controller and every coordinator). */
  nodeId: number;
  /** The address clients are told to connect to (Metadata, FindCoordinator). */
  advertisedHost: string;
  advertisedPort: number;
  clusterId: string;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  /** The largest request frame accepted (checked on the length prefix). */
  maxRequestBytes: number;
}

export class BrokerContext {
  readonly log: Log;
  readonly clock: () => number;
  readonly metrics: MetricsRegistry;
  readonly config: BrokerConfig;
  /** The served APIs (ApiVersions answers from it). */
  readonly registry: HandlerRegistry;
  private readonly coordinators = new Map<string, unknown>();
  private readonly shutdownHooks: (() => Promise<void> | void)[] = [];
  private readonly shutdown = new AbortController();

  constructor(options: { log: Log; clock?: () => number; metrics: MetricsRegistry; config: BrokerConfig; registry: HandlerRegistry }) {
    this.log = options.log;
    this.registry = options.registry;
    this.clock = options.clock ?? Date.now;
    this.metrics = options.metrics;
    this.config = options.config;
  }

  /** Aborted when the broker begins shutting down. */
  get signal(): AbortSignal {
    return this.shutdown.signal;
  }

  /**
   * The coordinator registered under `name`, created on first use. `create` may register a
   * shutdown hook with `onShutdown`.
   */
  coordinator<T>(name: string, create: (ctx: BrokerContext) => T): T {
    let c = this.coordinators.get(name);
    if (c === undefined) {
      c = create(this);
      this.coordinators.set(name, c);
    }
    return c as T;
  }

  /** Runs when the broker stops, before the log is flushed and closed (last registered first). */
  onShutdown(fn: () => Promise<void> | void): void {
    this.shutdownHooks.push(fn);
  }

  /**
   * True when `topic` exists, creating it with the default partition count when
   * auto-creation is on and `allowCreate` (Metadata's allow_auto_topic_creation) permits.
   * The log's create-if-absent waits for a creation of the same topic already in progress
   * (another request, the engine, the registry), so true means every partition is open.
   */
  async ensureTopic(topic: string, allowCreate = true): Promise<boolean> {
    if (this.log.hasTopic(topic)) return true;
    if (!this.config.autoCreateTopics || !allowCreate) return false;
    await this.log.createTopic(topic, this.config.defaultPartitions, {}, { ifAbsent: true });
    return true;
  }

  /** @internal Called by the server when it stops: ends long waits. */
  beginShutdown(): void {
    this.shutdown.abort();
  }

  /** @internal Called by the server once in-flight requests are done. */
  async runShutdownHooks(): Promise<void> {
    for (const fn of [...this.shutdownHooks].reverse()) await fn();
  }
}
