// Opens a format once however many sources, sinks and subtasks share the object: n subtasks
// of one node share one registry round trip. A failed open is not remembered, so a restarted
// job tries again.
// May import: formats/format.ts.
import type { Format } from './format.js';

const opened = new WeakMap<object, Promise<void>>();

export function openFormat<T>(format: Format<T>): Promise<void> {
  if (typeof format.open !== 'function') return Promise.resolve();
  let p = opened.get(format);
  if (!p) {
    p = format.open();
    opened.set(format, p);
    p.catch(() => opened.delete(format));
  }
  return p;
}
