// The processing-time temporal join (a lookup join): input 1, a changelog keyed by the table's
// primary key, keeps only the latest row per key in keyed ValueState (a delete clears it);
// each event on input 0 is joined at once with whatever row is there when it arrives. No
// buffering and no timers: results depend on arrival order, which is the point of the
// processing-time variant (enrichment against "the table as it is now"). The event's
// timestamp is kept, so the output is exactly as late or early as the input.
// May import: errors, engine/api (types), engine/operators, engine/state, joins/.
import { SluiceError } from '../../errors.js';
import type { Collector } from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import { BaseOperator } from '../operators/base-operator.js';
import type { KeyedServices, OperatorContext } from '../operators/operator.js';
import { valueStateDescriptor } from '../state/descriptors.js';
import type { StateTtlConfig, ValueState } from '../state/types.js';
import type { TemporalJoinContext, TemporalJoinFunction } from './temporal-join-operator.js';

export interface LookupJoinConfig<E, C, OUT, K> {
  readonly isDelete?: ((change: C) => boolean) | undefined;
  readonly leftOuter?: boolean | undefined;
  /** Forget a row this long (processing time) after its last change. */
  readonly rowTtl?: StateTtlConfig | undefined;
  readonly fn: TemporalJoinFunction<E, C, OUT, K>;
}

export const LOOKUP_JOIN_ROW_STATE = 'lookup-join-row';

interface StoredRow<C> {
  readonly ts: number;
  readonly row: C;
}

export class LookupJoinOperator<E, C, OUT, K = unknown> extends BaseOperator<OUT> implements TemporalJoinContext<K>, Collector<OUT> {
  private keyed!: KeyedServices;
  private row!: ValueState<StoredRow<C>>;

  timestamp = 0;
  versionTimestamp = Number.NaN;

  constructor(private readonly config: LookupJoinConfig<E, C, OUT, K>) {
    super();
    if (typeof config.fn !== 'function') throw new SluiceError('INVALID_ARGUMENT', 'lookup join needs a function (event, row, ctx, out)');
    if (config.isDelete !== undefined && typeof config.isDelete !== 'function') {
      throw new SluiceError('INVALID_ARGUMENT', 'lookup join: isDelete must be a function (change) => boolean');
    }
  }

  override open(ctx: OperatorContext<OUT>): void {
    super.open(ctx);
    if (ctx.keyed === undefined) {
      throw new SluiceError('INVALID_ARGUMENT', `${ctx.operatorName}: a lookup join needs the event stream and the changelog keyed by the table key`);
    }
    this.keyed = ctx.keyed;
    const ttl = this.config.rowTtl;
    this.row = ctx.keyed.backend.getValueState(valueStateDescriptor<StoredRow<C>>(LOOKUP_JOIN_ROW_STATE, ttl ? { ttl } : {}));
  }

  processBatch(values: readonly unknown[], timestamps: readonly number[], input: number): void {
    const keyed = this.keyed;
    const backend = keyed.backend;
    const isDelete = this.config.isDelete;
    const outer = this.config.leftOuter === true;
    const fn = this.config.fn;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const ts = timestamps[i] as number;
      keyed.setCurrentKey(keyed.keyOf(v, input));
      backend.setCurrentNamespace(null);
      if (input === 1) {
        if (isDelete !== undefined && isDelete(v as C)) this.row.clear();
        else this.row.update({ ts, row: v as C });
        continue;
      }
      const stored = this.row.value();
      if (stored === undefined && !outer) continue;
      this.timestamp = ts;
      this.versionTimestamp = stored === undefined ? Number.NaN : stored.ts;
      fn(v as E, stored?.row, this, this);
    }
  }

  collect(value: OUT): void {
    this.ctx.output.collect(value, this.timestamp);
  }

  output<S>(tag: OutputTag<S>, value: S): void {
    this.ctx.output.collectSide(tag, value, this.timestamp);
  }

  getCurrentKey(): K {
    return this.keyed.currentKey() as K;
  }

  currentWatermark(): number {
    return this.ctx.currentWatermark();
  }
}
