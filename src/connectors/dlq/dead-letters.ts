// Dead letters: a record a source cannot read (bad encoding, failed validation) is written to
// a dead-letter topic of the embedded log with the reason and its origin in headers, and
// counted in `sluice_dead_letters_total{source}`, so a bad record never stops a pipeline and
// is never silently lost. Every connector source routes bad records through this one writer.
// The topic is `<source>.dlq` by default, created with one partition on first use.
// Looks the log up as resources.log and the registry as resources.metrics (both optional:
// without a log, dead letters are counted and dropped only when the user said so).
// May import: engine/sources (types), errors. The metrics registry is typed structurally (the
// part of observe/metrics.ts MetricsRegistry used here), so this file can move into the engine.
import type { TopicLog } from '../../engine/sources/topic-log.js';
import { SluiceError } from '../../errors.js';

/** Header names on every dead letter (values are UTF-8 text). */
export const DLQ_HEADERS = {
  reason: 'sluice.dlq.reason',
  topic: 'sluice.dlq.topic',
  partition: 'sluice.dlq.partition',
  offset: 'sluice.dlq.offset',
  timestamp: 'sluice.dlq.timestamp',
  format: 'sluice.dlq.format',
} as const;

export const DEAD_LETTERS_METRIC = 'sluice_dead_letters_total';

/** What is used of observe/metrics.ts MetricsRegistry. */
export interface CounterRegistry {
  counter(name: string, help: string, labelNames: readonly string[]): { labels(...values: string[]): { inc(n?: number): void } };
}

export interface DeadLetter {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly reason: string;
  /** Where the record came from: topic (or file path), partition, offset (or byte offset), record timestamp. */
  readonly partition: string | number;
  readonly offset: number;
  readonly timestamp: number;
}

export interface DeadLetterOptions {
  /** Dead-letter topic; default `<source>.dlq`; false counts and drops bad records. */
  readonly topic?: string | false;
}

export class DeadLetterWriter {
  private readonly counter: { inc(n?: number): void } | undefined;
  private created = false;

  constructor(
    /** Name of the source as it appears in headers and the metric label (topic name, file path). */
    readonly source: string,
    readonly topic: string | false,
    private readonly log: TopicLog | undefined,
    metrics: CounterRegistry | undefined,
    private readonly format: string,
    private readonly countJob?: (metric: string, n?: number) => void,
  ) {
    this.counter = metrics?.counter(DEAD_LETTERS_METRIC, 'Records a source could not read, sent to a dead-letter topic', ['source']).labels(source);
    if (topic !== false && !log) {
      throw new SluiceError('INVALID_CONFIG', `source "${source}": dead letters need the log (resources.log) or deadLetterTopic: false`);
    }
  }

  /** Builds the writer from a source's resources. */
  static forSource(
    source: string,
    resources: Readonly<Record<string, unknown>>,
    format: string,
    options: DeadLetterOptions = {},
    countJob?: (metric: string, n?: number) => void,
  ): DeadLetterWriter {
    const log = resources['log'] as TopicLog | undefined;
    const metrics = resources['metrics'] as CounterRegistry | undefined;
    const topic = options.topic === undefined ? `${sanitize(source)}.dlq` : options.topic;
    return new DeadLetterWriter(source, topic, log && typeof log.partition === 'function' ? log : undefined, metrics, format, countJob);
  }

  /** Writes the letters (one append) and counts them. */
  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    this.counter?.inc(letters.length);
    this.countJob?.('dead-letters', letters.length);
    if (this.topic === false || !this.log) return;
    const log = this.log;
    if (!this.created && !log.hasTopic(this.topic)) {
      try {
        await log.createTopic(this.topic, 1);
      } catch (err) {
        if (!(err instanceof SluiceError && err.code === 'TOPIC_EXISTS')) throw err;
      }
    }
    this.created = true;
    await log.partition(this.topic, 0).appendRecords(
      letters.map((d) => ({
        key: d.key,
        value: d.value,
        headers: [
          { key: DLQ_HEADERS.reason, value: Buffer.from(d.reason) },
          { key: DLQ_HEADERS.topic, value: Buffer.from(this.source) },
          { key: DLQ_HEADERS.partition, value: Buffer.from(String(d.partition)) },
          { key: DLQ_HEADERS.offset, value: Buffer.from(String(d.offset)) },
          { key: DLQ_HEADERS.timestamp, value: Buffer.from(String(d.timestamp)) },
          { key: DLQ_HEADERS.format, value: Buffer.from(this.format) },
        ],
      })),
    );
  }
}

/** Topic names allow [A-Za-z0-9._-]; a file path becomes e.g. `data_events.jsonl.dlq`. */
export function sanitize(source: string): string {
  const s = source.replace(/^.*[/\\]/, '').replace(/[^A-Za-z0-9._-]/g, '_');
  return s.length === 0 ? 'source' : s.slice(0, 200);
}
