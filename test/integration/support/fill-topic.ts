// Writes a test input topic: record indexes 0..count-1 spread over partitions, appended per
// partition in chunks of 1000 indexes (so batch boundaries, and with them offsets, are the
// same on every run). Used by the exactly-once tests to prepare the log their child jobs read.
// May import src/log, src/codec (types).
import type { RecordInput } from '../../../src/codec/record.js';
import type { Log } from '../../../src/log/log.js';

/** `record(i)` gives the partition of index i and its record. */
export async function fillTopic(log: Log, topic: string, partitions: number, count: number, record: (i: number) => { partition: number; record: RecordInput }): Promise<void> {
  await log.createTopic(topic, partitions);
  for (let p = 0; p < partitions; p++) {
    const part = log.partition(topic, p);
    for (let from = 0; from < count; from += 1000) {
      const recs: RecordInput[] = [];
      for (let i = from; i < from + 1000; i++) {
        const r = record(i);
        if (r.partition === p) recs.push(r.record);
      }
      await part.appendRecords(recs);
    }
  }
}
