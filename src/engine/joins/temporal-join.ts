// Builders for joining a stream with a table kept from a changelog stream:
//   temporalJoin(events.keyBy(e => e.currency), rates.keyBy(r => r.currency))
//     .deletesWhen(r => r.deleted).process((e, rate, ctx, out) => ...)      // AS OF event time
//   lookupJoin(events.keyBy(...), rates.keyBy(...)).apply((e, rate) => ...) // latest row
// Both add one two-input keyed operator through ConnectedStreams.transform (the events are
// input 0, the changelog input 1), so no change to the stream API is needed.
// May import: errors, engine/api, joins/.
import { SluiceError } from '../../errors.js';
import type { DataStream, KeyedStream } from '../api/data-stream.js';
import type { Duration } from '../api/duration.js';
import { toMillis } from '../api/duration.js';
import type { OutputTag } from '../api/output-tag.js';
import type { StreamOperator } from '../operators/operator.js';
import type { JoinOperatorOptions } from './interval-join.js';
import { LookupJoinOperator } from './lookup-join-operator.js';
import type { TemporalJoinFunction } from './temporal-join-operator.js';
import { TemporalJoinOperator } from './temporal-join-operator.js';

/** Event-time temporal join: each event meets the table version valid at its timestamp. */
export function temporalJoin<E, C, K>(events: KeyedStream<E, K>, changelog: KeyedStream<C, K>): TemporalJoinBuilder<E, C, K> {
  return new TemporalJoinBuilder<E, C, K>(events, changelog, 'event-time');
}

/** Processing-time temporal (lookup) join: each event meets the table's latest row on arrival. */
export function lookupJoin<E, C, K>(events: KeyedStream<E, K>, changelog: KeyedStream<C, K>): TemporalJoinBuilder<E, C, K> {
  return new TemporalJoinBuilder<E, C, K>(events, changelog, 'processing-time');
}

export class TemporalJoinBuilder<E, C, K> {
  private isDelete: ((change: C) => boolean) | undefined;
  private outer = false;
  private lateTag: OutputTag<E> | undefined;
  private rowTtlMs: number | undefined;

  constructor(
    readonly events: KeyedStream<E, K>,
    readonly changelog: KeyedStream<C, K>,
    readonly time: 'event-time' | 'processing-time',
  ) {
    if (events.graph !== changelog.graph) throw new SluiceError('INVALID_ARGUMENT', 'temporal join: streams belong to different pipelines');
  }

  /** Which changelog records delete their key's row (tombstones); by default none do. */
  deletesWhen(predicate: (change: C) => boolean): this {
    if (typeof predicate !== 'function') throw new SluiceError('INVALID_ARGUMENT', 'deletesWhen() needs a function (change) => boolean');
    this.isDelete = predicate;
    return this;
  }

  /** Also emit events without a row (the function gets `undefined`), as a LEFT JOIN. */
  leftOuter(): this {
    this.outer = true;
    return this;
  }

  /** Event time only: events behind the watermark go to `tag` instead of being dropped and counted. */
  sideOutputLateData(tag: OutputTag<E>): this {
    if (this.time !== 'event-time') throw new SluiceError('INVALID_ARGUMENT', 'a lookup join has no late data (it joins on arrival)');
    this.lateTag = tag;
    return this;
  }

  /** Processing time only: forget a row this long after its last change. */
  rowTtl(ttl: Duration): this {
    if (this.time !== 'processing-time') throw new SluiceError('INVALID_ARGUMENT', 'rowTtl applies to lookup joins; an event-time temporal join prunes versions by watermark');
    this.rowTtlMs = toMillis(ttl, 'row TTL');
    return this;
  }

  process<OUT>(fn: TemporalJoinFunction<E, C, OUT, K>, options: JoinOperatorOptions = {}): DataStream<OUT> {
    let create: () => StreamOperator<OUT>;
    if (this.time === 'event-time') {
      const config = { isDelete: this.isDelete, leftOuter: this.outer, lateTag: this.lateTag, fn };
      create = () => new TemporalJoinOperator<E, C, OUT, K>(config);
    } else {
      const ttl = this.rowTtlMs;
      const config = { isDelete: this.isDelete, leftOuter: this.outer, rowTtl: ttl === undefined ? undefined : { ttlMs: ttl }, fn };
      create = () => new LookupJoinOperator<E, C, OUT, K>(config);
    }
    // Built once here so a bad configuration fails when the pipeline is defined.
    create();
    const name = options.name ?? (this.time === 'event-time' ? 'temporal-join' : 'lookup-join');
    return this.events.connect(this.changelog).transform<OUT>(name, create, options.uid === undefined ? {} : { uid: options.uid });
  }

  /** One result per joined event: `fn(event, row)` (row undefined only with leftOuter()). */
  apply<OUT>(fn: (event: E, row: C | undefined) => OUT, options: JoinOperatorOptions = {}): DataStream<OUT> {
    if (typeof fn !== 'function') throw new SluiceError('INVALID_ARGUMENT', 'temporal join apply() needs a function (event, row) => result');
    return this.process<OUT>((e, row, _ctx, out) => out.collect(fn(e, row)), options);
  }
}
