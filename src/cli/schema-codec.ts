// Schema-aware values for `sluice produce|consume --format avro|protobuf|json-schema`, in the
// Confluent wire format (magic byte, schema id, payload) through the schema registry's REST API.
// Producing: each input line is a JSON object, encoded with the schema of --schema-file
// (registered under --subject, or only looked up with --no-register) or the subject's latest
// schema, by the serdes' formats (src/schema/serdes/schema-format.ts).
// Consuming: each value is decoded with its WRITER's schema, fetched by id from the registry
// (cached), and printed as JSON, as kafka-avro-console-consumer does; no reader schema is
// involved, so records written under any schema version print as they were written.
// May import: ../schema/serdes/*, ../schema/protobuf/protobuf-provider.ts, ../schema/types.ts, ../errors.ts.
import { readFileSync } from 'node:fs';
import { SluiceError } from '../errors.js';
import { RegistryClient } from '../schema/serdes/registry-client.js';
import { avroFormat, jsonSchemaFormat, protobufFormat } from '../schema/serdes/schema-format.js';
import type { SchemaFormat, SchemaFormatOptions } from '../schema/serdes/schema-format.js';
import { decodeEnvelope } from '../schema/serdes/wire-format.js';
import { messageAt } from '../schema/protobuf/protobuf-provider.js';
import type { ParsedProtobuf } from '../schema/protobuf/protobuf-provider.js';
import type { ParsedAvro } from '../schema/avro/avro-provider.js';
import type { ParsedSchema } from '../schema/types.js';

export type SchemaFormatName = 'avro' | 'protobuf' | 'json-schema';
export const SCHEMA_FORMATS: readonly SchemaFormatName[] = ['avro', 'protobuf', 'json-schema'];
export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:8081';

const TYPE_OF: Record<SchemaFormatName, ParsedSchema['type']> = { avro: 'AVRO', protobuf: 'PROTOBUF', 'json-schema': 'JSON' };

export function isSchemaFormat(f: string): f is SchemaFormatName {
  return (SCHEMA_FORMATS as readonly string[]).includes(f);
}

export interface ValueEncoderOptions {
  format: SchemaFormatName;
  registryUrl: string;
  subject: string;
  schemaFile?: string;
  /** Protobuf: the message to encode (full name); default the file's first message. */
  messageName?: string;
  /** false: the schema must already be registered under the subject (lookup only). */
  register?: boolean;
}

/** Encodes JSON lines with a registered schema; open() contacts the registry once. */
export class SchemaValueEncoder {
  private readonly format: SchemaFormat<unknown>;

  private constructor(format: SchemaFormat<unknown>) {
    this.format = format;
  }

  static async open(o: ValueEncoderOptions): Promise<SchemaValueEncoder> {
    let schema: string | undefined;
    if (o.schemaFile !== undefined) {
      try {
        schema = readFileSync(o.schemaFile, 'utf8');
      } catch (err) {
        throw new SluiceError('INVALID_ARGUMENT', `cannot read --schema-file ${o.schemaFile}: ${(err as Error).message}`, { cause: err });
      }
    }
    const options: SchemaFormatOptions = {
      registry: new RegistryClient({ url: o.registryUrl }),
      subject: o.subject,
      ...(schema !== undefined ? { schema } : {}),
      ...(o.messageName !== undefined ? { messageName: o.messageName } : {}),
      autoRegister: o.register !== false,
    };
    const format = o.format === 'avro' ? avroFormat(options) : o.format === 'protobuf' ? protobufFormat(options) : jsonSchemaFormat(options);
    await format.open();
    return new SchemaValueEncoder(format);
  }

  get schemaId(): number {
    return this.format.schemaId!;
  }

  /** One input line (a JSON document) -> wire-format bytes; INVALID_ARGUMENT naming the line. */
  encode(line: Buffer, lineNo: number): Buffer {
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch (err) {
      throw new SluiceError('INVALID_ARGUMENT', `line ${lineNo} is not JSON: ${(err as Error).message}`, { details: { line: lineNo } });
    }
    try {
      return this.format.encode(value);
    } catch (err) {
      const e = err instanceof SluiceError ? err : new SluiceError('INVALID_ARGUMENT', String(err));
      throw new SluiceError(e.code, `line ${lineNo}: ${e.message}`, { cause: err, details: { ...e.details, line: lineNo } });
    }
  }
}

/** Decodes wire-format values with their writer's schema (fetched once per id) into JSON-ready values. */
export class SchemaValueDecoder {
  private readonly client: RegistryClient;

  constructor(
    private readonly format: SchemaFormatName,
    registryUrl: string,
  ) {
    this.client = new RegistryClient({ url: registryUrl });
  }

  async decode(bytes: Buffer): Promise<unknown> {
    const env = decodeEnvelope(bytes, this.format === 'protobuf');
    const writer = await this.client.parsedById(env.schemaId);
    if (writer.type !== TYPE_OF[this.format]) {
      throw new SluiceError('DESERIALIZATION_FAILED', `schema ${env.schemaId} is ${writer.type}, not ${TYPE_OF[this.format]} (--format ${this.format})`, {
        details: { reason: 'SCHEMA_TYPE_MISMATCH', schemaId: env.schemaId },
      });
    }
    try {
      if (writer.type === 'AVRO') return (writer as ParsedAvro).avscType.fromBuffer(env.payload);
      if (writer.type === 'PROTOBUF') {
        const type = messageAt(writer as ParsedProtobuf, env.messageIndexes ?? [0]);
        return type.toObject(type.decode(env.payload), { longs: String, enums: String, bytes: String, defaults: true });
      }
      return JSON.parse(env.payload.toString('utf8'));
    } catch (err) {
      throw new SluiceError('DESERIALIZATION_FAILED', `value with writer schema ${env.schemaId} does not decode: ${(err as Error).message}`, {
        cause: err,
        details: { reason: 'UNDECODABLE_PAYLOAD', schemaId: env.schemaId },
      });
    }
  }
}

/** JSON.stringify that prints bytes as base64 and 64-bit integers as strings instead of throwing. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString('base64');
    }
    return v;
  });
}
