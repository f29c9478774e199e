// Shared vocabulary of the schema registry: schema types, references, compatibility levels
// and the shape every schema-type provider (avro/, protobuf/, json/) implements.
// Imports nothing; everything else in src/schema imports this.

export type SchemaType = 'AVRO' | 'PROTOBUF' | 'JSON';
export const SCHEMA_TYPES: readonly SchemaType[] = ['JSON', 'PROTOBUF', 'AVRO'];

export type CompatibilityLevel =
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE'
  | 'NONE';
export const COMPATIBILITY_LEVELS: readonly CompatibilityLevel[] = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
];
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export function isCompatibilityLevel(v: unknown): v is CompatibilityLevel {
  return typeof v === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(v);
}
export function isSchemaType(v: unknown): v is SchemaType {
  return typeof v === 'string' && (SCHEMA_TYPES as readonly string[]).includes(v);
}

/** A reference from one schema to another registered one: `name` is how the referring schema names it
 *  (Avro: full type name; Protobuf: import path; JSON Schema: $ref URL). */
export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** A referenced schema's text, resolved by the registry before parsing. */
export interface ResolvedReference {
  name: string;
  schema: string;
  schemaType: SchemaType;
  /** The referenced schema's own references, already resolved (depth first). */
  references: ResolvedReference[];
}

/** What a provider hands back after parsing: validated, with a whitespace-insensitive identity. */
export interface ParsedSchema {
  readonly type: SchemaType;
  /** The schema text as the registry stores and serves it (compact form). */
  readonly text: string;
  /** Equal for "the same schema" regardless of formatting; used for dedup and lookups. */
  readonly canonical: string;
  readonly references: readonly ResolvedReference[];
}

export interface SchemaProvider<P extends ParsedSchema = ParsedSchema> {
  readonly type: SchemaType;
  /** Throws SchemaInvalidError (-> 42201) on anything that is not a valid schema of this type. */
  parse(text: string, references: readonly ResolvedReference[]): P;
  /** Messages describing why data written with `writer` cannot be read with `reader`; empty = compatible. */
  readerCompatibility(reader: P, writer: P): string[];
}
