// Fetch (key 1), versions 4-12.
//   v4: isolationLevel; lastStableOffset and abortedTransactions per partition (read_committed).
//   v5: + logStartOffset.   v6: no wire change.
//   v7: fetch sessions (KIP-227): sessionId/sessionEpoch, forgotten topics, top-level errorCode.
//   v8: no wire change.   v9: currentLeaderEpoch.   v10: no wire change.
//   v11: rackId, preferredReadReplica.   v12: flexible; lastFetchedEpoch; tagged fields.
// Sessions: Sluice creates none (it always answers sessionId 0, which tells the client to keep
// sending full fetches); a request naming a session id is answered FETCH_SESSION_ID_NOT_FOUND.
// Long polling: when less than minBytes is ready, wait on the log's waitForData for any
// requested partition (no polling), bounded by maxWaitMs and the connection's signal.
// Records are the log's bytes as read, spliced into the response without copying; their size
// is counted per topic once per response (broker-metrics.ts TopicBytes).
import { KafkaError, kafkaErrorCode } from '../protocol/error-codes.js';
import { Fetch } from '../protocol/messages.js';
import type { Isolation, Partition } from '../../log/partition.js';
import type { RequestContext } from './handler.js';
import { topicBytes } from '../broker-metrics.js';
import { defineHandler } from './handler.js';

interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: { topic: string; partitions: { partition: number; fetchOffset: number; partitionMaxBytes: number }[] }[];
}

interface PartitionData {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: { producerId: number; firstOffset: number }[] | null;
  preferredReadReplica: number;
  records: Buffer | null;
}

interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  responses: { topic: string; partitions: PartitionData[] }[];
}

interface Wanted {
  topicIndex: number;
  partition: Partition | undefined;
  index: number;
  fetchOffset: number;
  maxBytes: number;
  errorCode: number;
  /** Wait for data past this offset: the readable end seen by the last read. */
  waitOffset: number;
}

const EMPTY = Buffer.alloc(0);

async function readAll(wanted: Wanted[], maxResponseBytes: number, isolation: Isolation, out: FetchResponse): Promise<number> {
  let total = 0;
  for (const t of out.responses) t.partitions.length = 0;
  for (const w of wanted) {
    const res: PartitionData = {
      partitionIndex: w.index,
      errorCode: w.errorCode,
      highWatermark: -1,
      lastStableOffset: -1,
      logStartOffset: -1,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: EMPTY,
    };
    const p = w.partition;
    if (p) {
      res.highWatermark = p.highWatermark;
      res.lastStableOffset = p.lastStableOffset;
      res.logStartOffset = p.logStartOffset;
      const end = isolation === 'read_committed' ? p.lastStableOffset : p.highWatermark;
      w.waitOffset = Math.max(w.fetchOffset, end);
      // Kafka's rule: limits apply after the first non-empty partition, so a consumer always
      // progresses even when one batch is larger than the limits.
      const budget = total === 0 ? w.maxBytes : Math.min(w.maxBytes, maxResponseBytes - total);
      if (budget > 0 && w.fetchOffset !== end) {
        try {
          const r = await p.read(w.fetchOffset, { maxBytes: Math.max(1, budget), isolation });
          res.records = r.records;
          res.highWatermark = r.highWatermark;
          res.lastStableOffset = r.lastStableOffset;
          res.logStartOffset = r.logStartOffset;
          if (isolation === 'read_committed') res.abortedTransactions = r.abortedTransactions;
          total += r.records.length;
        } catch (err) {
          res.errorCode = kafkaErrorCode(err);
        }
      } else if (isolation === 'read_committed') {
        res.abortedTransactions = [];
      }
    }
    out.responses[w.topicIndex]!.partitions.push(res);
  }
  return total;
}

/** Why waitForAny cancels the other partitions' waits: a reason given, so abort() builds no DOMException. */
const ANSWERED = Symbol('fetch answered');

/** Resolves when any partition has data past its fetch offset, or at the deadline. */
async function waitForAny(wanted: Wanted[], timeoutMs: number, isolation: Isolation, ctx: RequestContext): Promise<void> {
  // One partition (the usual long poll of a caught-up consumer): no controller of its own.
  // This runs for every fetch that waits; a controller per fetch and its DOMException on
  // abort() were 8% of the broker's CPU at 10,000 produce requests/s.
  let only: Wanted | undefined;
  let count = 0;
  for (const w of wanted) {
    if (w.partition !== undefined && w.errorCode === KafkaError.NONE) {
      only = w;
      count++;
    }
  }
  if (count === 1 && only !== undefined) {
    await only.partition!.waitForData(only.waitOffset, timeoutMs, { isolation, signal: ctx.signal });
    return;
  }
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const waits = wanted
      .filter((w) => w.partition !== undefined && w.errorCode === KafkaError.NONE)
      .map((w) => w.partition!.waitForData(w.waitOffset, timeoutMs, { isolation, signal: stop.signal }).then((ready) => (ready ? undefined : Promise.reject(new Error('timeout')))));
    if (waits.length === 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        stop.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
      return;
    }
    await Promise.any(waits).catch(() => undefined);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    stop.abort(ANSWERED);
  }
}

export const handler = defineHandler<FetchRequest, FetchResponse>({
  apiKey: Fetch.apiKey,
  minVersion: 4,
  maxVersion: 12,
  schema: Fetch,
  async handle(request, ctx) {
    const out: FetchResponse = { throttleTimeMs: 0, errorCode: KafkaError.NONE, sessionId: 0, responses: [] };
    if (ctx.version >= 7 && request.sessionId !== 0) {
      out.errorCode = KafkaError.FETCH_SESSION_ID_NOT_FOUND;
      return out;
    }
    const isolation: Isolation = request.isolationLevel === 1 ? 'read_committed' : 'read_uncommitted';
    const log = ctx.broker.log;
    const wanted: Wanted[] = [];
    request.topics.forEach((t, topicIndex) => {
      out.responses.push({ topic: t.topic, partitions: [] });
      const known = log.hasTopic(t.topic);
      for (const p of t.partitions) {
        let partition: Partition | undefined;
        let errorCode: number = KafkaError.NONE;
        if (!known) errorCode = KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
        else {
          try {
            partition = log.partition(t.topic, p.partition);
          } catch (err) {
            errorCode = kafkaErrorCode(err);
          }
        }
        wanted.push({ topicIndex, partition, index: p.partition, fetchOffset: p.fetchOffset, maxBytes: Math.max(0, p.partitionMaxBytes), errorCode, waitOffset: p.fetchOffset });
      }
    });
    const maxResponseBytes = request.maxBytes > 0 ? request.maxBytes : 0x7fffffff;
    const deadline = ctx.broker.clock() + Math.max(0, request.maxWaitMs);
    let total = await readAll(wanted, maxResponseBytes, isolation, out);
    const hasErrors = wanted.some((w) => w.errorCode !== KafkaError.NONE) || out.responses.some((t) => t.partitions.some((p) => p.errorCode !== KafkaError.NONE));
    while (total < request.minBytes && !hasErrors && !ctx.signal.aborted) {
      const left = deadline - ctx.broker.clock();
      if (left <= 0) break;
      await waitForAny(wanted, left, isolation, ctx);
      total = await readAll(wanted, maxResponseBytes, isolation, out);
      if (ctx.broker.clock() >= deadline) break;
    }
    const bytes = topicBytes(ctx.broker.metrics);
    for (const t of out.responses) {
      let n = 0;
      for (const p of t.partitions) n += p.records?.length ?? 0;
      if (n > 0) bytes.fetched(t.topic, n);
    }
    return out;
  },
});
