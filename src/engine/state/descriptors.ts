// Builders for state descriptors, so operators write `valueStateDescriptor<number>('count')`
// instead of object literals with a `kind` tag. Validation happens here, once, not per access.
// May import: errors, types.
import { SluiceError } from '../../errors.js';
import type {
  AggregateFunction,
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReduceFunction,
  ReducingStateDescriptor,
  StateTtlConfig,
  ValueStateDescriptor,
} from './types.js';

export interface DescriptorOptions {
  ttl?: StateTtlConfig;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new SluiceError('INVALID_ARGUMENT', `state name must be a non-empty string of at most 200 characters`);
  }
}

export function checkTtl(ttl: StateTtlConfig | undefined): StateTtlConfig | undefined {
  if (ttl === undefined) return undefined;
  if (!(ttl.ttlMs > 0) || !Number.isFinite(ttl.ttlMs)) {
    throw new SluiceError('INVALID_ARGUMENT', `state TTL must be a positive finite number of ms, got ${ttl.ttlMs}`);
  }
  const updateType = ttl.updateType ?? 'OnCreateAndWrite';
  if (updateType !== 'OnCreateAndWrite' && updateType !== 'OnReadAndWrite') {
    throw new SluiceError('INVALID_ARGUMENT', `unknown TTL update type ${String(updateType)}`);
  }
  const visibility = ttl.visibility ?? 'NeverReturnExpired';
  if (visibility !== 'NeverReturnExpired') {
    throw new SluiceError('INVALID_ARGUMENT', `unsupported TTL visibility ${String(visibility)}`);
  }
  return { ttlMs: ttl.ttlMs, updateType, visibility };
}

export function valueStateDescriptor<T>(
  name: string,
  options: DescriptorOptions & { defaultValue?: T } = {},
): ValueStateDescriptor<T> {
  checkName(name);
  const d: { kind: 'value'; name: string; ttl?: StateTtlConfig; defaultValue?: T } = { kind: 'value', name };
  const ttl = checkTtl(options.ttl);
  if (ttl) d.ttl = ttl;
  if (options.defaultValue !== undefined) d.defaultValue = options.defaultValue;
  return d;
}

export function listStateDescriptor<T>(name: string, options: DescriptorOptions = {}): ListStateDescriptor<T> {
  checkName(name);
  const ttl = checkTtl(options.ttl);
  return ttl ? { kind: 'list', name, ttl } : { kind: 'list', name };
}

export function mapStateDescriptor<K, V>(name: string, options: DescriptorOptions = {}): MapStateDescriptor<K, V> {
  checkName(name);
  const ttl = checkTtl(options.ttl);
  return ttl ? { kind: 'map', name, ttl } : { kind: 'map', name };
}

export function reducingStateDescriptor<T>(
  name: string,
  reduce: ReduceFunction<T>,
  options: DescriptorOptions = {},
): ReducingStateDescriptor<T> {
  checkName(name);
  if (typeof reduce !== 'function') throw new SluiceError('INVALID_ARGUMENT', 'reducing state needs a reduce function');
  const ttl = checkTtl(options.ttl);
  return ttl ? { kind: 'reducing', name, reduce, ttl } : { kind: 'reducing', name, reduce };
}

export function aggregatingStateDescriptor<IN, ACC, OUT>(
  name: string,
  aggregate: AggregateFunction<IN, ACC, OUT>,
  options: DescriptorOptions = {},
): AggregatingStateDescriptor<IN, ACC, OUT> {
  checkName(name);
  if (!aggregate || typeof aggregate.add !== 'function' || typeof aggregate.createAccumulator !== 'function' ||
    typeof aggregate.merge !== 'function' || typeof aggregate.getResult !== 'function') {
    throw new SluiceError('INVALID_ARGUMENT', 'aggregating state needs an AggregateFunction {createAccumulator, add, merge, getResult}');
  }
  const ttl = checkTtl(options.ttl);
  return ttl ? { kind: 'aggregating', name, aggregate, ttl } : { kind: 'aggregating', name, aggregate };
}
