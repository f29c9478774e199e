// JSON Schema evolution judged by what it means for data: can every document valid under the
// writer's schema be accepted by the reader's? Open content models (additionalProperties absent
// or true) let unknown properties through, so adding a constrained property to an open model
// breaks old data, and removing one from a closed model does too. Covers the keywords that
// matter for evolution: type, properties, required, additionalProperties, enum/const, items,
// string/number/array bounds, local and referenced $ref, and oneOf/anyOf branches.
import type { ParsedJsonSchema } from './json-provider.js';

type S = boolean | Record<string, unknown>;

interface Ctx {
  readerRoot: ParsedJsonSchema;
  writerRoot: ParsedJsonSchema;
  out: string[];
  depth: number;
}

export function jsonReaderCompatibility(reader: ParsedJsonSchema, writer: ParsedJsonSchema): string[] {
  const ctx: Ctx = { readerRoot: reader, writerRoot: writer, out: [], depth: 0 };
  check(asSchema(reader.json), asSchema(writer.json), '#', ctx);
  return ctx.out;
}

function asSchema(v: unknown): S {
  if (typeof v === 'boolean') return v;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  return true;
}

function deref(s: S, root: ParsedJsonSchema): S {
  for (let i = 0; i < 32 && typeof s === 'object' && typeof s.$ref === 'string'; i++) {
    const ref = s.$ref;
    let target: unknown;
    if (ref.startsWith('#')) target = pointer(root.json, ref.slice(1));
    else {
      const hash = ref.indexOf('#');
      const base = hash < 0 ? ref : ref.slice(0, hash);
      const doc = root.referenced.get(base);
      target = doc === undefined ? undefined : hash < 0 ? doc : pointer(doc, ref.slice(hash + 1));
    }
    if (target === undefined) return true; // unresolvable here: ajv accepted it, treat as open
    s = asSchema(target);
  }
  return s;
}

function pointer(doc: unknown, ptr: string): unknown {
  if (ptr === '' || ptr === '/') return doc;
  let cur = doc;
  for (const raw of ptr.split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const ALL_TYPES = ['null', 'boolean', 'object', 'array', 'number', 'string', 'integer'];
function typesOf(s: Record<string, unknown>): string[] | undefined {
  const t = s.type;
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t.map(String);
  return undefined;
}
function typeAccepts(readerTypes: string[], t: string): boolean {
  return readerTypes.includes(t) || (t === 'integer' && readerTypes.includes('number'));
}

function isOpen(s: Record<string, unknown>): boolean {
  return s.additionalProperties === undefined || s.additionalProperties === true;
}
function props(s: Record<string, unknown>): Record<string, unknown> {
  const p = s.properties;
  return p !== null && typeof p === 'object' ? (p as Record<string, unknown>) : {};
}
function required(s: Record<string, unknown>): string[] {
  return Array.isArray(s.required) ? s.required.map(String) : [];
}
function isPermissive(s: S): boolean {
  return s === true || (typeof s === 'object' && Object.keys(s).filter((k) => !ANNOTATIONS.has(k)).length === 0);
}
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', '$comment', 'deprecated', 'readOnly', 'writeOnly']);

function num(s: Record<string, unknown>, k: string): number | undefined {
  const v = s[k];
  return typeof v === 'number' ? v : undefined;
}

function check(readerIn: S, writerIn: S, path: string, ctx: Ctx): void {
  if (ctx.depth > 64) return;
  ctx.depth++;
  try {
    const reader = deref(readerIn, ctx.readerRoot);
    const writer = deref(writerIn, ctx.writerRoot);
    if (reader === true || isPermissive(reader)) return;
    if (writer === false) return;
    if (reader === false) {
      ctx.out.push(`SCHEMA_NARROWED at '${path}': the reader accepts nothing where the writer accepted values`);
      return;
    }
    const w = writer === true ? {} : writer;
    const out = ctx.out;
    // combinators on the reader: every writer alternative must fit some reader alternative
    for (const key of ['oneOf', 'anyOf'] as const) {
      const rb = reader[key];
      if (!Array.isArray(rb)) continue;
      const wb = Array.isArray(w[key]) ? (w[key] as unknown[]) : [w];
      wb.forEach((branch, i) => {
        const fits = rb.some((r) => {
          const sub: Ctx = { ...ctx, out: [] };
          check(asSchema(r), asSchema(branch), `${path}/${key}`, sub);
          return sub.out.length === 0;
        });
        if (!fits) out.push(`COMBINED_TYPE_SUBSCHEMAS_CHANGED at '${path}/${key}': writer alternative ${i} is not accepted by any of the reader's ${key} alternatives`);
      });
    }
    const rt = typesOf(reader);
    const wt = typesOf(w) ?? (Array.isArray(w.enum) || 'const' in w ? undefined : ALL_TYPES);
    if (rt && wt) {
      const narrowed = wt.filter((t) => !typeAccepts(rt, t));
      if (narrowed.length > 0)
        out.push(`TYPE_NARROWED at '${path}': the writer allows type ${narrowed.join(', ')} which the reader (type ${rt.join(', ')}) rejects`);
    }
    if (Array.isArray(reader.enum)) {
      const renum = reader.enum.map((v) => JSON.stringify(v));
      const wenum = Array.isArray(w.enum) ? w.enum.map((v) => JSON.stringify(v)) : 'const' in w ? [JSON.stringify(w.const)] : undefined;
      if (!wenum) out.push(`ENUM_ARRAY_NARROWED at '${path}': the reader restricts values to an enum the writer did not have`);
      else {
        const missing = wenum.filter((v) => !renum.includes(v));
        if (missing.length > 0) out.push(`ENUM_ARRAY_NARROWED at '${path}': value(s) ${missing.join(', ')} were removed from the enum`);
      }
    }
    if ('const' in reader && JSON.stringify(reader.const) !== JSON.stringify(w.const))
      out.push(`CONST_CHANGED at '${path}': const changed`);
    bound(reader, w, 'maxLength', 'MAX_LENGTH', path, out, 'max');
    bound(reader, w, 'minLength', 'MIN_LENGTH', path, out, 'min');
    bound(reader, w, 'maximum', 'MAXIMUM', path, out, 'max');
    bound(reader, w, 'minimum', 'MINIMUM', path, out, 'min');
    bound(reader, w, 'exclusiveMaximum', 'EXCLUSIVE_MAXIMUM', path, out, 'max');
    bound(reader, w, 'exclusiveMinimum', 'EXCLUSIVE_MINIMUM', path, out, 'min');
    bound(reader, w, 'maxItems', 'MAX_ITEMS', path, out, 'max');
    bound(reader, w, 'minItems', 'MIN_ITEMS', path, out, 'min');
    bound(reader, w, 'maxProperties', 'MAX_PROPERTIES', path, out, 'max');
    bound(reader, w, 'minProperties', 'MIN_PROPERTIES', path, out, 'min');
    if (typeof reader.pattern === 'string' && reader.pattern !== w.pattern)
      out.push(`PATTERN_CHANGED at '${path}': pattern ${JSON.stringify(w.pattern ?? null)} became ${JSON.stringify(reader.pattern)}`);
    if (reader.uniqueItems === true && w.uniqueItems !== true) out.push(`UNIQUE_ITEMS_ADDED at '${path}'`);
    if (reader.items !== undefined && !Array.isArray(reader.items))
      check(asSchema(reader.items), Array.isArray(w.items) ? true : asSchema(w.items ?? true), `${path}/items`, ctx);
    checkObject(reader, w, path, ctx);
  } finally {
    ctx.depth--;
  }
}

function bound(r: Record<string, unknown>, w: Record<string, unknown>, key: string, label: string, path: string, out: string[], dir: 'max' | 'min'): void {
  const rv = num(r, key);
  if (rv === undefined) return;
  const wv = num(w, key);
  if (wv === undefined) out.push(`${label}_ADDED at '${path}': ${key} ${rv} was added`);
  else if (dir === 'max' ? rv < wv : rv > wv) out.push(`${label}_${dir === 'max' ? 'DECREASED' : 'INCREASED'} at '${path}': ${key} changed from ${wv} to ${rv}`);
}

function checkObject(reader: Record<string, unknown>, w: Record<string, unknown>, path: string, ctx: Ctx): void {
  const out = ctx.out;
  const rp = props(reader);
  const wp = props(w);
  const rReq = required(reader);
  const wReq = required(w);
  if (Object.keys(rp).length === 0 && Object.keys(wp).length === 0 && rReq.length === 0 && isOpen(reader)) return;
  for (const [name, ws] of Object.entries(wp)) {
    const ppath = `${path}/properties/${name}`;
    if (name in rp) {
      check(asSchema(rp[name]), asSchema(ws), ppath, ctx);
      continue;
    }
    if (reader.additionalProperties === false)
      out.push(`PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL at '${ppath}': property '${name}' was removed and the reader does not allow additional properties`);
    else if (reader.additionalProperties !== undefined && reader.additionalProperties !== true)
      check(asSchema(reader.additionalProperties), asSchema(ws), ppath, ctx);
  }
  for (const [name, rs] of Object.entries(rp)) {
    if (name in wp) continue;
    const ppath = `${path}/properties/${name}`;
    if (isOpen(w) && !isPermissive(asSchema(rs)))
      out.push(`PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL at '${ppath}': property '${name}' was added, but the writer's open content model may already carry '${name}' with any value`);
    else if (!isOpen(w) && w.additionalProperties !== false)
      check(asSchema(rs), asSchema(w.additionalProperties), ppath, ctx);
  }
  for (const name of rReq) {
    if (wReq.includes(name)) continue;
    const rs = rp[name];
    const hasDefault = rs !== null && typeof rs === 'object' && 'default' in (rs as object);
    if (!hasDefault) out.push(`REQUIRED_PROPERTY_ADDED at '${path}/required': property '${name}' is now required but the writer did not require it`);
  }
  if (reader.additionalProperties === false && isOpen(w))
    out.push(`ADDITIONAL_PROPERTIES_REMOVED at '${path}/additionalProperties': the reader closed the content model the writer left open`);
  else if (typeof reader.additionalProperties === 'object' && reader.additionalProperties !== null) {
    if (isOpen(w)) {
      if (!isPermissive(asSchema(reader.additionalProperties)))
        out.push(`ADDITIONAL_PROPERTIES_NARROWED at '${path}/additionalProperties': the writer allowed any additional property`);
    } else if (typeof w.additionalProperties === 'object' && w.additionalProperties !== null)
      check(asSchema(reader.additionalProperties), asSchema(w.additionalProperties), `${path}/additionalProperties`, ctx);
  }
}
