// Transaction markers: the control batches that end a producer's transaction on a
// partition (commit or abort). Readers skip them; read_committed consumers use them
// to drop aborted records.
//   key   = version int16 (0), type int16 (0 abort, 1 commit)
//   value = version int16 (0), coordinatorEpoch int32
//
// May import: ../errors.ts and the rest of src/codec.
import { SluiceError } from '../errors.js';
import { encodeBatch } from './record-batch.js';
import type { Record } from './record.js';

export function encodeControlBatch(opts: {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
  baseOffset?: number;
  timestamp?: number;
}): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(opts.commit ? 1 : 0, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(opts.coordinatorEpoch, 2);
  return encodeBatch([{ key, value, timestamp: opts.timestamp ?? Date.now() }], {
    baseOffset: opts.baseOffset ?? 0,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    isTransactional: true,
    isControl: true,
  });
}

/** The marker a control record carries; CORRUPT_BATCH when it is not a transaction marker. */
export function decodeControlRecord(record: Record): { commit: boolean; coordinatorEpoch: number } {
  const key = record.key;
  if (key === null || key.length < 4) throw new SluiceError('CORRUPT_BATCH', `control record at offset ${record.offset} has no valid key`);
  const type = key.readInt16BE(2);
  if (type !== 0 && type !== 1) {
    throw new SluiceError('CORRUPT_BATCH', `control record at offset ${record.offset} has type ${type}, not a transaction marker`);
  }
  const value = record.value;
  if (value === null || value.length < 6) {
    throw new SluiceError('CORRUPT_BATCH', `transaction marker at offset ${record.offset} has no valid value`);
  }
  return { commit: type === 1, coordinatorEpoch: value.readInt32BE(2) };
}
