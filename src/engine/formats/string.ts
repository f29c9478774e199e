// UTF-8 text; strict decoding so invalid UTF-8 is a dead letter rather than silent U+FFFD.
// May import: formats/format.ts, errors.
import type { Format } from './format.js';
import { SluiceError } from '../../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export function string(): Format<string> {
  return {
    name: 'string',
    decode(bytes: Buffer): string {
      try {
        return decoder.decode(bytes);
      } catch (err) {
        throw new SluiceError('DESERIALIZATION_FAILED', 'invalid UTF-8', { cause: err });
      }
    },
    encode(value: string): Buffer {
      return Buffer.from(value, 'utf8');
    },
  };
}
