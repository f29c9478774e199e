// Window join and window coGroup in Flink's shape:
//   windowJoin(a, b).where(ka).equalTo(kb).window(assigner).apply((x, y) => ...)
//   windowCoGroup(a, b).where(ka).equalTo(kb).window(assigner).apply((xs, ys, out, ctx) => ...)
// As in Flink, both inputs are tagged with their side, unioned, keyed by the side's key
// selector and cut into windows by H7's WindowOperator (list contents), so every assigner,
// trigger, allowed lateness and late side output of windowing works for joins unchanged and the
// window contents live in keyed state. When a window fires, the buffered elements are split by
// side: coGroup gets both lists (even when one is empty, which is how left/right/full outer
// joins are written); join emits the nested loop of the two lists (an inner join).
// May import: errors, engine/api, engine/windowing, joins/.
import { SluiceError } from '../../errors.js';
import type { Collector } from '../api/functions.js';
import type { DataStream, StreamKeySelector } from '../api/data-stream.js';
import type { Duration } from '../api/duration.js';
import { toMillis } from '../api/duration.js';
import type { OutputTag } from '../api/output-tag.js';
import type { KeySelector } from '../graph/stream-graph.js';
import type { Trigger } from '../windowing/trigger.js';
import type { Window } from '../windowing/window.js';
import type { WindowAssigner } from '../windowing/window-assigner.js';
import type { ProcessWindowContext } from '../windowing/window-function.js';
import { WindowOperator } from '../windowing/window-operator.js';
import type { JoinOperatorOptions } from './interval-join.js';

/** An element of either input, as the window operator buffers it. */
export type TaggedUnion<L, R> = { readonly side: 0; readonly value: L } | { readonly side: 1; readonly value: R };

/** What join and coGroup functions see of the firing window. */
export interface WindowJoinContext<K, W extends Window> extends ProcessWindowContext<W> {
  readonly key: K;
}

/** Flink's CoGroupFunction: all elements of each side for one key and window. */
export type CoGroupFunction<L, R, OUT, K = unknown, W extends Window = Window> = (
  lefts: readonly L[],
  rights: readonly R[],
  out: Collector<OUT>,
  ctx: WindowJoinContext<K, W>,
) => void;

/** Flink's JoinFunction: one result per matching pair. */
export type JoinFunction<L, R, OUT> = (left: L, right: R) => OUT;

/** Flink's FlatJoinFunction: any number of results per matching pair. */
export type FlatJoinFunction<L, R, OUT, K = unknown, W extends Window = Window> = (
  left: L,
  right: R,
  out: Collector<OUT>,
  ctx: WindowJoinContext<K, W>,
) => void;

export interface CoGroupWindowSpec<L, R, OUT, K, W extends Window> {
  readonly assigner: WindowAssigner<TaggedUnion<L, R>, W>;
  readonly trigger?: Trigger<TaggedUnion<L, R>, W> | undefined;
  /** ms; default 0. */
  readonly allowedLateness?: number | undefined;
  readonly lateTag?: OutputTag<TaggedUnion<L, R>> | undefined;
  readonly fn: CoGroupFunction<L, R, OUT, K, W>;
}

/** The key selector of the tagged union: each side's own selector. */
export function taggedKeySelector<L, R, K>(leftKey: (v: L) => K, rightKey: (v: R) => K): (t: TaggedUnion<L, R>) => K {
  return (t) => (t.side === 0 ? leftKey(t.value) : rightKey(t.value));
}

/** The operator behind windowJoin/windowCoGroup (exported for tests and custom graphs). */
export function coGroupWindowOperator<L, R, OUT, K, W extends Window>(
  spec: CoGroupWindowSpec<L, R, OUT, K, W>,
): WindowOperator<TaggedUnion<L, R>, K, W, TaggedUnion<L, R>, OUT> {
  const fn = spec.fn;
  if (typeof fn !== 'function') throw new SluiceError('INVALID_ARGUMENT', 'window join/coGroup needs a function');
  return new WindowOperator<TaggedUnion<L, R>, K, W, TaggedUnion<L, R>, OUT>({
    assigner: spec.assigner,
    trigger: spec.trigger ?? spec.assigner.defaultTrigger(),
    allowedLateness: spec.allowedLateness ?? 0,
    lateTag: spec.lateTag,
    contents: { kind: 'list' },
    emit: (key, wctx, contents, out) => {
      const lefts: L[] = [];
      const rights: R[] = [];
      for (let i = 0; i < contents.length; i++) {
        const t = contents[i] as TaggedUnion<L, R>;
        if (t.side === 0) lefts.push(t.value);
        else rights.push(t.value);
      }
      const ctx: WindowJoinContext<K, W> = {
        key,
        window: wctx.window,
        isUpdate: wctx.isUpdate,
        currentWatermark: () => wctx.currentWatermark(),
        currentProcessingTime: () => wctx.currentProcessingTime(),
        output: (tag, value) => wctx.output(tag, value),
      };
      fn(lefts, rights, out, ctx);
    },
  });
}

/** The coGroup function of an inner join: every pair of the two lists. */
export function innerJoinCoGroup<L, R, OUT, K, W extends Window>(fn: FlatJoinFunction<L, R, OUT, K, W>): CoGroupFunction<L, R, OUT, K, W> {
  return (lefts, rights, out, ctx) => {
    for (let i = 0; i < lefts.length; i++) for (let j = 0; j < rights.length; j++) fn(lefts[i] as L, rights[j] as R, out, ctx);
  };
}

/** Starts an inner window join of two streams (Flink's `a.join(b)`). */
export function windowJoin<L, R>(left: DataStream<L>, right: DataStream<R>): WindowJoinStart<L, R, 'join'> {
  return new WindowJoinStart<L, R, 'join'>(left, right, 'join');
}

/** Starts a window coGroup of two streams (Flink's `a.coGroup(b)`). */
export function windowCoGroup<L, R>(left: DataStream<L>, right: DataStream<R>): WindowJoinStart<L, R, 'coGroup'> {
  return new WindowJoinStart<L, R, 'coGroup'>(left, right, 'coGroup');
}

type Mode = 'join' | 'coGroup';

export class WindowJoinStart<L, R, M extends Mode> {
  constructor(
    readonly left: DataStream<L>,
    readonly right: DataStream<R>,
    readonly mode: M,
  ) {
    if (left.graph !== right.graph) throw new SluiceError('INVALID_ARGUMENT', 'window join: streams belong to different pipelines');
  }

  where<K>(leftKey: (v: L) => K): { equalTo(rightKey: (v: R) => K): WindowJoinWhere<L, R, K, M> } {
    if (typeof leftKey !== 'function') throw new SluiceError('INVALID_ARGUMENT', 'where() needs a key selector function');
    return {
      equalTo: (rightKey) => {
        if (typeof rightKey !== 'function') throw new SluiceError('INVALID_ARGUMENT', 'equalTo() needs a key selector function');
        return new WindowJoinWhere<L, R, K, M>(this.left, this.right, this.mode, leftKey, rightKey);
      },
    };
  }
}

export class WindowJoinWhere<L, R, K, M extends Mode> {
  constructor(
    readonly left: DataStream<L>,
    readonly right: DataStream<R>,
    readonly mode: M,
    readonly leftKey: StreamKeySelector<L, K>,
    readonly rightKey: StreamKeySelector<R, K>,
  ) {}

  window<W extends Window>(assigner: WindowAssigner<TaggedUnion<L, R>, W>): M extends 'join' ? JoinWindowed<L, R, K, W> : CoGroupWindowed<L, R, K, W> {
    const w = this.mode === 'join' ? new JoinWindowed<L, R, K, W>(this, assigner) : new CoGroupWindowed<L, R, K, W>(this, assigner);
    return w as M extends 'join' ? JoinWindowed<L, R, K, W> : CoGroupWindowed<L, R, K, W>;
  }
}

abstract class WindowedJoinBase<L, R, K, W extends Window> {
  private triggerOverride: Trigger<TaggedUnion<L, R>, W> | undefined;
  private lateness = 0;
  private lateTag: OutputTag<TaggedUnion<L, R>> | undefined;

  constructor(
    protected readonly where: WindowJoinWhere<L, R, K, Mode>,
    readonly assigner: WindowAssigner<TaggedUnion<L, R>, W>,
  ) {}

  trigger(trigger: Trigger<TaggedUnion<L, R>, W>): this {
    this.triggerOverride = trigger;
    return this;
  }

  /** Keeps windows for `lateness` past their end; late elements within it re-fire the window (isUpdate). */
  allowedLateness(lateness: Duration): this {
    this.lateness = toMillis(lateness, 'allowed lateness');
    return this;
  }

  /** Elements too late for every window go to `tag` (tagged with their side) instead of being dropped. */
  sideOutputLateData(tag: OutputTag<TaggedUnion<L, R>>): this {
    this.lateTag = tag;
    return this;
  }

  protected build<OUT>(defaultName: string, fn: CoGroupFunction<L, R, OUT, K, W>, options: JoinOperatorOptions): DataStream<OUT> {
    const spec: CoGroupWindowSpec<L, R, OUT, K, W> = {
      assigner: this.assigner,
      trigger: this.triggerOverride,
      allowedLateness: this.lateness,
      lateTag: this.lateTag,
      fn,
    };
    // Built once now so a bad configuration fails when the pipeline is defined.
    coGroupWindowOperator(spec);
    const w = this.where;
    const tagged = w.left
      .map<TaggedUnion<L, R>>((value) => ({ side: 0, value }), `${defaultName}-tag-left`)
      .union(w.right.map<TaggedUnion<L, R>>((value) => ({ side: 1, value }), `${defaultName}-tag-right`));
    return tagged
      .keyBy(taggedKeySelector(w.leftKey, w.rightKey) as KeySelector<TaggedUnion<L, R>, K>)
      .transform<OUT>(options.name ?? defaultName, () => coGroupWindowOperator(spec), options.uid === undefined ? {} : { uid: options.uid });
  }
}

export class JoinWindowed<L, R, K, W extends Window> extends WindowedJoinBase<L, R, K, W> {
  /** One result per pair of a left and a right element with the same key in the same window. */
  apply<OUT>(fn: JoinFunction<L, R, OUT>, options: JoinOperatorOptions = {}): DataStream<OUT> {
    if (typeof fn !== 'function') throw new SluiceError('INVALID_ARGUMENT', 'window join apply() needs a function (left, right) => result');
    return this.build<OUT>('window-join', innerJoinCoGroup<L, R, OUT, K, W>((l, r, out) => out.collect(fn(l, r))), options);
  }

  /** Any number of results per pair, with the window and key in `ctx` (Flink's FlatJoinFunction). */
  process<OUT>(fn: FlatJoinFunction<L, R, OUT, K, W>, options: JoinOperatorOptions = {}): DataStream<OUT> {
    if (typeof fn !== 'function') throw new SluiceError('INVALID_ARGUMENT', 'window join process() needs a function (left, right, out, ctx)');
    return this.build<OUT>('window-join', innerJoinCoGroup(fn), options);
  }
}

export class CoGroupWindowed<L, R, K, W extends Window> extends WindowedJoinBase<L, R, K, W> {
  /** Both sides' elements of each key and window (either list may be empty). */
  apply<OUT>(fn: CoGroupFunction<L, R, OUT, K, W>, options: JoinOperatorOptions = {}): DataStream<OUT> {
    if (typeof fn !== 'function') throw new SluiceError('INVALID_ARGUMENT', 'window coGroup apply() needs a function (lefts, rights, out, ctx)');
    return this.build<OUT>('window-cogroup', fn, options);
  }
}
