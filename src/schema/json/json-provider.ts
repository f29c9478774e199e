// The JSON schema type (JSON Schema, drafts 4 to 2020-12 as ajv knows them): validity from
// ajv compiling it, identity from key-sorted JSON, compatibility from json-compat.ts.
// References are other registered JSON schemas, addressed by their reference name in $ref.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { canonicalJson, parseJsonText } from '../canonical-json.js';
import { SchemaInvalidError } from '../registry-error.js';
import type { ParsedSchema, ResolvedReference, SchemaProvider } from '../types.js';
import { jsonReaderCompatibility } from './json-compat.js';

export interface ParsedJsonSchema extends ParsedSchema {
  readonly type: 'JSON';
  readonly json: unknown;
  /** Reference name -> parsed referenced schema JSON, for $ref resolution in compatibility and codegen. */
  readonly referenced: ReadonlyMap<string, unknown>;
  /** Validates a value against the schema (compiled lazily). */
  validator(): ValidateFunction;
}

// ajv-formats is CommonJS with a default export; under NodeNext it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv;
}

function collect(refs: readonly ResolvedReference[], into: Map<string, unknown>): void {
  for (const ref of refs) {
    if (into.has(ref.name)) continue;
    collect(ref.references, into);
    if (ref.schemaType !== 'JSON') throw new SchemaInvalidError(`reference ${ref.name} is not a JSON schema`);
    into.set(ref.name, parseJsonText(ref.schema, (m) => new SchemaInvalidError(`reference ${ref.name}: ${m}`)));
  }
}

export function parseJsonSchema(text: string, references: readonly ResolvedReference[] = []): ParsedJsonSchema {
  const json = parseJsonText(text, (m) => new SchemaInvalidError(`not JSON: ${m}`));
  if (typeof json !== 'boolean' && (json === null || typeof json !== 'object' || Array.isArray(json)))
    throw new SchemaInvalidError('a JSON Schema is an object or a boolean');
  const referenced = new Map<string, unknown>();
  collect(references, referenced);
  const ajv = newAjv();
  let validate: ValidateFunction;
  try {
    for (const [name, schema] of referenced) if (typeof schema === 'object' && schema !== null) ajv.addSchema(schema as object, name);
    validate = ajv.compile(json as object);
  } catch (err) {
    throw new SchemaInvalidError((err as Error).message, err);
  }
  return {
    type: 'JSON',
    text: JSON.stringify(json),
    canonical: canonicalJson(json),
    references,
    json,
    referenced,
    validator: () => validate,
  };
}

export const jsonSchemaProvider: SchemaProvider<ParsedJsonSchema> = {
  type: 'JSON',
  parse: parseJsonSchema,
  readerCompatibility: (reader, writer) => jsonReaderCompatibility(reader, writer),
};
