// Dead letters (design decision 8): a record a source cannot read (bad encoding, failed
// validation, a tombstone where a value is needed) is written to a dead-letter topic of the
// embedded log with the reason and its origin in headers, and counted, so a bad record never
// stops a pipeline and is never silently lost. This is the ONE writer: the engine's topic
// source and every connector source (Kafka, files) route bad records through it.
// It writes through LogAccess, so it works in the thread that owns the Log and inside a worker
// (through the runtime's log proxy); one encoded batch per call, no Promise per record.
// The metrics registry is typed structurally (the part of observe/metrics.ts used here): the
// engine does not import observe/.
// May import: sources/log-access.ts, sources/topic-log.ts, sources/source.ts (types), codec/, errors.
import type { LogAccess } from './log-access.js';
import type { SourceContext } from './source.js';
import type { RecordHeader } from '../../codec/record-batch.js';
import { logAccessFrom } from './topic-log.js';
import { encodeBatch } from '../../codec/record-batch.js';
import { SluiceError } from '../../errors.js';

/** Header names on every dead letter (values are UTF-8 text). */
export const DLQ_HEADERS = {
  /** The error's message. */
  reason: 'sluice.dlq.reason',
  /** Where the record came from: source topic (or file path). */
  topic: 'sluice.dlq.topic',
  partition: 'sluice.dlq.partition',
  /** Offset in the partition (a file's byte offset). */
  offset: 'sluice.dlq.offset',
  /** The original record's timestamp (ms), when the source knows it. */
  timestamp: 'sluice.dlq.timestamp',
  /** When the record failed (ms); also the dead letter's own record timestamp. */
  failedAt: 'sluice.dlq.failed-at',
  format: 'sluice.dlq.format',
  /** The SluiceError code (e.g. DESERIALIZATION_FAILED, SCHEMA_NOT_FOUND). */
  errorCode: 'sluice.dlq.error-code',
  /** The error's `details.reason` when it has one (e.g. WRONG_MAGIC_BYTE, TRUNCATED, NOT_JSON). */
  errorReason: 'sluice.dlq.error-reason',
} as const;

export const DEAD_LETTERS_METRIC = 'sluice_dead_letters_total';

/** The job counter (SourceContext.count) dead letters are added to. */
export const DEAD_LETTERS_COUNTER = 'dead-letters';

/** What is used of observe/metrics.ts MetricsRegistry. */
export interface CounterRegistry {
  counter(name: string, help: string, labelNames: readonly string[]): { labels(...values: string[]): { inc(n?: number): void } };
}

export interface DeadLetter {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Why: a SluiceError gives code and details.reason headers; anything else is DESERIALIZATION_FAILED. */
  readonly error: unknown;
  /** Partition (a file path for file sources) and offset (a byte offset) of the record. */
  readonly partition: string | number;
  readonly offset: number;
  /** The original record's timestamp; omitted (or not finite / negative) when unknown. */
  readonly timestamp?: number;
}

export interface DeadLetterWriterOptions {
  /** The source's name in headers and the metric label (topic name, file path). */
  readonly source: string;
  /** Dead-letter topic; false counts and drops bad records. */
  readonly topic: string | false;
  /** Required unless topic is false. */
  readonly log?: LogAccess;
  readonly metrics?: CounterRegistry;
  /** The format's name, for the header. */
  readonly format: string;
  /** The job's counter (SourceContext.count). */
  readonly count?: (metric: string, n?: number) => void;
  /** Time of failure (default Date.now). */
  readonly clock?: () => number;
}

function isCounterRegistry(v: unknown): v is CounterRegistry {
  return typeof v === 'object' && v !== null && typeof (v as { counter?: unknown }).counter === 'function';
}

export class DeadLetterWriter {
  readonly source: string;
  readonly topic: string | false;
  private readonly log: LogAccess | undefined;
  private readonly counter: { inc(n?: number): void } | undefined;
  private readonly formatHeader: Buffer;
  private readonly sourceHeader: Buffer;
  private ready: Promise<unknown> | undefined;

  constructor(private readonly options: DeadLetterWriterOptions) {
    this.source = options.source;
    this.topic = options.topic;
    this.log = options.log;
    if (this.topic !== false && !this.log) {
      throw new SluiceError('INVALID_CONFIG', `source "${options.source}": dead letters need the log (resources.log) or deadLetterTopic: false`);
    }
    this.counter = options.metrics?.counter(DEAD_LETTERS_METRIC, 'Records a source could not read, sent to a dead-letter topic', ['source']).labels(options.source);
    this.formatHeader = Buffer.from(options.format);
    this.sourceHeader = Buffer.from(options.source);
  }

  /**
   * The writer of a source: the log from `resources.log` (a Log or a worker's proxy), the
   * registry from `resources.metrics` (optional), the job counter from `ctx.count`. The topic
   * defaults to `<source>.dlq` (a file path becomes e.g. `events.jsonl.dlq`).
   */
  static forSource(source: string, ctx: Pick<SourceContext, 'resources' | 'count'>, format: string, topic?: string | false): DeadLetterWriter {
    const t = topic === undefined ? `${sanitizeTopicName(source)}.dlq` : topic;
    const metrics = ctx.resources['metrics'];
    return new DeadLetterWriter({
      source,
      topic: t,
      log: t === false ? undefined : logAccessFrom(ctx.resources, `source "${source}" (dead letters; or deadLetterTopic: false)`),
      metrics: isCounterRegistry(metrics) ? metrics : undefined,
      format,
      count: (m, n) => ctx.count(m, n),
    });
  }

  /** Counts the letters and writes them to the topic in one append. */
  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    this.counter?.inc(letters.length);
    this.options.count?.(DEAD_LETTERS_COUNTER, letters.length);
    if (this.topic === false || !this.log) return;
    const topic = this.topic;
    const log = this.log;
    // One creation per writer; a failed one is tried again on the next write.
    this.ready ??= log.ensureTopic(topic, 1).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    await this.ready;
    const now = (this.options.clock ?? Date.now)();
    const failedAt = Buffer.from(String(now));
    const records = letters.map((d) => {
      const e = d.error;
      const headers: RecordHeader[] = [
        { key: DLQ_HEADERS.reason, value: Buffer.from(e instanceof Error ? e.message : String(e)) },
        { key: DLQ_HEADERS.topic, value: this.sourceHeader },
        { key: DLQ_HEADERS.partition, value: Buffer.from(String(d.partition)) },
        { key: DLQ_HEADERS.offset, value: Buffer.from(String(d.offset)) },
      ];
      if (d.timestamp !== undefined && Number.isFinite(d.timestamp) && d.timestamp >= 0) headers.push({ key: DLQ_HEADERS.timestamp, value: Buffer.from(String(d.timestamp)) });
      headers.push(
        { key: DLQ_HEADERS.failedAt, value: failedAt },
        { key: DLQ_HEADERS.format, value: this.formatHeader },
        { key: DLQ_HEADERS.errorCode, value: Buffer.from(e instanceof SluiceError ? e.code : 'DESERIALIZATION_FAILED') },
      );
      const reason = e instanceof SluiceError ? e.details?.['reason'] : undefined;
      if (typeof reason === 'string') headers.push({ key: DLQ_HEADERS.errorReason, value: Buffer.from(reason) });
      return { key: d.key, value: d.value, timestamp: now, headers };
    });
    await log.append(topic, 0, encodeBatch(records));
  }
}

/** Topic names allow [A-Za-z0-9._-]; a file path becomes its base name, e.g. `data_events.jsonl`. */
export function sanitizeTopicName(source: string): string {
  const s = source.replace(/^.*[/\\]/, '').replace(/[^A-Za-z0-9._-]/g, '_');
  return s.length === 0 ? 'source' : s.slice(0, 200);
}
