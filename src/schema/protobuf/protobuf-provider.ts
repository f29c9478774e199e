// The PROTOBUF schema type: .proto text parsed with protobufjs (references become imports
// parsed into the same root first), identity from the parsed descriptor (comments and
// whitespace do not count), message indexes for the wire format, and Confluent's
// compatibility rules in protobuf-compat.ts.
import protobuf from 'protobufjs';
import { SchemaInvalidError } from '../registry-error.js';
import type { ParsedSchema, ResolvedReference, SchemaProvider } from '../types.js';
import { protobufReaderCompatibility } from './protobuf-compat.js';

export interface ParsedProtobuf extends ParsedSchema {
  readonly type: 'PROTOBUF';
  /** Root holding this file's types and everything it imports, resolved. */
  readonly root: protobuf.Root;
  readonly packageName: string;
  /** Top-level messages of this file in declaration order (message index 0, 1, ...). */
  readonly messages: protobuf.Type[];
  /** Enums declared in this file (top level and nested), by full name without leading dot. */
  readonly syntax: string;
}

const PARSE_OPTIONS = { keepCase: true, alternateCommentMode: false } as const;

function addReferences(root: protobuf.Root, refs: readonly ResolvedReference[], seen: Set<string>): void {
  for (const ref of refs) {
    if (seen.has(ref.name)) continue;
    seen.add(ref.name);
    addReferences(root, ref.references, seen);
    if (ref.schemaType !== 'PROTOBUF') throw new SchemaInvalidError(`reference ${ref.name} is not a PROTOBUF schema`);
    try {
      const r = protobuf.parse(ref.schema, root, PARSE_OPTIONS);
      addWellKnown(root, r.imports ?? [], seen);
    } catch (err) {
      throw new SchemaInvalidError(`reference ${ref.name}: ${(err as Error).message}`, err);
    }
  }
}

function addWellKnown(root: protobuf.Root, imports: string[], seen: Set<string>): void {
  for (const imp of imports) {
    if (seen.has(imp) || !imp.startsWith('google/protobuf/')) continue;
    const desc = protobuf.common.get(imp);
    if (desc?.nested) {
      root.addJSON(desc.nested);
      seen.add(imp);
    }
  }
}

function topLevelMessages(root: protobuf.Root, pkg: string): protobuf.Type[] {
  const ns = pkg === '' ? root : root.lookup(pkg);
  if (!ns || !(ns instanceof protobuf.Namespace)) return [];
  return ns.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
}

export function parseProtobuf(text: string, references: readonly ResolvedReference[] = []): ParsedProtobuf {
  // Identity: this file alone, as a descriptor (no comments, no formatting).
  let alone: protobuf.IParserResult;
  try {
    alone = protobuf.parse(text, new protobuf.Root(), PARSE_OPTIONS);
  } catch (err) {
    throw new SchemaInvalidError((err as Error).message, err);
  }
  const pkg = alone.package ?? '';
  const root = new protobuf.Root();
  const seen = new Set<string>();
  addReferences(root, references, seen);
  let result: protobuf.IParserResult;
  try {
    result = protobuf.parse(text, root, PARSE_OPTIONS);
    const missing = (result.imports ?? []).filter((i) => !seen.has(i) && !i.startsWith('google/protobuf/'));
    if (missing.length > 0) throw new Error(`import(s) without a reference: ${missing.join(', ')}`);
    addWellKnown(root, result.imports ?? [], seen);
    root.resolveAll();
  } catch (err) {
    throw new SchemaInvalidError((err as Error).message, err);
  }
  const ownNames = new Set(topLevelMessages(alone.root, pkg).map((t) => t.name));
  const messages = topLevelMessages(root, pkg).filter((t) => ownNames.has(t.name));
  const syntax = /^\s*syntax\s*=\s*"(proto[23])"/m.exec(text)?.[1] ?? 'proto2';
  const canonical = JSON.stringify({ syntax, imports: [...(alone.imports ?? [])].sort(), root: alone.root.toJSON() });
  return { type: 'PROTOBUF', text: text.trim(), canonical, references, root, packageName: pkg, messages, syntax };
}

/** The message-index path of a message type within its file: [i] top level, [i, j] nested, ... */
export function messageIndexes(parsed: ParsedProtobuf, fullName: string): number[] {
  const name = fullName.replace(/^\./, '');
  const rel = parsed.packageName && name.startsWith(`${parsed.packageName}.`) ? name.slice(parsed.packageName.length + 1) : name;
  const parts = rel.split('.');
  const path: number[] = [];
  let level: protobuf.Type[] = parsed.messages;
  for (const part of parts) {
    const i = level.findIndex((t) => t.name === part);
    if (i < 0) throw new SchemaInvalidError(`message ${fullName} not in schema`);
    path.push(i);
    const t = level[i] as protobuf.Type;
    level = t.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
  }
  return path;
}

/** The message type a message-index path names. */
export function messageAt(parsed: ParsedProtobuf, indexes: readonly number[]): protobuf.Type {
  let level: protobuf.Type[] = parsed.messages;
  let found: protobuf.Type | undefined;
  for (const i of indexes) {
    found = level[i];
    if (!found) throw new SchemaInvalidError(`message index ${indexes.join(',')} not in schema`);
    level = found.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
  }
  if (!found) throw new SchemaInvalidError('empty message index');
  return found;
}

export const protobufProvider: SchemaProvider<ParsedProtobuf> = {
  type: 'PROTOBUF',
  parse: parseProtobuf,
  readerCompatibility: (reader, writer) => protobufReaderCompatibility(reader, writer),
};
