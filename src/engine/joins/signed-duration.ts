// Join bounds are offsets that may be negative ("-5s" in between(-5s, 5s)), which the engine's
// Duration parser (non-negative by design) rejects; this wraps it with an optional sign so
// every join option still accepts the same "10s" / ms forms.
// May import: errors, engine/api/duration.ts.
import { SluiceError } from '../../errors.js';
import type { Duration } from '../api/duration.js';
import { toMillis } from '../api/duration.js';

/** A Duration that may be negative: a number of ms, or "-5s" / "5s" style strings. */
export type SignedDuration = Duration;

export function toSignedMillis(d: SignedDuration, what: string): number {
  if (typeof d === 'number') {
    if (!Number.isFinite(d)) throw new SluiceError('INVALID_ARGUMENT', `${what}: ${d} is not a finite number of ms`);
    return d;
  }
  if (typeof d !== 'string') throw new SluiceError('INVALID_ARGUMENT', `${what}: expected a number of ms or a string like "-5s"`);
  const s = d.trim();
  if (s.startsWith('-')) return -toMillis(s.slice(1), what);
  return toMillis(s.startsWith('+') ? s.slice(1) : s, what);
}
