// Schema-aware formats for the engine (Format<T> from src/engine/formats/format.ts): Avro,
// Protobuf and JSON Schema in the Confluent wire format. `open()` registers (or looks up) the
// format's own schema, so a sink knows its id before the first record; decoding reads with the
// writer's schema, fetched by id once and cached, resolved to the format's own (reader) schema.
// Format.decode is synchronous: a record whose writer schema is not cached yet fails with a
// retriable SCHEMA_NOT_FOUND while the schema is fetched in the background; sources that can
// wait call decodeAsync. Every failure is a typed SluiceError with details, so the engine can
// dead-letter the record.
import type avro from 'avsc';
import type protobuf from 'protobufjs';
import { SluiceError } from '../../errors.js';
import type { Format } from '../../engine/formats/format.js';
import type { ParsedAvro } from '../avro/avro-provider.js';
import type { ParsedJsonSchema } from '../json/json-provider.js';
import { messageAt, messageIndexes, type ParsedProtobuf } from '../protobuf/protobuf-provider.js';
import { parseSchema } from '../providers.js';
import type { ParsedSchema, SchemaReference, SchemaType } from '../types.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import { decodeEnvelope, encodeEnvelope } from './wire-format.js';

export interface SchemaFormatOptions {
  /** A shared client (recommended: its caches are then shared) or how to make one. */
  registry: RegistryClient | RegistryClientOptions;
  /** Subject of the format's own schema, e.g. `orders-value` (TopicNameStrategy). */
  subject: string;
  /** The format's own schema text (writer when encoding, reader when decoding). Omitted: the subject's latest. */
  schema?: string;
  references?: SchemaReference[];
  /** Register the schema on open (default true); false = it must already be registered (lookup). */
  autoRegister?: boolean;
  /** Protobuf: the message to encode/decode (full name); default the file's first message. */
  messageName?: string;
}

export interface SchemaFormat<T> extends Format<T> {
  readonly schemaType: SchemaType;
  /** The own schema's id; undefined until open() resolved. */
  readonly schemaId: number | undefined;
  open(): Promise<void>;
  decodeAsync(bytes: Buffer): Promise<T>;
}

function failed(reason: string, message: string, details: Record<string, unknown>, cause?: unknown): SluiceError {
  return new SluiceError('DESERIALIZATION_FAILED', message, { details: { reason, ...details }, cause });
}

abstract class BaseSchemaFormat<T, P extends ParsedSchema> implements SchemaFormat<T> {
  abstract readonly schemaType: SchemaType;
  abstract readonly name: string;
  schemaId: number | undefined;
  protected own: P | undefined;
  protected readonly client: RegistryClient;
  private readonly writers = new Map<number, P>();
  private readonly pending = new Map<number, Promise<P>>();

  constructor(protected readonly options: SchemaFormatOptions) {
    this.client = options.registry instanceof RegistryClient ? options.registry : new RegistryClient(options.registry);
  }

  async open(): Promise<void> {
    const { subject, schema, references = [] } = this.options;
    if (schema === undefined) {
      const latest = await this.client.getVersion(subject, 'latest');
      this.checkType(latest.schemaType);
      this.schemaId = latest.id;
      this.own = (await this.client.parsedById(latest.id)) as P;
    } else {
      const resolved = await this.client.resolveReferences(references);
      const parsed = parseSchema(this.schemaType, schema, resolved) as P;
      this.schemaId =
        this.options.autoRegister === false
          ? (await this.client.lookup(subject, schema, this.schemaType, references)).id
          : await this.client.register(subject, schema, this.schemaType, references);
      this.own = parsed;
    }
    this.writers.set(this.schemaId, this.own);
    this.opened();
  }

  protected opened(): void {}

  private checkType(t: SchemaType): void {
    if (t !== this.schemaType)
      throw new SluiceError('SCHEMA_INVALID', `subject ${this.options.subject} holds a ${t} schema, not ${this.schemaType}`);
  }

  protected requireOpen(): P {
    if (!this.own || this.schemaId === undefined)
      throw new SluiceError('STATE_ERROR', `${this.name} format for ${this.options.subject} used before open()`);
    return this.own;
  }

  encode(value: T): Buffer {
    const own = this.requireOpen();
    return this.encodeWith(own, this.schemaId as number, value);
  }

  decode(bytes: Buffer): T {
    this.requireOpen();
    const env = decodeEnvelope(bytes, this.schemaType === 'PROTOBUF');
    const writer = this.writers.get(env.schemaId);
    if (!writer) {
      this.fetchWriter(env.schemaId).catch(() => undefined);
      throw new SluiceError('SCHEMA_NOT_FOUND', `writer schema ${env.schemaId} is not cached yet`, {
        retriable: true,
        details: { schemaId: env.schemaId, subject: this.options.subject },
      });
    }
    return this.decodeWith(writer, env.schemaId, env.payload, env.messageIndexes);
  }

  async decodeAsync(bytes: Buffer): Promise<T> {
    this.requireOpen();
    const env = decodeEnvelope(bytes, this.schemaType === 'PROTOBUF');
    const writer = this.writers.get(env.schemaId) ?? (await this.fetchWriter(env.schemaId));
    return this.decodeWith(writer, env.schemaId, env.payload, env.messageIndexes);
  }

  private fetchWriter(id: number): Promise<P> {
    let p = this.pending.get(id);
    if (!p) {
      p = (async () => {
        let parsed: ParsedSchema;
        try {
          parsed = await this.client.parsedById(id);
        } catch (err) {
          if (err instanceof SluiceError && err.code === 'SCHEMA_NOT_FOUND')
            throw new SluiceError('SCHEMA_NOT_FOUND', `unknown writer schema id ${id}`, { details: { schemaId: id }, cause: err });
          throw err;
        }
        if (parsed.type !== this.schemaType)
          throw failed('SCHEMA_TYPE_MISMATCH', `schema ${id} is ${parsed.type}, not ${this.schemaType}`, { schemaId: id });
        this.writers.set(id, parsed as P);
        return parsed as P;
      })();
      this.pending.set(id, p);
      p.then(
        () => this.pending.delete(id),
        () => this.pending.delete(id),
      );
    }
    return p;
  }

  protected abstract encodeWith(own: P, id: number, value: T): Buffer;
  protected abstract decodeWith(writer: P, id: number, payload: Buffer, indexes: number[] | undefined): T;
}

class AvroFormat<T> extends BaseSchemaFormat<T, ParsedAvro> {
  readonly schemaType = 'AVRO' as const;
  readonly name = 'avro';
  private readonly resolvers = new Map<number, ReturnType<avro.Type["createResolver"]>>();

  protected encodeWith(own: ParsedAvro, id: number, value: T): Buffer {
    let payload: Buffer;
    try {
      payload = own.avscType.toBuffer(value);
    } catch (err) {
      throw new SluiceError('INVALID_ARGUMENT', `value does not match Avro schema ${id}: ${(err as Error).message}`, { cause: err, details: { schemaId: id } });
    }
    return encodeEnvelope(id, payload);
  }

  protected decodeWith(writer: ParsedAvro, id: number, payload: Buffer): T {
    const reader = this.own as ParsedAvro;
    try {
      if (id === this.schemaId) return reader.avscType.fromBuffer(payload) as T;
      let resolver = this.resolvers.get(id);
      if (!resolver) {
        resolver = reader.avscType.createResolver(writer.avscType);
        this.resolvers.set(id, resolver);
      }
      return reader.avscType.fromBuffer(payload, resolver) as T;
    } catch (err) {
      throw failed('UNDECODABLE_PAYLOAD', `Avro payload with writer schema ${id} does not decode: ${(err as Error).message}`, { schemaId: id }, err);
    }
  }
}

class ProtobufFormat<T> extends BaseSchemaFormat<T, ParsedProtobuf> {
  readonly schemaType = 'PROTOBUF' as const;
  readonly name = 'protobuf';
  private message: protobuf.Type | undefined;
  private indexes: number[] = [0];

  protected override opened(): void {
    const own = this.own as ParsedProtobuf;
    const wanted = this.options.messageName;
    if (wanted === undefined) {
      this.message = own.messages[0];
      if (!this.message) throw new SluiceError('SCHEMA_INVALID', `schema of ${this.options.subject} declares no message`);
      this.indexes = [0];
    } else {
      this.indexes = messageIndexes(own, wanted);
      this.message = messageAt(own, this.indexes);
    }
  }

  protected encodeWith(_own: ParsedProtobuf, id: number, value: T): Buffer {
    const type = this.message as protobuf.Type;
    const problem = type.verify(value as Record<string, unknown>);
    if (problem) throw new SluiceError('INVALID_ARGUMENT', `value does not match message ${type.fullName}: ${problem}`, { details: { schemaId: id } });
    return encodeEnvelope(id, type.encode(type.fromObject(value as Record<string, unknown>)).finish(), this.indexes);
  }

  protected decodeWith(writer: ParsedProtobuf, id: number, payload: Buffer, indexes: number[] | undefined): T {
    try {
      const writerType = messageAt(writer, indexes ?? [0]);
      // read as the own (reader) message of the same name when there is one: field numbers bind them
      const own = this.own as ParsedProtobuf;
      let type = writerType;
      if (id !== this.schemaId) {
        try {
          const mine = own.root.lookupType(writerType.fullName);
          if (mine) type = mine;
        } catch {
          type = writerType;
        }
      }
      const msg = type.decode(payload);
      return type.toObject(msg, { longs: Number, enums: String, defaults: true, bytes: Buffer as unknown as StringConstructor }) as T;
    } catch (err) {
      throw failed('UNDECODABLE_PAYLOAD', `Protobuf payload with writer schema ${id} does not decode: ${(err as Error).message}`, { schemaId: id, messageIndexes: indexes }, err);
    }
  }
}

class JsonSchemaFormat<T> extends BaseSchemaFormat<T, ParsedJsonSchema> {
  readonly schemaType = 'JSON' as const;
  readonly name = 'json-schema';

  protected encodeWith(own: ParsedJsonSchema, id: number, value: T): Buffer {
    const validate = own.validator();
    if (!validate(value))
      throw new SluiceError('INVALID_ARGUMENT', `value does not match JSON schema ${id}: ${JSON.stringify(validate.errors?.slice(0, 3))}`, { details: { schemaId: id } });
    return encodeEnvelope(id, Buffer.from(JSON.stringify(value), 'utf8'));
  }

  protected decodeWith(writer: ParsedJsonSchema, id: number, payload: Buffer): T {
    let value: unknown;
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      throw failed('UNDECODABLE_PAYLOAD', `JSON payload with writer schema ${id} is not JSON`, { schemaId: id }, err);
    }
    const validate = writer.validator();
    if (!validate(value))
      throw failed('SCHEMA_VALIDATION', `JSON payload does not match its writer schema ${id}: ${JSON.stringify(validate.errors?.slice(0, 3))}`, { schemaId: id });
    return value as T;
  }
}

/** Avro in the Confluent wire format; values are what avsc produces (records as objects, long as number). */
export function avroFormat<T = unknown>(options: SchemaFormatOptions): SchemaFormat<T> {
  return new AvroFormat<T>(options);
}
/** Protobuf in the Confluent wire format; values are plain objects (toObject with longs as numbers, enums as names). */
export function protobufFormat<T = unknown>(options: SchemaFormatOptions): SchemaFormat<T> {
  return new ProtobufFormat<T>(options);
}
/** JSON Schema in the Confluent wire format; values are validated on encode and against the writer's schema on decode. */
export function jsonSchemaFormat<T = unknown>(options: SchemaFormatOptions): SchemaFormat<T> {
  return new JsonSchemaFormat<T>(options);
}
