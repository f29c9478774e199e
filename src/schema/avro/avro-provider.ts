// The AVRO schema type: validation through avsc (names, defaults, unions), identity through
// normalised JSON, and reader/writer compatibility through avro-compat.ts.
import avro from 'avsc';
import { canonicalJson, parseJsonText } from '../canonical-json.js';
import { SchemaInvalidError } from '../registry-error.js';
import type { ParsedSchema, ResolvedReference, SchemaProvider } from '../types.js';
import { buildAvroModel, normalizeAvroJson, type AvroNode, type NamedNode } from './avro-model.js';
import { avroReaderCompatibility } from './avro-compat.js';

export interface ParsedAvro extends ParsedSchema {
  readonly type: 'AVRO';
  readonly json: unknown;
  readonly model: AvroNode;
  /** avsc type, used by the serdes to encode, decode and resolve. */
  readonly avscType: avro.Type;
}

function collect(
  refs: readonly ResolvedReference[],
  registry: Record<string, avro.Type>,
  names: Map<string, NamedNode>,
  seen: Set<string>,
): void {
  for (const ref of refs) {
    if (seen.has(ref.name)) continue;
    seen.add(ref.name);
    collect(ref.references, registry, names, seen);
    if (ref.schemaType !== 'AVRO') throw new SchemaInvalidError(`reference ${ref.name} is not an AVRO schema`);
    const json = parseJsonText(ref.schema, (m) => new SchemaInvalidError(`reference ${ref.name}: ${m}`));
    try {
      avro.Type.forSchema(json as avro.Schema, { registry });
    } catch (err) {
      throw new SchemaInvalidError(`reference ${ref.name}: ${(err as Error).message}`, err);
    }
    buildAvroModel(json, names);
  }
}

export function parseAvro(text: string, references: readonly ResolvedReference[] = []): ParsedAvro {
  const json = parseJsonText(text, (m) => new SchemaInvalidError(`not JSON: ${m}`));
  const registry: Record<string, avro.Type> = {};
  const names = new Map<string, NamedNode>();
  collect(references, registry, names, new Set());
  let avscType: avro.Type;
  try {
    avscType = avro.Type.forSchema(json as avro.Schema, { registry });
  } catch (err) {
    throw new SchemaInvalidError((err as Error).message, err);
  }
  const model = buildAvroModel(json, names);
  return {
    type: 'AVRO',
    text: JSON.stringify(json),
    canonical: canonicalJson(normalizeAvroJson(json)),
    references,
    json,
    model,
    avscType,
  };
}

export const avroProvider: SchemaProvider<ParsedAvro> = {
  type: 'AVRO',
  parse: parseAvro,
  readerCompatibility: (reader, writer) => avroReaderCompatibility(reader.model, writer.model),
};
