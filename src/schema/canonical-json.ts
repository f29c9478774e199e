// A JSON text with object keys sorted, so two schemas that differ only in key order or
// whitespace get the same identity. Used by the Avro and JSON Schema providers.

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** Parses JSON text, turning a syntax error into a caller-chosen error. */
export function parseJsonText(text: string, onError: (message: string) => Error): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw onError(err instanceof Error ? err.message : String(err));
  }
}
