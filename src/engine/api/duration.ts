// Durations as people write them in job definitions ("10s", "1m", "250ms", "1h", "2d") or as
// plain millisecond numbers. One parser so every engine option accepts the same forms.
// May import: errors only.
import { SluiceError } from '../../errors.js';

export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration; INVALID_ARGUMENT for anything else or a negative value. */
export function toMillis(d: Duration, what = 'duration'): number {
  if (typeof d === 'number') {
    if (!Number.isFinite(d) || d < 0) throw new SluiceError('INVALID_ARGUMENT', `${what}: ${d} is not a non-negative number of ms`);
    return d;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(d);
  if (!m) throw new SluiceError('INVALID_ARGUMENT', `${what}: cannot parse "${d}" (use e.g. 500ms, 10s, 1m, 2h, 1d)`);
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
}
