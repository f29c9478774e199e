// Plugs the group coordinator into a running broker: one per BrokerContext, created on first
// use, backed by the log's durable GroupOffsetStore and real timers, stopped on shutdown.
// Handlers 08, 09, 11-16 and 42 reach it through `groupCoordinatorOf(ctx.broker)`.
// Imports: ./group-coordinator.ts, ./timers.ts, ../broker-context.ts (type), ../txn/broker-transactions.ts.
// The offsets live in the log's own GroupOffsetStore (`log.groupOffsets`).
import type { BrokerContext } from '../broker-context.js';
import { pendingTxnOffsets } from '../txn/broker-transactions.js';
import { GroupCoordinator } from './group-coordinator.js';
import { SystemTimers } from './timers.js';

/** Settings of the broker's group coordinator (Kafka's group.* broker configs). */
export const GROUP_DEFAULTS = {
  minSessionTimeoutMs: 1000,
  maxSessionTimeoutMs: 1_800_000,
  /** Kafka waits 3 s for more members of a new group; a laptop tool favours a quick first generation. */
  initialRebalanceDelayMs: 0,
};

export function partitionExistsIn(broker: BrokerContext): (topic: string, partition: number) => boolean {
  return (topic, partition) => broker.log.hasTopic(topic) && partition >= 0 && partition < broker.log.describeTopic(topic).partitions;
}

export function groupCoordinatorOf(broker: BrokerContext): GroupCoordinator {
  return broker.coordinator('groups', (b) => {
    const coordinator = new GroupCoordinator({
      offsets: b.log.groupOffsets,
      timers: new SystemTimers(),
      ...GROUP_DEFAULTS,
      partitionExists: partitionExistsIn(b),
      hasPendingTxnOffsets: (group, topic, partition) => pendingTxnOffsets(b, group, topic, partition),
    });
    b.onShutdown(() => coordinator.close());
    return coordinator;
  });
}
