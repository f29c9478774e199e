// A stable string for a key or namespace, so timers can be deduplicated per (key, namespace,
// time) whatever JS value the key is: equal keys (by value) give equal strings.
// May import nothing.

export function stableId(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return `s${v}`;
    case 'number':
      return `n${v === 0 ? 0 : v}`;
    case 'bigint':
      return `b${v}`;
    case 'boolean':
      return v ? 't' : 'f';
    case 'undefined':
      return 'u';
    default:
      if (v === null) return 'z';
      return `j${JSON.stringify(v, (_k, x: unknown) => sortKeys(x))}`;
  }
}

function sortKeys(x: unknown): unknown {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return typeof x === 'bigint' ? `${x}n` : x;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(x).sort()) out[k] = (x as Record<string, unknown>)[k];
  return out;
}
