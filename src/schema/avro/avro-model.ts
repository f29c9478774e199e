// Avro schemas as a resolved graph (named types shared by reference, recursion allowed), built
// from schema JSON. The compatibility checker and the code generator walk this graph; avsc
// itself stays the authority on validity and on encoding.
import { SchemaInvalidError } from '../registry-error.js';

export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';
const PRIMITIVES = new Set<string>(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

export interface AvroField {
  name: string;
  type: AvroNode;
  aliases: string[];
  hasDefault: boolean;
  default?: unknown;
  doc?: string;
}
export type AvroNode =
  | { kind: 'primitive'; name: AvroPrimitive; logicalType?: string; attrs: Record<string, unknown> }
  | { kind: 'record'; fullname: string; aliases: string[]; fields: AvroField[]; doc?: string }
  | { kind: 'enum'; fullname: string; aliases: string[]; symbols: string[]; default?: string; doc?: string }
  | { kind: 'fixed'; fullname: string; aliases: string[]; size: number; logicalType?: string }
  | { kind: 'array'; items: AvroNode }
  | { kind: 'map'; values: AvroNode }
  | { kind: 'union'; branches: AvroNode[] };

export type NamedNode = Extract<AvroNode, { fullname: string }>;

function fullName(name: string, namespace: string | undefined): string {
  if (name.includes('.')) return name;
  return namespace ? `${namespace}.${name}` : name;
}
function namespaceOf(fullname: string): string | undefined {
  const i = fullname.lastIndexOf('.');
  return i < 0 ? undefined : fullname.slice(0, i);
}
function bad(msg: string): never {
  throw new SchemaInvalidError(msg);
}

/** Builds the graph; `names` holds named types already defined (e.g. by references) and receives new ones. */
export function buildAvroModel(json: unknown, names: Map<string, NamedNode> = new Map(), namespace?: string): AvroNode {
  return build(json, namespace, names);
}

function build(json: unknown, ns: string | undefined, names: Map<string, NamedNode>): AvroNode {
  if (typeof json === 'string') {
    if (PRIMITIVES.has(json)) return { kind: 'primitive', name: json as AvroPrimitive, attrs: {} };
    const named = names.get(fullName(json, ns)) ?? names.get(json);
    if (!named) bad(`undefined type name: ${json}`);
    return named;
  }
  if (Array.isArray(json)) return { kind: 'union', branches: json.map((b) => build(b, ns, names)) };
  if (json === null || typeof json !== 'object') bad(`not a schema: ${JSON.stringify(json)}`);
  const obj = json as Record<string, unknown>;
  const type = obj.type;
  if (typeof type !== 'string') {
    // {"type": {...}} or {"type": [...]} wraps another schema
    if (type !== undefined && typeof type === 'object') return build(type, ns, names);
    bad(`missing "type" in ${JSON.stringify(json).slice(0, 80)}`);
  }
  if (PRIMITIVES.has(type)) {
    const attrs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) if (k !== 'type') attrs[k] = v;
    return {
      kind: 'primitive',
      name: type as AvroPrimitive,
      ...(typeof obj.logicalType === 'string' ? { logicalType: obj.logicalType } : {}),
      attrs,
    };
  }
  const aliasesOf = (fn: string): string[] =>
    Array.isArray(obj.aliases) ? obj.aliases.map((a) => fullName(String(a), namespaceOf(fn))) : [];
  const nameOf = (): string => {
    if (typeof obj.name !== 'string' || obj.name === '') bad(`${type} without a name`);
    return fullName(obj.name, typeof obj.namespace === 'string' ? obj.namespace || undefined : ns);
  };
  switch (type) {
    case 'record':
    case 'error': {
      const fn = nameOf();
      const node: NamedNode = { kind: 'record', fullname: fn, aliases: aliasesOf(fn), fields: [] };
      if (typeof obj.doc === 'string') node.doc = obj.doc;
      names.set(fn, node);
      if (!Array.isArray(obj.fields)) bad(`record ${fn} has no fields array`);
      for (const f of obj.fields as unknown[]) {
        if (f === null || typeof f !== 'object') bad(`bad field in ${fn}`);
        const fo = f as Record<string, unknown>;
        if (typeof fo.name !== 'string') bad(`field without a name in ${fn}`);
        const field: AvroField = {
          name: fo.name,
          type: build(fo.type, namespaceOf(fn), names),
          aliases: Array.isArray(fo.aliases) ? fo.aliases.map(String) : [],
          hasDefault: 'default' in fo,
        };
        if ('default' in fo) field.default = fo.default;
        if (typeof fo.doc === 'string') field.doc = fo.doc;
        node.fields.push(field);
      }
      return node;
    }
    case 'enum': {
      const fn = nameOf();
      if (!Array.isArray(obj.symbols)) bad(`enum ${fn} has no symbols`);
      const node: NamedNode = { kind: 'enum', fullname: fn, aliases: aliasesOf(fn), symbols: obj.symbols.map(String) };
      if (typeof obj.default === 'string') node.default = obj.default;
      if (typeof obj.doc === 'string') node.doc = obj.doc;
      names.set(fn, node);
      return node;
    }
    case 'fixed': {
      const fn = nameOf();
      if (typeof obj.size !== 'number') bad(`fixed ${fn} has no size`);
      const node: NamedNode = { kind: 'fixed', fullname: fn, aliases: aliasesOf(fn), size: obj.size };
      if (typeof obj.logicalType === 'string') node.logicalType = obj.logicalType;
      names.set(fn, node);
      return node;
    }
    case 'array':
      return { kind: 'array', items: build(obj.items, ns, names) };
    case 'map':
      return { kind: 'map', values: build(obj.values, ns, names) };
    default: {
      const named = names.get(fullName(type, ns)) ?? names.get(type);
      if (named) return named;
      return bad(`unknown type: ${type}`);
    }
  }
}

/** Rewrites schema JSON so every name is a full name and primitives are bare strings: the
 *  whitespace-, key-order- and namespace-spelling-insensitive identity of an Avro schema. */
export function normalizeAvroJson(json: unknown, ns?: string): unknown {
  if (typeof json === 'string') return PRIMITIVES.has(json) ? json : fullName(json, ns);
  if (Array.isArray(json)) return json.map((b) => normalizeAvroJson(b, ns));
  if (json === null || typeof json !== 'object') return json;
  const obj = json as Record<string, unknown>;
  const type = obj.type;
  if (typeof type === 'string' && PRIMITIVES.has(type) && Object.keys(obj).length === 1) return type;
  const out: Record<string, unknown> = {};
  let innerNs = ns;
  if (typeof obj.name === 'string' && (type === 'record' || type === 'error' || type === 'enum' || type === 'fixed')) {
    const fn = fullName(obj.name, typeof obj.namespace === 'string' ? obj.namespace || undefined : ns);
    out.name = fn;
    innerNs = namespaceOf(fn);
  }
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'name' && 'name' in out) continue;
    if (k === 'namespace') continue;
    if (k === 'type') out.type = typeof v === 'string' ? (PRIMITIVES.has(v) || isComplex(v) ? v : fullName(v, ns)) : normalizeAvroJson(v, ns);
    else if (k === 'fields' && Array.isArray(v))
      out.fields = v.map((f) => {
        if (f === null || typeof f !== 'object') return f;
        const fo: Record<string, unknown> = { ...(f as Record<string, unknown>) };
        fo.type = normalizeAvroJson(fo.type, innerNs);
        return fo;
      });
    else if (k === 'items' || k === 'values') out[k] = normalizeAvroJson(v, ns);
    else out[k] = v;
  }
  return out;
}
function isComplex(t: string): boolean {
  return t === 'record' || t === 'error' || t === 'enum' || t === 'fixed' || t === 'array' || t === 'map';
}
