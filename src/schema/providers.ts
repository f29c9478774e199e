// One place that maps a schema type to its provider, and the level rules on top of the
// providers' reader/writer checks (which direction, against the latest or every version).
import { avroProvider } from './avro/avro-provider.js';
import { jsonSchemaProvider } from './json/json-provider.js';
import { protobufProvider } from './protobuf/protobuf-provider.js';
import type { CompatibilityLevel, ParsedSchema, ResolvedReference, SchemaProvider, SchemaType } from './types.js';

const PROVIDERS: Record<SchemaType, SchemaProvider> = {
  AVRO: avroProvider as unknown as SchemaProvider,
  PROTOBUF: protobufProvider as unknown as SchemaProvider,
  JSON: jsonSchemaProvider as unknown as SchemaProvider,
};

export function providerFor(type: SchemaType): SchemaProvider {
  return PROVIDERS[type];
}

export function parseSchema(type: SchemaType, text: string, references: readonly ResolvedReference[] = []): ParsedSchema {
  return PROVIDERS[type].parse(text, references);
}

/**
 * Messages explaining why `candidate` may not follow `previous` (oldest first) under `level`;
 * empty when it may. Non-transitive levels look at the latest previous version only.
 */
export function compatibilityMessages(level: CompatibilityLevel, candidate: ParsedSchema, previous: readonly ParsedSchema[]): string[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const transitive = level.endsWith('_TRANSITIVE');
  const against = transitive ? [...previous].reverse() : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const out: string[] = [];
  for (const old of against) {
    if (old.type !== candidate.type) {
      out.push(`TYPE_CHANGED: the schema type changed from ${old.type} to ${candidate.type}`);
      continue;
    }
    const provider = PROVIDERS[candidate.type];
    if (backward) for (const m of provider.readerCompatibility(candidate, old)) out.push(`${m} (new schema reading old data)`);
    if (forward) for (const m of provider.readerCompatibility(old, candidate)) out.push(`${m} (old schema reading new data)`);
    if (out.length > 0) break;
  }
  return out;
}
