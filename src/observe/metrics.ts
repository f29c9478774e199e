// One metrics registry for the whole process: the broker, the engine and the connectors
// register counters, gauges and histograms here, and observe/ exposes them in the
// Prometheus text format. Hot paths look a labelled child up once and keep it:
// `const c = requests.labels('produce', 'NONE'); ... c.inc()` costs one addition.
import { SluiceError } from '../errors.js';

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Default latency buckets in seconds, from 100 µs to 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

type MetricType = 'counter' | 'gauge' | 'histogram';

abstract class Metric<Child> {
  private readonly children = new Map<string, { values: readonly string[]; child: Child }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  abstract readonly type: MetricType;
  protected abstract newChild(): Child;
  /** Lines of the exposition for one child, given its rendered label set. */
  protected abstract render(name: string, labels: string, child: Child, lines: string[]): void;

  /** The child for these label values (created on first use). */
  labels(...values: string[]): Child {
    if (values.length !== this.labelNames.length) {
      throw new SluiceError(
        'INVALID_ARGUMENT',
        `metric ${this.name} takes ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`,
      );
    }
    const key = values.length === 1 ? values[0]! : values.join('\u0000');
    let entry = this.children.get(key);
    if (!entry) {
      entry = { values: [...values], child: this.newChild() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  /** Every child with its label values, for readers other than the exposition (the UI). */
  entries(): { labels: Record<string, string>; child: Child }[] {
    return [...this.children.values()].map(({ values, child }) => ({
      labels: Object.fromEntries(this.labelNames.map((n, i) => [n, values[i]!])),
      child,
    }));
  }

  expose(lines: string[]): void {
    lines.push(`# HELP ${this.name} ${escapeHelp(this.help)}`);
    lines.push(`# TYPE ${this.name} ${this.type}`);
    for (const { values, child } of this.children.values()) {
      const labels = this.labelNames.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`).join(',');
      this.render(this.name, labels, child, lines);
    }
  }
}

export class CounterChild {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

export class Counter extends Metric<CounterChild> {
  readonly type = 'counter';
  protected newChild(): CounterChild {
    return new CounterChild();
  }
  protected render(name: string, labels: string, child: CounterChild, lines: string[]): void {
    lines.push(`${name}${labels ? `{${labels}}` : ''} ${formatValue(child.value)}`);
  }
  inc(n = 1): void {
    this.labels().inc(n);
  }
}

export class GaugeChild {
  value = 0;
  set(v: number): void {
    this.value = v;
  }
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
}

export class Gauge extends Metric<GaugeChild> {
  readonly type = 'gauge';
  private collectors: (() => void)[] = [];
  protected newChild(): GaugeChild {
    return new GaugeChild();
  }
  protected render(name: string, labels: string, child: GaugeChild, lines: string[]): void {
    lines.push(`${name}${labels ? `{${labels}}` : ''} ${formatValue(child.value)}`);
  }
  set(v: number): void {
    this.labels().set(v);
  }
  inc(n = 1): void {
    this.labels().inc(n);
  }
  dec(n = 1): void {
    this.labels().dec(n);
  }
  /** Runs `fn` before each exposition, for values cheaper to read than to track (lag, sizes). */
  collect(fn: () => void): void {
    this.collectors.push(fn);
  }
  override expose(lines: string[]): void {
    for (const fn of this.collectors) fn();
    super.expose(lines);
  }
}

export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = new Float64Array(buckets.length);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
  /** Approximate quantile from the buckets (linear within a bucket), for the UI. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      const c = this.counts[i]!;
      if (seen + c >= rank) {
        const lower = i === 0 ? 0 : this.buckets[i - 1]!;
        const upper = this.buckets[i]!;
        return c === 0 ? upper : lower + ((rank - seen) / c) * (upper - lower);
      }
      seen += c;
    }
    return this.buckets[this.buckets.length - 1] ?? 0;
  }
}

export class Histogram extends Metric<HistogramChild> {
  readonly type = 'histogram';
  constructor(name: string, help: string, labelNames: readonly string[], readonly buckets: readonly number[]) {
    super(name, help, labelNames);
  }
  protected newChild(): HistogramChild {
    return new HistogramChild(this.buckets);
  }
  protected render(name: string, labels: string, child: HistogramChild, lines: string[]): void {
    const sep = labels ? ',' : '';
    let cumulative = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      cumulative += child.counts[i]!;
      lines.push(`${name}_bucket{${labels}${sep}le="${formatValue(this.buckets[i]!)}"} ${cumulative}`);
    }
    lines.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${child.count}`);
    const braces = labels ? `{${labels}}` : '';
    lines.push(`${name}_sum${braces} ${formatValue(child.sum)}`);
    lines.push(`${name}_count${braces} ${child.count}`);
  }
  observe(v: number): void {
    this.labels().observe(v);
  }
}

type AnyMetric = Counter | Gauge | Histogram;

export class MetricsRegistry {
  private readonly metrics = new Map<string, AnyMetric>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(name, 'counter', () => new Counter(name, help, check(name, labelNames)));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(name, 'gauge', () => new Gauge(name, help, check(name, labelNames)));
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = DEFAULT_BUCKETS,
  ): Histogram {
    const sorted = [...buckets].sort((a, b) => a - b);
    return this.register(name, 'histogram', () => new Histogram(name, help, check(name, labelNames), sorted));
  }

  get(name: string): AnyMetric | undefined {
    return this.metrics.get(name);
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  expose(): string {
    const lines: string[] = [];
    for (const m of this.metrics.values()) m.expose(lines);
    return lines.length ? `${lines.join('\n')}\n` : '';
  }

  // Registering the same name twice returns the first metric (so two brokers in one
  // process share counters) but a different type under one name is a programming error.
  private register<M extends AnyMetric>(name: string, type: MetricType, make: () => M): M {
    const existing = this.metrics.get(name);
    if (existing) {
      if (existing.type !== type) {
        throw new SluiceError('INVALID_ARGUMENT', `metric ${name} is already registered as a ${existing.type}`);
      }
      return existing as M;
    }
    const m = make();
    this.metrics.set(name, m);
    return m;
  }
}

function check(name: string, labelNames: readonly string[]): readonly string[] {
  if (!NAME_RE.test(name)) throw new SluiceError('INVALID_ARGUMENT', `invalid metric name '${name}'`);
  for (const l of labelNames) {
    if (!LABEL_RE.test(l) || l.startsWith('__') || l === 'le') {
      throw new SluiceError('INVALID_ARGUMENT', `invalid label name '${l}' on metric ${name}`);
    }
  }
  return [...labelNames];
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
