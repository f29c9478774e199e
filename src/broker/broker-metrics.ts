// The broker's metrics, registered once per broker in the shared registry: requests and
// errors per API and Kafka error code, request latency, bytes in/out, open connections
// and connections closed by the broker (by reason); record bytes per topic (TopicBytes). Labelled children are cached so the
// per-request cost is a map lookup and an addition.
// May import: observe/metrics.ts, ./api-names.ts, protocol/error-codes.ts.
import type { Counter, CounterChild, Gauge, Histogram, HistogramChild, MetricsRegistry } from '../observe/metrics.js';
import { apiName } from './api-names.js';
import { kafkaErrorName } from './protocol/error-codes.js';

export class BrokerMetrics {
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly connections: Gauge;
  private readonly requests: Counter;
  private readonly errors: Counter;
  private readonly closes: Counter;
  private readonly latency: Histogram;
  private readonly requestChildren = new Map<number, CounterChild>();
  private readonly latencyChildren = new Map<number, HistogramChild>();

  constructor(registry: MetricsRegistry) {
    this.requests = registry.counter('sluice_broker_requests_total', 'Kafka protocol requests received, by API', ['api']);
    this.errors = registry.counter('sluice_broker_errors_total', 'Kafka error codes answered (non-zero), by API and error', ['api', 'error']);
    this.latency = registry.histogram('sluice_broker_request_duration_seconds', 'Time from request decoded to response ready, by API', ['api']);
    this.bytesIn = registry.counter('sluice_broker_bytes_in_total', 'Bytes read from client connections');
    this.bytesOut = registry.counter('sluice_broker_bytes_out_total', 'Bytes written to client connections');
    this.connections = registry.gauge('sluice_broker_connections', 'Open client connections');
    this.closes = registry.counter('sluice_broker_connections_closed_total', 'Connections closed by the broker, by reason', ['reason']);
  }

  request(apiKey: number): void {
    let c = this.requestChildren.get(apiKey);
    if (!c) {
      c = this.requests.labels(apiName(apiKey));
      this.requestChildren.set(apiKey, c);
    }
    c.inc();
  }

  duration(apiKey: number, seconds: number): void {
    let h = this.latencyChildren.get(apiKey);
    if (!h) {
      h = this.latency.labels(apiName(apiKey));
      this.latencyChildren.set(apiKey, h);
    }
    h.observe(seconds);
  }

  error(apiKey: number, code: number): void {
    this.errors.labels(apiName(apiKey), kafkaErrorName(code)).inc();
  }

  closed(reason: string): void {
    this.closes.labels(reason).inc();
  }

  /** Counts every non-zero errorCode in a response (top level, per topic, per partition). */
  countErrors(apiKey: number, response: unknown): void {
    walk(response, (code) => this.error(apiKey, code));
  }
}

/**
 * Record-batch bytes per topic through the Kafka protocol (produced, fetched), one child per
 * topic cached so a produce or fetch costs a map lookup and an addition per partition batch.
 * Only topics that exist get a child (appends and reads of unknown topics fail first).
 */
export class TopicBytes {
  private readonly bytesIn: Counter;
  private readonly bytesOut: Counter;
  private readonly inChildren = new Map<string, CounterChild>();
  private readonly outChildren = new Map<string, CounterChild>();

  constructor(registry: MetricsRegistry) {
    this.bytesIn = registry.counter('sluice_bytes_in_total', 'Record batch bytes produced to a topic through the Kafka protocol', ['topic']);
    this.bytesOut = registry.counter('sluice_bytes_out_total', 'Record batch bytes fetched from a topic through the Kafka protocol', ['topic']);
  }

  produced(topic: string, bytes: number): void {
    let c = this.inChildren.get(topic);
    if (!c) this.inChildren.set(topic, (c = this.bytesIn.labels(topic)));
    c.inc(bytes);
  }

  fetched(topic: string, bytes: number): void {
    let c = this.outChildren.get(topic);
    if (!c) this.outChildren.set(topic, (c = this.bytesOut.labels(topic)));
    c.inc(bytes);
  }
}

const topicBytesOf = new WeakMap<MetricsRegistry, TopicBytes>();

/** The per-topic byte counters of a registry (handlers reach the registry through their context). */
export function topicBytes(registry: MetricsRegistry): TopicBytes {
  let t = topicBytesOf.get(registry);
  if (!t) topicBytesOf.set(registry, (t = new TopicBytes(registry)));
  return t;
}

function walk(v: unknown, onError: (code: number) => void): void {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) walk(v[i], onError);
    return;
  }
  // for-in, not Object.entries: this runs on every response, and entries() allocated an array
  // per key (the largest share of what a produce request allocated).
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'number') {
      if (x !== 0 && (k === 'errorCode' || k === 'partitionErrorCode')) onError(x);
    } else if (typeof x === 'object') {
      walk(x, onError);
    }
  }
}
