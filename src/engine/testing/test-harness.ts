// Shortcuts that wrap user functions in their operator and a harness, named as users look
// for them: keyedProcessHarness(fn, keySelector), processHarness(fn), ...
// May import: testing/operator-harness.ts, operators/, api/.
import type { KeyedBroadcastProcessFunction, KeyedCoProcessFunction, KeyedProcessFunction, ProcessFunction } from '../api/functions.js';
import type { KeySelector } from '../graph/stream-graph.js';
import type { MapStateDescriptor } from '../state/types.js';
import type { HarnessOptions } from './operator-harness.js';
import { OperatorHarness } from './operator-harness.js';
import { KeyedProcessOperator } from '../operators/keyed-process.js';
import { ProcessOperator } from '../operators/process.js';
import { KeyedCoProcessOperator } from '../operators/co-process.js';
import { KeyedBroadcastProcessOperator } from '../operators/broadcast-process.js';

export type KeyedProcessHarness<O> = OperatorHarness<O>;

export function keyedProcessHarness<K, I, O>(
  fn: KeyedProcessFunction<K, I, O>,
  keySelector: (value: I) => K,
  options: Omit<HarnessOptions, 'keySelectors'> = {},
): KeyedProcessHarness<O> {
  return new OperatorHarness<O>(new KeyedProcessOperator<K, I, O>(fn), { ...options, keySelectors: [keySelector as KeySelector] });
}

export function processHarness<I, O>(fn: ProcessFunction<I, O>, options: HarnessOptions = {}): OperatorHarness<O> {
  return new OperatorHarness<O>(new ProcessOperator<I, O>(fn), options);
}

export function keyedCoProcessHarness<K, I1, I2, O>(
  fn: KeyedCoProcessFunction<K, I1, I2, O>,
  key1: (value: I1) => K,
  key2: (value: I2) => K,
  options: Omit<HarnessOptions, 'keySelectors'> = {},
): OperatorHarness<O> {
  return new OperatorHarness<O>(new KeyedCoProcessOperator<K, I1, I2, O>(fn), { ...options, keySelectors: [key1 as KeySelector, key2 as KeySelector] });
}

export function keyedBroadcastProcessHarness<K, I, B, O>(
  fn: KeyedBroadcastProcessFunction<K, I, B, O>,
  keySelector: (value: I) => K,
  descriptors: MapStateDescriptor<unknown, unknown>[],
  options: Omit<HarnessOptions, 'keySelectors'> = {},
): OperatorHarness<O> {
  return new OperatorHarness<O>(new KeyedBroadcastProcessOperator<K, I, B, O>(fn, descriptors), { ...options, keySelectors: [keySelector as KeySelector, undefined], inputs: 2 });
}

/** Alias: testHarness(fn, keySelector) for a KeyedProcessFunction. */
export const testHarness = keyedProcessHarness;
