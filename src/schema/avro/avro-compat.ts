// Avro schema resolution as the specification defines it, answered as a list of reasons:
// can data written with `writer` be read with `reader`? Each message names the path and field
// so a refused registration tells the user exactly what to fix.
import type { AvroNode, AvroPrimitive, NamedNode } from './avro-model.js';

const PROMOTIONS: Record<AvroPrimitive, AvroPrimitive[]> = {
  null: [],
  boolean: [],
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  double: [],
  bytes: ['string'],
  string: ['bytes'],
};

function describe(n: AvroNode): string {
  switch (n.kind) {
    case 'primitive':
      return n.name;
    case 'array':
      return `array<${describe(n.items)}>`;
    case 'map':
      return `map<${describe(n.values)}>`;
    case 'union':
      return `[${n.branches.map(describe).join(',')}]`;
    default:
      return `${n.kind} ${n.fullname}`;
  }
}

function unqualified(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? name : name.slice(i + 1);
}
function namesMatch(reader: NamedNode, writer: NamedNode): boolean {
  if (reader.fullname === writer.fullname) return true;
  if (reader.aliases.includes(writer.fullname)) return true;
  // Java's resolver also accepts a reader alias given without namespace
  return reader.aliases.some((a) => unqualified(a) === unqualified(writer.fullname) && !a.includes('.'));
}

/** Cheap structural match used to pick a union branch, as the spec's "first branch that matches". */
function matches(reader: AvroNode, writer: AvroNode): boolean {
  if (reader.kind === 'primitive' && writer.kind === 'primitive')
    return reader.name === writer.name || PROMOTIONS[writer.name].includes(reader.name);
  if (reader.kind !== writer.kind) return false;
  if (reader.kind === 'array' || reader.kind === 'map' || reader.kind === 'union') return true;
  return namesMatch(reader as NamedNode, writer as NamedNode);
}

export function avroReaderCompatibility(reader: AvroNode, writer: AvroNode): string[] {
  const out: string[] = [];
  check(reader, writer, '', out, new Set());
  return out;
}

function check(reader: AvroNode, writer: AvroNode, path: string, out: string[], inProgress: Set<string>): void {
  const at = path === '' ? '/' : path;
  if (writer.kind === 'union') {
    // every branch the writer may have used must be readable
    writer.branches.forEach((b, i) => {
      if (reader.kind === 'union') {
        const target = reader.branches.find((r) => sameKindName(r, b)) ?? reader.branches.find((r) => matches(r, b));
        if (!target)
          out.push(`MISSING_UNION_BRANCH at '${at}': the writer's union branch ${i} (${describe(b)}) has no match in the reader's union ${describe(reader)}`);
        else check(target, b, path, out, inProgress);
      } else {
        const before = out.length;
        check(reader, b, path, out, inProgress);
        if (out.length > before) {
          out.splice(before);
          out.push(`TYPE_MISMATCH at '${at}': the writer's union branch ${i} (${describe(b)}) cannot be read as ${describe(reader)}`);
        }
      }
    });
    return;
  }
  if (reader.kind === 'union') {
    const target = reader.branches.find((r) => sameKindName(r, writer)) ?? reader.branches.find((r) => matches(r, writer));
    if (!target) {
      out.push(`MISSING_UNION_BRANCH at '${at}': ${describe(writer)} is not among the reader's union branches ${describe(reader)}`);
      return;
    }
    check(target, writer, path, out, inProgress);
    return;
  }
  if (reader.kind === 'primitive' && writer.kind === 'primitive') {
    if (reader.name !== writer.name && !PROMOTIONS[writer.name].includes(reader.name))
      out.push(`TYPE_MISMATCH at '${at}': the writer's ${writer.name} cannot be read as ${reader.name}`);
    return;
  }
  if (reader.kind !== writer.kind) {
    out.push(`TYPE_MISMATCH at '${at}': the writer's ${describe(writer)} cannot be read as ${describe(reader)}`);
    return;
  }
  switch (reader.kind) {
    case 'array':
      check(reader.items, (writer as typeof reader).items, `${path}/items`, out, inProgress);
      return;
    case 'map':
      check(reader.values, (writer as typeof reader).values, `${path}/values`, out, inProgress);
      return;
    case 'fixed': {
      const w = writer as typeof reader;
      if (!namesMatch(reader, w)) out.push(`NAME_MISMATCH at '${at}': fixed ${w.fullname} cannot be read as fixed ${reader.fullname}`);
      else if (reader.size !== w.size)
        out.push(`FIXED_SIZE_MISMATCH at '${at}': fixed ${reader.fullname} has size ${reader.size} in the reader and ${w.size} in the writer`);
      return;
    }
    case 'enum': {
      const w = writer as typeof reader;
      if (!namesMatch(reader, w)) {
        out.push(`NAME_MISMATCH at '${at}': enum ${w.fullname} cannot be read as enum ${reader.fullname}`);
        return;
      }
      const missing = w.symbols.filter((s) => !reader.symbols.includes(s));
      if (missing.length > 0 && reader.default === undefined)
        out.push(
          `MISSING_ENUM_SYMBOLS at '${at}': enum ${reader.fullname} in the reader lacks symbol(s) ${missing.join(', ')} the writer may use, and has no default`,
        );
      return;
    }
    case 'record': {
      const w = writer as typeof reader;
      if (!namesMatch(reader, w)) {
        out.push(`NAME_MISMATCH at '${at}': record ${w.fullname} cannot be read as record ${reader.fullname}`);
        return;
      }
      const key = `${reader.fullname}<-${w.fullname}`;
      if (inProgress.has(key)) return; // recursive type: assume compatible while its check is under way
      inProgress.add(key);
      for (const rf of reader.fields) {
        const wf = w.fields.find((f) => f.name === rf.name) ?? w.fields.find((f) => rf.aliases.includes(f.name));
        const fpath = `${path}/fields/${rf.name}`;
        if (!wf) {
          if (!rf.hasDefault)
            out.push(
              `READER_FIELD_MISSING_DEFAULT_VALUE at '${fpath}': field '${rf.name}' of record ${reader.fullname} is missing in the writer's schema and has no default value`,
            );
          continue;
        }
        check(rf.type, wf.type, `${fpath}/type`, out, inProgress);
      }
      inProgress.delete(key);
      return;
    }
    default:
      return;
  }
}

function sameKindName(r: AvroNode, w: AvroNode): boolean {
  if (r.kind === 'primitive' && w.kind === 'primitive') return r.name === w.name;
  if (r.kind !== w.kind) return false;
  if ('fullname' in r && 'fullname' in w) return r.fullname === w.fullname;
  return true;
}
