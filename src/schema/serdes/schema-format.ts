// Schema-aware formats for the engine (Format<T> from src/engine/formats/format.ts): Avro,
// Protobuf and JSON Schema in the Confluent wire format. `open()` registers (or looks up) the
// format's own schema, so a sink knows its id before the first record; decoding reads with the
// writer's schema, fetched by id once and cached, resolved to the format's own (reader) schema.
// Format.decode is synchronous: a record whose writer schema is not cached yet fails with a
// retriable SCHEMA_NOT_FOUND while the schema is fetched in the background; sources that can
// wait call decodeAsync. Every failure is a typed SluiceError with details, so the engine can
// dead-letter the record.
// Hot path (per record, see bench/formats): no registry call, no intermediate payload buffer.
// Avro encodes straight after its header in a shared scratch buffer and copies out once;
// Protobuf writes header and message into one reused protobufjs Writer and copies out once;
// decoders read the payload in place after the header; per-schema lookups (Avro resolvers,
// Protobuf message types per index path) are cached, with the usual single `0` index byte
// taking a one-Map-lookup path.
import type avro from 'avsc';
import protobuf from 'protobufjs';
import { SluiceError } from '../../errors.js';
import type { Format } from '../../engine/formats/format.js';
import type { ParsedAvro } from '../avro/avro-provider.js';
import type { ParsedJsonSchema } from '../json/json-provider.js';
import { messageAt, messageIndexes, type ParsedProtobuf } from '../protobuf/protobuf-provider.js';
import { parseSchema } from '../providers.js';
import type { ParsedSchema, SchemaReference, SchemaType } from '../types.js';
import { withEnumNumbers } from './protobuf-enum-numbers.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import { decodeEnvelope, envelopeHeader, HEADER_SIZE, readSchemaId } from './wire-format.js';

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
    this.opened(this.own, this.schemaId);
  }

  /** After every (re)open: subclasses derive their per-schema caches from the own schema here. */
  protected abstract opened(own: P, id: number): void;

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
    const id = readSchemaId(bytes);
    const writer = this.writers.get(id);
    if (!writer) {
      this.fetchWriter(id).catch(() => undefined);
      throw new SluiceError('SCHEMA_NOT_FOUND', `writer schema ${id} is not cached yet`, {
        retriable: true,
        details: { schemaId: id, subject: this.options.subject },
      });
    }
    return this.decodeWith(writer, id, bytes);
  }

  async decodeAsync(bytes: Buffer): Promise<T> {
    this.requireOpen();
    const id = readSchemaId(bytes);
    const writer = this.writers.get(id) ?? (await this.fetchWriter(id));
    return this.decodeWith(writer, id, bytes);
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
  /** `bytes` is the whole record; its header (magic + id) is already checked. */
  protected abstract decodeWith(writer: P, id: number, bytes: Buffer): T;
}

/** Scratch buffers above this size are not kept between records (one huge value must not pin memory). */
const MAX_KEPT_SCRATCH = 1024 * 1024;
// Shared by every Avro format: encode is synchronous and copies out before returning.
let avroScratch = Buffer.allocUnsafe(64 * 1024);

class AvroFormat<T> extends BaseSchemaFormat<T, ParsedAvro> {
  readonly schemaType = 'AVRO' as const;
  readonly name = 'avro';
  private readonly resolvers = new Map<number, ReturnType<avro.Type['createResolver']>>();

  protected opened(): void {
    this.resolvers.clear();
  }

  protected encodeWith(own: ParsedAvro, id: number, value: T): Buffer {
    const type = own.avscType;
    let buf = avroScratch;
    for (;;) {
      buf[0] = 0;
      buf.writeInt32BE(id, 1);
      let end: number;
      try {
        end = type.encode(value, buf, HEADER_SIZE);
      } catch (err) {
        throw new SluiceError('INVALID_ARGUMENT', `value does not match Avro schema ${id}: ${(err as Error).message}`, { cause: err, details: { schemaId: id } });
      }
      if (end >= 0) {
        if (buf !== avroScratch) return end === buf.length ? buf : buf.subarray(0, end);
        const out = Buffer.allocUnsafe(end);
        buf.copy(out, 0, 0, end);
        return out;
      }
      // too small: avsc returns minus the bytes missing; retry in a buffer of the exact size
      const need = buf.length - end;
      if (need <= MAX_KEPT_SCRATCH) buf = avroScratch = Buffer.allocUnsafe(Math.max(need, Math.min(2 * buf.length, MAX_KEPT_SCRATCH)));
      else buf = Buffer.allocUnsafe(need); // a one-off: encoded in place and returned as is
    }
  }

  protected decodeWith(writer: ParsedAvro, id: number, bytes: Buffer): T {
    const reader = (this.own as ParsedAvro).avscType;
    let resolver: avro.Resolver | undefined;
    if (id !== this.schemaId) {
      resolver = this.resolvers.get(id);
      if (!resolver) {
        try {
          resolver = reader.createResolver(writer.avscType);
        } catch (err) {
          throw failed('UNDECODABLE_PAYLOAD', `Avro writer schema ${id} cannot be read as the reader schema: ${(err as Error).message}`, { schemaId: id }, err);
        }
        this.resolvers.set(id, resolver);
      }
    }
    let res: { value: unknown; offset: number };
    try {
      res = reader.decode(bytes, HEADER_SIZE, resolver);
    } catch (err) {
      throw failed('UNDECODABLE_PAYLOAD', `Avro payload with writer schema ${id} does not decode: ${(err as Error).message}`, { schemaId: id }, err);
    }
    if (res.offset !== bytes.length) {
      const why = res.offset < 0 ? 'truncated buffer' : `trailing data (${bytes.length - res.offset} bytes)`;
      throw failed('UNDECODABLE_PAYLOAD', `Avro payload with writer schema ${id} does not decode: ${why}`, { schemaId: id });
    }
    return res.value as T;
  }
}

const FIRST_MESSAGE: readonly number[] = Object.freeze([0]);
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, bytes: Buffer as unknown as StringConstructor };

class ProtobufFormat<T> extends BaseSchemaFormat<T, ParsedProtobuf> {
  readonly schemaType = 'PROTOBUF' as const;
  readonly name = 'protobuf';
  private message: protobuf.Type | undefined;
  /** Magic, id and message indexes of the own message: the same bytes before every payload. */
  private header: Buffer = Buffer.alloc(0);
  /** Reused across records; replaced when an encode fails midway or it grew past MAX_KEPT_SCRATCH. */
  private writer: protobuf.Writer = protobuf.Writer.create();
  /** Reading type per writer schema id, for the usual message index [0]. */
  private readonly firstTypes = new Map<number, protobuf.Type>();
  /** Reading type per `id:i.j.k` for other index paths. */
  private readonly pathTypes = new Map<string, protobuf.Type>();

  protected opened(own: ParsedProtobuf, id: number): void {
    this.firstTypes.clear();
    this.pathTypes.clear();
    const wanted = this.options.messageName;
    let indexes: number[];
    if (wanted === undefined) {
      this.message = own.messages[0];
      if (!this.message) throw new SluiceError('SCHEMA_INVALID', `schema of ${this.options.subject} declares no message`);
      indexes = [0];
    } else {
      indexes = messageIndexes(own, wanted);
      this.message = messageAt(own, indexes);
    }
    this.header = envelopeHeader(id, indexes);
  }

  protected encodeWith(_own: ParsedProtobuf, id: number, value: T): Buffer {
    const type = this.message as protobuf.Type;
    // protobufjs' encode coerces rather than rejects ("abc" in an int field is written as 0),
    // so the generated verifier is the check that keeps bad values out; once it passes, the
    // plain object encodes as is (fromObject would only copy it).
    let v = value as Record<string, unknown>;
    const problem = type.verify(v);
    if (problem) {
      // values as decode returns them name their enums; the verifier wants numbers
      const numbered = withEnumNumbers(type, v) as Record<string, unknown>;
      if (numbered === v || type.verify(numbered))
        throw new SluiceError('INVALID_ARGUMENT', `value does not match message ${type.fullName}: ${problem}`, { details: { schemaId: id } });
      v = numbered;
    }
    const w = this.writer;
    w.reset();
    w.raw(this.header);
    try {
      type.encode(v, w);
    } catch (err) {
      this.writer = protobuf.Writer.create(); // may hold half-open forks
      throw new SluiceError('INVALID_ARGUMENT', `value does not encode as message ${type.fullName}: ${(err as Error).message}`, { cause: err, details: { schemaId: id } });
    }
    const out = w.finish() as Buffer; // exact-size copy (a Buffer under Node)
    if (w.buf.length > MAX_KEPT_SCRATCH) this.writer = protobuf.Writer.create();
    return out;
  }

  protected decodeWith(writer: ParsedProtobuf, id: number, bytes: Buffer): T {
    let type: protobuf.Type;
    let start: number;
    let indexes: readonly number[] = FIRST_MESSAGE;
    if (bytes.length > HEADER_SIZE && bytes[HEADER_SIZE] === 0) {
      start = HEADER_SIZE + 1;
      type = this.firstTypes.get(id) ?? this.readingType(writer, id, FIRST_MESSAGE, this.firstTypes, id);
    } else {
      const env = decodeEnvelope(bytes, true);
      indexes = env.messageIndexes ?? FIRST_MESSAGE;
      start = bytes.length - env.payload.length;
      const key = `${id}:${indexes.join('.')}`;
      type = this.pathTypes.get(key) ?? this.readingType(writer, id, indexes, this.pathTypes, key);
    }
    try {
      const r = protobuf.Reader.create(bytes);
      r.pos = start;
      return type.toObject(type.decode(r), TO_OBJECT) as T;
    } catch (err) {
      throw failed('UNDECODABLE_PAYLOAD', `Protobuf payload with writer schema ${id} does not decode: ${(err as Error).message}`, { schemaId: id, messageIndexes: indexes }, err);
    }
  }

  /** The writer's message at `indexes`, read as the own (reader) message of the same name when there is one: field numbers bind them. */
  private readingType<K>(writer: ParsedProtobuf, id: number, indexes: readonly number[], cache: Map<K, protobuf.Type>, key: K): protobuf.Type {
    let writerType: protobuf.Type;
    try {
      writerType = messageAt(writer, indexes);
    } catch (err) {
      throw failed('UNDECODABLE_PAYLOAD', `Protobuf message indexes ${indexes.join(',')} not in writer schema ${id}`, { schemaId: id, messageIndexes: indexes }, err);
    }
    let type = writerType;
    if (id !== this.schemaId) {
      try {
        const mine = (this.own as ParsedProtobuf).root.lookupType(writerType.fullName);
        if (mine) type = mine;
      } catch {
        type = writerType;
      }
    }
    cache.set(key, type);
    return type;
  }
}

class JsonSchemaFormat<T> extends BaseSchemaFormat<T, ParsedJsonSchema> {
  readonly schemaType = 'JSON' as const;
  readonly name = 'json-schema';

  protected opened(): void {}

  protected encodeWith(own: ParsedJsonSchema, id: number, value: T): Buffer {
    const validate = own.validator();
    if (!validate(value))
      throw new SluiceError('INVALID_ARGUMENT', `value does not match JSON schema ${id}: ${JSON.stringify(validate.errors?.slice(0, 3))}`, { details: { schemaId: id } });
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw new SluiceError('INVALID_ARGUMENT', `value is not JSON-serialisable: ${(err as Error).message}`, { cause: err, details: { schemaId: id } });
    }
    if (text === undefined) throw new SluiceError('INVALID_ARGUMENT', 'value is not JSON-serialisable (undefined or a function)', { details: { schemaId: id } });
    const out = Buffer.allocUnsafe(HEADER_SIZE + Buffer.byteLength(text, 'utf8'));
    out[0] = 0;
    out.writeInt32BE(id, 1);
    out.write(text, HEADER_SIZE, 'utf8');
    return out;
  }

  protected decodeWith(writer: ParsedJsonSchema, id: number, bytes: Buffer): T {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8', HEADER_SIZE));
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
