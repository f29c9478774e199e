// DataStream<T>: the typed builder users chain operators on. A stream is a list of
// producers (node + optional side-output tag), so union() is just more producers and
// getSideOutput() a producer with a tag. Each method delegates to the operator file that
// holds the operator's class (operators/*.ts), keeping this file a thin, typed facade.
// May import: graph/, operators/, sources/, sinks/, time/, api/.
import type { StreamOperator } from '../operators/operator.js';
import type { KeySelector, Partitioning, StreamGraph } from '../graph/stream-graph.js';
import type { Sink } from '../sinks/sink.js';
import type { WatermarkStrategy } from '../time/watermark-strategy.js';
import type { MapStateDescriptor, ValueState } from '../state/types.js';
import { SluiceError } from '../../errors.js';
import type {
  BroadcastProcessFunction,
  CoProcessFunction,
  FilterFunction,
  FlatMapFunction,
  KeyedBroadcastProcessFunction,
  KeyedCoProcessFunction,
  KeyedProcessFunction,
  MapFunction,
  ProcessFunction,
} from './functions.js';
import type { OutputTag } from './output-tag.js';
import { MapOperator } from '../operators/map.js';
import { FilterOperator } from '../operators/filter.js';
import { FlatMapOperator } from '../operators/flat-map.js';
import { ProcessOperator } from '../operators/process.js';
import { TimestampsAndWatermarksOperator } from '../operators/timestamps-and-watermarks.js';
import { KeyedProcessOperator } from '../operators/keyed-process.js';
import { CoProcessOperator, KeyedCoProcessOperator } from '../operators/co-process.js';
import { BroadcastProcessOperator, KeyedBroadcastProcessOperator } from '../operators/broadcast-process.js';
import { valueStateDescriptor } from '../state/descriptors.js';
import type { Window } from '../windowing/window.js';
import type { WindowAssigner } from '../windowing/window-assigner.js';
import { WindowedStream } from '../windowing/windowed-stream.js';
import type { AsyncFunction, AsyncIoOptions } from '../operators/async-io-options.js';
import { asyncMap } from '../operators/async-io.js';
import { IntervalJoin } from '../joins/interval-join.js';
import { WindowJoinStart } from '../joins/window-join.js';
import { TemporalJoinBuilder } from '../joins/temporal-join.js';

export interface Producer {
  readonly node: number;
  readonly tag?: string;
}

/** Where a stream is consumed from: its producers and how records are partitioned. */
export interface InputSpec {
  readonly producers: readonly Producer[];
  readonly partitioning: Partitioning;
  readonly keySelector?: KeySelector;
}

export interface TransformOptions {
  /** Stable name for the node's state in checkpoints (default: derived from the name). */
  readonly uid?: string;
}

/** The one key of windowAll. */
const allKey = (): null => null;

export class DataStream<out T> {
  /** @internal */
  constructor(
    readonly graph: StreamGraph,
    readonly producers: readonly Producer[],
  ) {}

  /** @internal the input spec downstream operators consume this stream with. */
  asInput(): InputSpec {
    return { producers: this.producers, partitioning: 'forward' };
  }

  /**
   * Adds a one-input operator (the low-level hook windowing and connectors use). Keyed when
   * `this` is a KeyedStream (the operator then gets keyed state and timers).
   */
  transform<O>(name: string, create: () => StreamOperator<O>, options: TransformOptions = {}): DataStream<O> {
    return addOperator<O>(this.graph, name, create, [this.asInput()], options);
  }

  map<O>(fn: MapFunction<T, O>, name = 'map'): DataStream<O> {
    return this.transform(name, () => new MapOperator<T, O>(fn));
  }

  filter(fn: FilterFunction<T>, name = 'filter'): DataStream<T> {
    return this.transform(name, () => new FilterOperator<T>(fn));
  }

  flatMap<O>(fn: FlatMapFunction<T, O>, name = 'flat-map'): DataStream<O> {
    return this.transform(name, () => new FlatMapOperator<T, O>(fn));
  }

  process<O>(fn: ProcessFunction<T, O>, name = 'process'): DataStream<O> {
    return this.transform(name, () => new ProcessOperator<T, O>(fn));
  }

  /**
   * Calls an outside service per element (async I/O, Flink's AsyncDataStream): at most
   * `capacity` calls in flight (then the input is backpressured), results in input order
   * (`ordered`, default) or as they complete, timeouts, retries with backoff. See operators/async-io.ts.
   */
  asyncMap<O>(fn: AsyncFunction<T, O>, options: AsyncIoOptions<T, O> = {}): DataStream<O> {
    return asyncMap<T, O>(this, fn, options);
  }

  /**
   * Assigns event timestamps and watermarks. Directly on a source the watermark is tracked
   * per source partition (combined by minimum, idle partitions excluded); elsewhere per subtask.
   */
  withWatermarks(timestampOf: (value: T, recordTimestamp: number) => number, strategy: WatermarkStrategy): DataStream<T> {
    const only = this.producers.length === 1 ? this.producers[0] : undefined;
    const node = only && only.tag === undefined ? this.graph.nodes[only.node] : undefined;
    if (node && node.kind === 'source' && node.watermarks === undefined && this.graph.outEdges(node.id).length === 0) {
      node.watermarks = strategy;
      node.timestampOf = timestampOf as (v: unknown, ts: number) => number;
      return this;
    }
    return this.transform('watermarks', () => new TimestampsAndWatermarksOperator<T>(timestampOf, strategy));
  }

  keyBy<K>(keySelector: KeySelector<T, K>): KeyedStream<T, K> {
    return new KeyedStream<T, K>(this.graph, this.producers, keySelector);
  }

  /** Records of all streams, in no particular order between them. */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const o of others) if (o.graph !== this.graph) throw new SluiceError('INVALID_ARGUMENT', 'union: streams belong to different pipelines');
    return new DataStream<T>(this.graph, [...this.producers, ...others.flatMap((o) => o.producers)]);
  }

  connect<T2>(other: BroadcastStream<T2>): BroadcastConnectedStream<T, T2>;
  connect<T2>(other: DataStream<T2>): ConnectedStreams<T, T2>;
  connect<T2>(other: DataStream<T2> | BroadcastStream<T2>): ConnectedStreams<T, T2> | BroadcastConnectedStream<T, T2> {
    const g = other instanceof BroadcastStream ? other.stream.graph : other.graph;
    if (g !== this.graph) throw new SluiceError('INVALID_ARGUMENT', 'connect: streams belong to different pipelines');
    if (other instanceof BroadcastStream) return new BroadcastConnectedStream<T, T2>(this, other);
    return new ConnectedStreams<T, T2>(this, other);
  }

  /** A stream every subtask of the connected operator sees in full, with broadcast state (Flink's broadcast pattern). */
  /** Inner window join (Flink's a.join(b).where(ka).equalTo(kb).window(w).apply(fn)); see joins/. */
  join<T2>(other: DataStream<T2>): WindowJoinStart<T, T2, 'join'> {
    return new WindowJoinStart<T, T2, 'join'>(this, other, 'join');
  }

  /** Window coGroup (both sides' lists per key and window, for outer joins); see joins/. */
  coGroup<T2>(other: DataStream<T2>): WindowJoinStart<T, T2, 'coGroup'> {
    return new WindowJoinStart<T, T2, 'coGroup'>(this, other, 'coGroup');
  }

  /**
   * Windows over the whole stream, not per key (Flink's windowAll): every record goes to one
   * subtask under a single constant key, so results carry `key: null`. Not parallel by nature.
   */
  windowAll<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, null, W> {
    return this.keyBy<null>(allKey).window(assigner);
  }

  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): BroadcastStream<T> {
    return new BroadcastStream<T>(this, descriptors);
  }

  /** Round-robins batches over the subtasks of the next operator. */
  rebalance(): DataStream<T> {
    return new RepartitionedStream<T>(this.graph, this.producers, 'rebalance');
  }

  /** The records the producing operator emitted to `tag`. */
  getSideOutput<S>(tag: OutputTag<S>): DataStream<S> {
    return new DataStream<S>(
      this.graph,
      this.producers.map((p) => ({ node: p.node, tag: tag.id })),
    );
  }

  /** Writes the stream to a sink; returns nothing to chain on. */
  to(sink: Sink<T>, options: TransformOptions = {}): void {
    const uid = options.uid ?? this.graph.uniqueUid(`sink-${sink.name}`);
    const node = this.graph.add((id) => ({ kind: 'sink' as const, id, uid, name: sink.name, sink: sink as Sink<unknown> }));
    connectInputs(this.graph, node.id, 0, this.asInput());
  }
}

class RepartitionedStream<T> extends DataStream<T> {
  constructor(graph: StreamGraph, producers: readonly Producer[], private readonly partitioning: Partitioning) {
    super(graph, producers);
  }
  override asInput(): InputSpec {
    return { producers: this.producers, partitioning: this.partitioning };
  }
}

/**
 * A KeySelector whose parameter is checked bivariantly (method-style), for key selectors the
 * builders keep as fields: a KeyedStream<Foo, K> is still a DataStream<unknown>, so the
 * streams stay covariant in their element type.
 */
export type StreamKeySelector<T, K> = { select(value: T): K }['select'];

/** A stream partitioned by key: operators added to it get keyed state and timers. */
export class KeyedStream<T, K> extends DataStream<T> {
  /** @internal */
  constructor(
    graph: StreamGraph,
    producers: readonly Producer[],
    readonly keySelector: StreamKeySelector<T, K>,
  ) {
    super(graph, producers);
  }

  override asInput(): InputSpec {
    return { producers: this.producers, partitioning: 'hash', keySelector: this.keySelector as KeySelector };
  }

  /** A KeyedProcessFunction: keyed state, timers per key, side outputs. */
  override process<O>(fn: KeyedProcessFunction<K, T, O>, name = 'keyed-process'): DataStream<O> {
    return this.transform(name, () => new KeyedProcessOperator<K, T, O>(fn));
  }

  /** Connects a keyed stream to a broadcast stream (KeyedBroadcastProcessFunction) or another keyed stream (KeyedCoProcessFunction). */
  override connect<T2>(other: BroadcastStream<T2>): BroadcastConnectedStream<T, T2, K>;
  override connect<T2>(other: DataStream<T2>): ConnectedStreams<T, T2, K>;
  override connect<T2>(other: DataStream<T2> | BroadcastStream<T2>): ConnectedStreams<T, T2, K> | BroadcastConnectedStream<T, T2, K> {
    if (other instanceof BroadcastStream) return super.connect(other) as unknown as BroadcastConnectedStream<T, T2, K>;
    return super.connect(other) as unknown as ConnectedStreams<T, T2, K>;
  }

  /** Cuts each key's records into windows (tumbling, sliding, session, global: see windowing/). */
  window<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>(this, assigner);
  }

  /** keyedA.intervalJoin(keyedB).between('-5s', '5s').process((a, b, ctx, out) => ...); see joins/. */
  intervalJoin<T2>(other: KeyedStream<T2, K>): IntervalJoin<T, T2, K> {
    return new IntervalJoin<T, T2, K>(this, other);
  }

  /** Event-time temporal join with the table a changelog keyed by the same key builds; see joins/. */
  temporalJoin<C>(changelog: KeyedStream<C, K>): TemporalJoinBuilder<T, C, K> {
    return new TemporalJoinBuilder<T, C, K>(this, changelog, 'event-time');
  }

  /** Processing-time (lookup) join with the latest row of a changelog table; see joins/. */
  lookupJoin<C>(changelog: KeyedStream<C, K>): TemporalJoinBuilder<T, C, K> {
    return new TemporalJoinBuilder<T, C, K>(this, changelog, 'processing-time');
  }

  /** Rolling reduce per key: emits the running result for every record. */
  reduce(fn: (a: T, b: T) => T, name = 'reduce'): DataStream<T> {
    const desc = valueStateDescriptor<T>('reduce');
    return this.transform(name, () => {
      let state: ValueState<T>;
      return new KeyedProcessOperator<K, T, T>({
        open(ctx) {
          state = ctx.getState(desc);
        },
        processElement(value, _ctx, out) {
          const prev = state.value();
          const next = prev === undefined ? value : fn(prev, value);
          state.update(next);
          out.collect(next);
        },
      });
    });
  }

  /** Adds a keyed one-input operator. */
  override transform<O>(name: string, create: () => StreamOperator<O>, options: TransformOptions = {}): DataStream<O> {
    return addOperator<O>(this.graph, name, create, [this.asInput()], options, [this.keySelector as KeySelector]);
  }
}

export class BroadcastStream<T> {
  constructor(
    readonly stream: DataStream<T>,
    readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {}
  asInput(): InputSpec {
    return { producers: this.stream.producers, partitioning: 'broadcast' };
  }
}

export class BroadcastConnectedStream<T, B, K = never> {
  constructor(
    readonly stream: DataStream<T>,
    readonly broadcastStream: BroadcastStream<B>,
  ) {}

  /** BroadcastProcessFunction (non-keyed stream) or KeyedBroadcastProcessFunction (keyed stream). */
  process<O>(
    fn: [K] extends [never] ? BroadcastProcessFunction<T, B, O> : KeyedBroadcastProcessFunction<K, T, B, O>,
    name = 'broadcast-process',
  ): DataStream<O> {
    const descs = this.broadcastStream.descriptors;
    const inputs = [this.stream.asInput(), this.broadcastStream.asInput()];
    if (this.stream instanceof KeyedStream) {
      const k = this.stream.keySelector as KeySelector;
      return addOperator<O>(this.stream.graph, name, () => new KeyedBroadcastProcessOperator(fn as unknown as KeyedBroadcastProcessFunction<unknown, T, B, O>, descs), inputs, {}, [k, undefined]);
    }
    return addOperator<O>(this.stream.graph, name, () => new BroadcastProcessOperator(fn as unknown as BroadcastProcessFunction<T, B, O>, descs), inputs, {});
  }
}

export class ConnectedStreams<T1, T2, K = never> {
  constructor(
    readonly first: DataStream<T1>,
    readonly second: DataStream<T2>,
  ) {}

  /** CoProcessFunction on unkeyed inputs, KeyedCoProcessFunction when both are keyed. */
  process<O>(fn: [K] extends [never] ? CoProcessFunction<T1, T2, O> : KeyedCoProcessFunction<K, T1, T2, O>, name = 'co-process'): DataStream<O> {
    if (this.first instanceof KeyedStream) {
      return this.transform(name, () => new KeyedCoProcessOperator(fn as unknown as KeyedCoProcessFunction<unknown, T1, T2, O>));
    }
    return this.transform(name, () => new CoProcessOperator(fn as unknown as CoProcessFunction<T1, T2, O>));
  }

  /** Adds a two-input operator; keyed when both inputs are keyed streams. */
  transform<O>(name: string, create: () => StreamOperator<O>, options: TransformOptions = {}): DataStream<O> {
    const k1 = this.first instanceof KeyedStream ? (this.first.keySelector as KeySelector) : undefined;
    const k2 = this.second instanceof KeyedStream ? (this.second.keySelector as KeySelector) : undefined;
    if ((k1 === undefined) !== (k2 === undefined)) {
      throw new SluiceError('INVALID_ARGUMENT', 'connect: key both streams or neither');
    }
    return addOperator<O>(this.first.graph, name, create, [this.first.asInput(), this.second.asInput()], options, k1 ? [k1, k2] : undefined);
  }
}

/** @internal */
export function addOperator<O>(
  graph: StreamGraph,
  name: string,
  create: () => StreamOperator<O>,
  inputs: readonly InputSpec[],
  options: TransformOptions,
  keySelectors?: readonly (KeySelector | undefined)[],
): DataStream<O> {
  const uid = options.uid ?? graph.uniqueUid(name);
  const node = graph.add((id) => ({
    kind: 'operator' as const,
    id,
    uid,
    name,
    create: create as () => StreamOperator,
    keySelectors,
    inputs: inputs.length,
  }));
  inputs.forEach((spec, i) => connectInputs(graph, node.id, i, spec));
  return new DataStream<O>(graph, [{ node: node.id }]);
}

function connectInputs(graph: StreamGraph, to: number, input: number, spec: InputSpec): void {
  for (const p of spec.producers) {
    graph.connect({
      from: p.node,
      to,
      input,
      partitioning: spec.partitioning,
      ...(spec.keySelector ? { keySelector: spec.keySelector } : {}),
      ...(p.tag !== undefined ? { sideTag: p.tag } : {}),
    });
  }
}
