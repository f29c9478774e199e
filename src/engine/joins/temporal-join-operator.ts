// The event-time temporal join (Flink SQL's `JOIN table FOR SYSTEM_TIME AS OF e.rowtime`):
// input 0 is a stream of events, input 1 a changelog of a table (upserts and deletes by the
// table's primary key, e.g. a compacted topic), both keyed by that key. Each event is joined
// with the table version that was valid at the event's timestamp: the latest change with
// change.ts <= event.ts. Because a change for that instant may still be in flight, events wait
// in keyed state until the watermark passes them (an event-time timer at event.ts); then they
// are emitted in timestamp order and the table's history is pruned to what future events can
// still need: every version after the watermark plus the latest one at or before it (dropped
// too when it is a delete). Versions and waiting events live in keyed MapState, so checkpoints
// and rescaling carry the whole operator.
// May import: errors, engine/api (types), engine/operators, engine/state, engine/time, joins/.
import type { Collector } from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import type { OperatorContext } from '../operators/operator.js';
import { mapStateDescriptor } from '../state/descriptors.js';
import type { MapState, StateKey } from '../state/types.js';
import type { InternalTimerService, Triggerable } from '../time/timer-service.js';
import { KeyedJoinOperator, addToBucket, checkTableJoinConfig } from './keyed-join-operator.js';

/** What a temporal join function sees besides the event and the row; reused between calls. */
export interface TemporalJoinContext<K> {
  /** The event's timestamp (also the result's). */
  readonly timestamp: number;
  /** Timestamp of the table version joined, or NaN when there is none (outer join). */
  readonly versionTimestamp: number;
  getCurrentKey(): K;
  currentWatermark(): number;
  output<S>(tag: OutputTag<S>, value: S): void;
}

/** Called per event with the matching row (undefined only in a left outer join). */
export type TemporalJoinFunction<E, C, OUT, K = unknown> = (event: E, row: C | undefined, ctx: TemporalJoinContext<K>, out: Collector<OUT>) => void;

/** What both table joins (temporal and lookup) are configured with. */
export interface TableJoinConfig<E, C, OUT, K> {
  /** True for a change that deletes the row (a tombstone); default: no change deletes. */
  readonly isDelete?: ((change: C) => boolean) | undefined;
  /** Emit events without a row too (row undefined); default inner join. */
  readonly leftOuter?: boolean | undefined;
  readonly fn: TemporalJoinFunction<E, C, OUT, K>;
}

export interface TemporalJoinConfig<E, C, OUT, K> extends TableJoinConfig<E, C, OUT, K> {
  /** Events arriving at or behind the watermark go here; dropped and counted otherwise. */
  readonly lateTag?: OutputTag<E> | undefined;
}

/** A stored version: [1, null] for a delete, [0, row] for an upsert. */
type Version<C> = [0, C] | [1, null];

export const TEMPORAL_JOIN_EVENTS_STATE = 'temporal-join-events';
export const TEMPORAL_JOIN_VERSIONS_STATE = 'temporal-join-versions';
export const TEMPORAL_JOIN_TIMERS = 'temporal-join';

const byTime = (a: [number, unknown], b: [number, unknown]): number => a[0] - b[0];

export class TemporalJoinOperator<E, C, OUT, K = unknown> extends KeyedJoinOperator<OUT, K> implements Triggerable<null>, TemporalJoinContext<K> {
  private timers!: InternalTimerService<null>;
  private events!: MapState<number, E[]>;
  private versions!: MapState<number, Version<C>>;

  versionTimestamp = Number.NaN;

  constructor(private readonly config: TemporalJoinConfig<E, C, OUT, K>) {
    super();
    checkTableJoinConfig('temporal join', config);
  }

  override open(ctx: OperatorContext<OUT>): void {
    const keyed = this.openKeyed(ctx, 'a temporal join needs the event stream and the changelog keyed by the table key');
    this.timers = keyed.timerService<null>(TEMPORAL_JOIN_TIMERS, this);
    this.events = keyed.backend.getMapState(mapStateDescriptor<number, E[]>(TEMPORAL_JOIN_EVENTS_STATE));
    this.versions = keyed.backend.getMapState(mapStateDescriptor<number, Version<C>>(TEMPORAL_JOIN_VERSIONS_STATE));
  }

  processBatch(values: readonly unknown[], timestamps: readonly number[], input: number): void {
    const isDelete = this.config.isDelete;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const ts = timestamps[i] as number;
      this.requireTimestamp(ts, 'an event-time temporal join needs event timestamps on both inputs');
      this.selectKey(v, input);
      if (input === 0) {
        if (ts <= this.timers.currentWatermark()) {
          this.late(this.config.lateTag, v as E, ts);
          continue;
        }
        addToBucket(this.events, ts, v as E);
      } else {
        // A change behind the watermark is kept too: it cannot alter results already emitted,
        // but it is the table's state for later events unless a newer version supersedes it
        // (pruning at the next watermark decides). The same timestamp twice: the later wins.
        this.versions.put(ts, isDelete !== undefined && isDelete(v as C) ? [1, null] : [0, v as C]);
      }
      this.timers.registerEventTimeTimer(null, ts);
    }
  }

  onEventTime(_time: number, _key: StateKey): void {
    this.keyed.backend.setCurrentNamespace(null);
    const watermark = this.timers.currentWatermark();
    // One firing handles every event and version up to the watermark, so later timers of the
    // same key in this advance find nothing to do and return after two reads.
    const due: Array<[number, E[]]> = [];
    for (const entry of this.events.entries()) if (entry[0] <= watermark) due.push(entry);
    const versions = this.versions.entries().sort(byTime);
    if (due.length > 0) {
      due.sort(byTime);
      const outer = this.config.leftOuter === true;
      let vi = -1; // index of the latest version <= the current event's time
      for (const [ts, bucket] of due) {
        while (vi + 1 < versions.length && (versions[vi + 1] as [number, Version<C>])[0] <= ts) vi++;
        const version = vi >= 0 ? (versions[vi] as [number, Version<C>]) : undefined;
        const row = version !== undefined && version[1][0] === 0 ? version[1][1] : undefined;
        this.events.remove(ts);
        if (row === undefined && !outer) continue;
        this.timestamp = ts;
        this.versionTimestamp = row === undefined ? Number.NaN : (version as [number, Version<C>])[0];
        for (let j = 0; j < bucket.length; j++) this.config.fn(bucket[j] as E, row, this, this);
      }
    }
    this.prune(versions, watermark);
  }

  /** Keeps the versions after the watermark and the latest one at or before it (unless a delete). */
  private prune(sorted: Array<[number, Version<C>]>, watermark: number): void {
    let latest = -1;
    while (latest + 1 < sorted.length && (sorted[latest + 1] as [number, Version<C>])[0] <= watermark) latest++;
    if (latest < 0) return;
    for (let i = 0; i < latest; i++) this.versions.remove((sorted[i] as [number, Version<C>])[0]);
    const last = sorted[latest] as [number, Version<C>];
    if (last[1][0] === 1) this.versions.remove(last[0]);
  }

  onProcessingTime(): void {
    // Event-time only.
  }

  currentWatermark(): number {
    return this.timers.currentWatermark();
  }
}
