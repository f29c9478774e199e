// Raw bytes, unchanged both ways.
// May import: formats/format.ts.
import type { Format } from './format.js';

export function bytes(): Format<Buffer> {
  return { name: 'bytes', decode: (b) => b, encode: (b) => b };
}
