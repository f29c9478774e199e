// Plugs the transaction coordinator into a running broker: one per BrokerContext, its state
// in the internal topic `__transaction_state`, markers written with the log's appendControl.
// Starting it loads that state and completes transactions a crash left half-ended, so the
// broker should call `transactionCoordinatorOf` right after it starts (otherwise the first
// transactional request does).
// Imports: ./transaction-coordinator.ts, ./log-txn-state-store.ts, ../groups/, ../broker-context.ts (type).
import type { BrokerContext } from '../broker-context.js';
import { groupCoordinatorOf, partitionExistsIn } from '../groups/broker-groups.js';
import { SystemTimers } from '../groups/timers.js';
import { LogTxnStateStore, TRANSACTION_STATE_TOPIC } from './log-txn-state-store.js';
import { TransactionCoordinator } from './transaction-coordinator.js';

interface Holder {
  ready: Promise<TransactionCoordinator> | undefined;
  current: TransactionCoordinator | undefined;
}

// Also reachable without creating anything, for pendingTxnOffsets.
const holders = new WeakMap<BrokerContext, Holder>();

function holderOf(broker: BrokerContext): Holder {
  return broker.coordinator<Holder>('transactions', (b) => {
    const holder: Holder = { ready: undefined, current: undefined };
    holders.set(b, holder);
    b.onShutdown(async () => {
      const c = await holder.ready?.catch(() => undefined);
      c?.close();
    });
    return holder;
  });
}

async function start(b: BrokerContext): Promise<TransactionCoordinator> {
  const log = b.log;
  // Create-if-absent: a concurrent creation of the topic is waited for by the log.
  if (!b.log.hasTopic(TRANSACTION_STATE_TOPIC)) await b.log.createTopic(TRANSACTION_STATE_TOPIC, 1, { cleanupPolicy: 'compact' }, { ifAbsent: true });
  const coordinator = new TransactionCoordinator({
    store: new LogTxnStateStore(log.partition(TRANSACTION_STATE_TOPIC, 0), b.clock),
    markers: {
      partitionExists: partitionExistsIn(b),
      writeMarker: async (topic, partition, marker) => {
        await log.partition(topic, partition).appendControl(marker, { sync: true });
      },
    },
    offsets: log.groupOffsets,
    timers: new SystemTimers(),
    groups: groupCoordinatorOf(b),
  });
  await coordinator.start();
  return coordinator;
}

/** The broker's transaction coordinator, started (state loaded, half-ended transactions completed). */
export function transactionCoordinatorOf(broker: BrokerContext): Promise<TransactionCoordinator> {
  const holder = holderOf(broker);
  if (holder.ready === undefined) {
    const ready = start(broker).then((c) => {
      holder.current = c;
      return c;
    });
    holder.ready = ready;
    // A failed start (e.g. a storage error) is retried by the next request, not remembered.
    ready.catch(() => {
      if (holder.ready === ready) holder.ready = undefined;
    });
  }
  return holder.ready;
}

/** OffsetFetch requireStable: whether an open transaction holds offsets for this group partition. */
export function pendingTxnOffsets(broker: BrokerContext, group: string, topic: string, partition: number): boolean {
  return holders.get(broker)?.current?.hasPendingOffsets(group, topic, partition) ?? false;
}
