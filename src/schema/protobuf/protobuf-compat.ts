// Protobuf evolution rules in the manner of Confluent's diff: field numbers are identity,
// scalar types may change only within a wire-compatible group, removing a message, a
// oneof member or a required field breaks readers, moving fields into oneofs is refused,
// enum changes and plain field removal are fine (proto3 readers ignore unknown numbers).
import protobuf from 'protobufjs';
import type { ParsedProtobuf } from './protobuf-provider.js';

const SCALAR_GROUP: Record<string, string> = {
  int32: 'varint',
  uint32: 'varint',
  int64: 'varint',
  uint64: 'varint',
  bool: 'varint',
  sint32: 'zigzag',
  sint64: 'zigzag',
  fixed32: 'fixed32',
  sfixed32: 'fixed32',
  fixed64: 'fixed64',
  sfixed64: 'fixed64',
  string: 'bytes',
  bytes: 'bytes',
  float: 'float',
  double: 'double',
};

function allMessages(ns: protobuf.NamespaceBase, out: Map<string, protobuf.Type>, pkgPrefix: string): void {
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type) out.set(n.fullName.replace(/^\./, ''), n);
    if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) allMessages(n, out, pkgPrefix);
  }
}
function fileMessages(p: ParsedProtobuf): Map<string, protobuf.Type> {
  const out = new Map<string, protobuf.Type>();
  for (const t of p.messages) {
    out.set(t.fullName.replace(/^\./, ''), t);
    allMessages(t, out, p.packageName);
  }
  return out;
}

function kindOf(f: protobuf.Field): string {
  if (f.map) return 'map';
  const rt = f.resolvedType;
  if (rt instanceof protobuf.Type) return 'message';
  if (rt instanceof protobuf.Enum) return 'enum';
  return 'scalar';
}

function relName(fullName: string, pkg: string): string {
  const n = fullName.replace(/^\./, '');
  return pkg && n.startsWith(`${pkg}.`) ? n.slice(pkg.length + 1) : n;
}

export function protobufReaderCompatibility(reader: ParsedProtobuf, writer: ParsedProtobuf): string[] {
  const out: string[] = [];
  if (reader.packageName !== writer.packageName)
    out.push(`PACKAGE_CHANGED: package '${writer.packageName}' became '${reader.packageName}'`);
  if (reader.syntax !== writer.syntax) out.push(`SYNTAX_VERSION_CHANGED: ${writer.syntax} became ${reader.syntax}`);
  const rMsgs = fileMessages(reader);
  const wMsgs = fileMessages(writer);
  const rByRel = new Map([...rMsgs.values()].map((t) => [relName(t.fullName, reader.packageName), t]));
  for (const w of wMsgs.values()) {
    const rel = relName(w.fullName, writer.packageName);
    const r = rByRel.get(rel);
    if (!r) {
      out.push(`MESSAGE_REMOVED: message '${rel}' is missing from the new schema`);
      continue;
    }
    compareMessage(r, w, rel, out);
  }
  return out;
}

function compareMessage(r: protobuf.Type, w: protobuf.Type, rel: string, out: string[]): void {
  const rById = new Map(r.fieldsArray.map((f) => [f.id, f]));
  const wById = new Map(w.fieldsArray.map((f) => [f.id, f]));
  for (const wf of w.fieldsArray) {
    const rf = rById.get(wf.id);
    const where = `field '${wf.name}' (number ${wf.id}) of message '${rel}'`;
    if (!rf) {
      if (wf.partOf) out.push(`ONEOF_FIELD_REMOVED: ${where} was removed from oneof '${wf.partOf.name}'`);
      else if (wf.required) out.push(`REQUIRED_FIELD_REMOVED: required ${where} was removed`);
      continue;
    }
    const wk = kindOf(wf);
    const rk = kindOf(rf);
    if (wk !== rk) {
      out.push(`FIELD_KIND_CHANGED: ${where} changed from ${wk} to ${rk}`);
      continue;
    }
    if (wk === 'scalar' && wf.type !== rf.type && SCALAR_GROUP[wf.type] !== SCALAR_GROUP[rf.type])
      out.push(`FIELD_SCALAR_KIND_CHANGED: ${where} changed type from ${wf.type} to ${rf.type}`);
    if ((wk === 'message' || wk === 'enum') && wf.resolvedType && rf.resolvedType) {
      const wn = wf.resolvedType.fullName.split('.').pop();
      const rn = rf.resolvedType.fullName.split('.').pop();
      if (wn !== rn) out.push(`FIELD_NAMED_TYPE_CHANGED: ${where} changed type from ${wn} to ${rn}`);
    }
    if (wk === 'map') {
      const wm = wf as unknown as protobuf.MapField;
      const rm = rf as unknown as protobuf.MapField;
      if (wm.keyType !== rm.keyType || (SCALAR_GROUP[wm.type] ?? wm.type) !== (SCALAR_GROUP[rm.type] ?? rm.type))
        out.push(`FIELD_KIND_CHANGED: map ${where} changed from map<${wm.keyType},${wm.type}> to map<${rm.keyType},${rm.type}>`);
    }
    if (wf.repeated !== rf.repeated && wk !== 'map')
      out.push(`FIELD_LABEL_CHANGED: ${where} changed from ${wf.repeated ? 'repeated' : 'singular'} to ${rf.repeated ? 'repeated' : 'singular'}`);
    if (!wf.required && rf.required) out.push(`REQUIRED_FIELD_ADDED: ${where} became required`);
  }
  for (const rf of r.fieldsArray) {
    if (!wById.has(rf.id) && rf.required)
      out.push(`REQUIRED_FIELD_ADDED: required field '${rf.name}' (number ${rf.id}) was added to message '${rel}'`);
  }
  // fields moving into oneofs
  for (const ro of r.oneofsArray) {
    const moved = ro.fieldsArray.filter((rf) => {
      const wf = wById.get(rf.id);
      return wf !== undefined && !wf.partOf;
    });
    const existed = w.oneofsArray.some((wo) => wo.fieldsArray.some((wf) => ro.fieldsArray.some((rf) => rf.id === wf.id)));
    if (moved.length > 0 && existed)
      out.push(`FIELD_MOVED_TO_EXISTING_ONEOF: field(s) ${moved.map((f) => `'${f.name}'`).join(', ')} of message '${rel}' moved into existing oneof '${ro.name}'`);
    else if (moved.length > 1)
      out.push(`MULTIPLE_FIELDS_MOVED_TO_ONEOF: fields ${moved.map((f) => `'${f.name}'`).join(', ')} of message '${rel}' moved into oneof '${ro.name}'`);
  }
}
