// The processing-time temporal join (a lookup join): input 1, a changelog keyed by the table's
// primary key, keeps only the latest row per key in keyed ValueState (a delete clears it);
// each event on input 0 is joined at once with whatever row is there when it arrives. No
// buffering and no timers: results depend on arrival order, which is the point of the
// processing-time variant (enrichment against "the table as it is now"). The event's
// timestamp is kept, so the output is exactly as late or early as the input.
// May import: errors, engine/api (types), engine/operators, engine/state, joins/.
import type { OperatorContext } from '../operators/operator.js';
import { valueStateDescriptor } from '../state/descriptors.js';
import type { StateTtlConfig, ValueState } from '../state/types.js';
import type { TableJoinConfig, TemporalJoinContext } from './temporal-join-operator.js';
import { KeyedJoinOperator, checkTableJoinConfig } from './keyed-join-operator.js';

export interface LookupJoinConfig<E, C, OUT, K> extends TableJoinConfig<E, C, OUT, K> {
  /** Forget a row this long (processing time) after its last change. */
  readonly rowTtl?: StateTtlConfig | undefined;
}

export const LOOKUP_JOIN_ROW_STATE = 'lookup-join-row';

interface StoredRow<C> {
  readonly ts: number;
  readonly row: C;
}

export class LookupJoinOperator<E, C, OUT, K = unknown> extends KeyedJoinOperator<OUT, K> implements TemporalJoinContext<K> {
  private row!: ValueState<StoredRow<C>>;

  versionTimestamp = Number.NaN;

  constructor(private readonly config: LookupJoinConfig<E, C, OUT, K>) {
    super();
    checkTableJoinConfig('lookup join', config);
  }

  override open(ctx: OperatorContext<OUT>): void {
    const keyed = this.openKeyed(ctx, 'a lookup join needs the event stream and the changelog keyed by the table key');
    const ttl = this.config.rowTtl;
    this.row = keyed.backend.getValueState(valueStateDescriptor<StoredRow<C>>(LOOKUP_JOIN_ROW_STATE, ttl ? { ttl } : {}));
  }

  processBatch(values: readonly unknown[], timestamps: readonly number[], input: number): void {
    const isDelete = this.config.isDelete;
    const outer = this.config.leftOuter === true;
    const fn = this.config.fn;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const ts = timestamps[i] as number;
      this.selectKey(v, input);
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

  currentWatermark(): number {
    return this.ctx.currentWatermark();
  }
}
