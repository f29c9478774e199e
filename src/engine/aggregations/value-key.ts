// A deterministic string for any plain value, so aggregations can count distinct values and
// break ties identically no matter how the input was split across accumulators. Numbers and
// strings get a type prefix so 1 and "1" stay distinct; objects use their sorted keys.
// Imports nothing.

export function valueKey(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return 's' + value;
    case 'number':
      // -0 and 0 are one value, as in a Set.
      return 'n' + (value === 0 ? '0' : String(value));
    case 'bigint':
      return 'b' + value.toString();
    case 'boolean':
      return value ? 'T' : 'F';
    case 'undefined':
      return 'u';
    default:
      if (value === null) return 'z';
      return 'j' + stableJson(value);
  }
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? `"${value.toString()}n"` : (JSON.stringify(value) ?? 'null');
  }
  if (ArrayBuffer.isView(value)) {
    return `"bytes:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"`;
  }
  if (Array.isArray(value)) return '[' + value.map(stableJson).join(',') + ']';
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + stableJson(obj[k])).join(',') + '}';
}
