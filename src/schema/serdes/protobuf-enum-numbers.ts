// Protobuf values as the serdes decode them carry enum *names* (toObject with enums: String),
// but protobufjs' verifier and encoder accept enum *numbers* only. So a decoded value could not
// be encoded again. The format verifies the value as given first (the hot path); only when that
// fails does it try this conversion, a copy with known enum names replaced by their numbers,
// and verifies again. Unknown names stay as they are, so the verifier still reports them.
// Imports protobufjs only.
import protobuf from 'protobufjs';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** `value` with enum names replaced by numbers throughout (nested, repeated, map values); `value` itself when nothing changed. */
export function withEnumNumbers(type: protobuf.Type, value: unknown, depth = 0): unknown {
  if (!isPlainObject(value) || depth > 64) return value;
  let out: Record<string, unknown> | undefined;
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    if (v === undefined || v === null) continue;
    const rt = field.resolve().resolvedType;
    if (!rt) continue;
    const convert = (x: unknown): unknown => {
      if (rt instanceof protobuf.Enum) return typeof x === 'string' && Object.hasOwn(rt.values, x) ? rt.values[x] : x;
      return withEnumNumbers(rt as protobuf.Type, x, depth + 1);
    };
    let changed = false;
    let nv: unknown = v;
    if (field.map) {
      if (isPlainObject(v)) {
        const m: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
          m[k] = convert(x);
          if (m[k] !== x) changed = true;
        }
        nv = m;
      }
    } else if (field.repeated) {
      if (Array.isArray(v)) {
        const a = v.map(convert);
        changed = a.some((x, i) => x !== v[i]);
        nv = a;
      }
    } else {
      nv = convert(v);
      changed = nv !== v;
    }
    if (changed) (out ??= { ...value })[field.name] = nv;
  }
  return out ?? value;
}
