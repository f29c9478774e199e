// Shared helpers for the group and transaction conformance tests with real clients:
// kafkajs configured for fast rebalances (short session, rebalance and heartbeat
// intervals), and a bounded poll for "eventually" conditions.
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, ConsumerConfig } from 'kafkajs';

export function kafkaFor(address: string, clientId = 'sluice-test'): Kafka {
  return new Kafka({ clientId, brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 } });
}

/** Consumer settings that make a kafkajs rebalance take about a second instead of tens. */
export const FAST_GROUP: Omit<ConsumerConfig, 'groupId'> = {
  sessionTimeout: 6000,
  rebalanceTimeout: 6000,
  heartbeatInterval: 200,
  maxWaitTimeInMs: 100,
  retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
};

/** Polls `cond` every 50 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Disconnects every client, ignoring ones already gone. */
export async function disconnectAll(clients: { disconnect(): Promise<void> }[]): Promise<void> {
  await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
}

export type { Consumer };
