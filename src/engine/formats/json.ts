// JSON values as UTF-8 bytes. Decoding failures (bad UTF-8 is replaced, bad JSON throws) become
// DESERIALIZATION_FAILED so the source can dead-letter the record.
// May import: formats/format.ts, errors.
import type { Format } from './format.js';
import { SluiceError } from '../../errors.js';

export function json<T = unknown>(): Format<T> {
  return {
    name: 'json',
    decode(bytes: Buffer): T {
      try {
        return JSON.parse(bytes.toString('utf8')) as T;
      } catch (err) {
        throw new SluiceError('DESERIALIZATION_FAILED', `not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    },
    encode(value: T): Buffer {
      return Buffer.from(JSON.stringify(value), 'utf8');
    },
  };
}
