// Shared kafkajs setup for the external-Kafka source and sink: one place that builds the
// client with Sluice's defaults (quiet logging routed nowhere, bounded retries, timeouts) and
// maps kafkajs failures to SluiceError.
// May import: errors, kafkajs.
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig } from 'kafkajs';
import { SluiceError } from '../../errors.js';

export interface KafkaConnection {
  /** host:port of the bootstrap brokers. */
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Extra kafkajs options (ssl, sasl, ...). */
  readonly kafka?: Partial<KafkaConfig>;
}

export function createKafka(conn: KafkaConnection, role: string): Kafka {
  if (conn.brokers.length === 0) throw new SluiceError('INVALID_CONFIG', `kafka ${role}: no brokers`);
  return new Kafka({
    clientId: conn.clientId ?? `sluice-${role}`,
    brokers: [...conn.brokers],
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5000 },
    logLevel: logLevel.NOTHING,
    ...conn.kafka,
  });
}

export function kafkaError(what: string, err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  const e = err as { message?: string; retriable?: boolean; type?: string } | null;
  const fenced = e?.type === 'INVALID_PRODUCER_EPOCH' || e?.type === 'PRODUCER_FENCED';
  return new SluiceError(fenced ? 'PRODUCER_FENCED' : 'CONNECTION_FAILED', `${what}: ${e?.message ?? String(err)}`, {
    cause: err,
    retriable: fenced ? false : (e?.retriable ?? true),
  });
}
