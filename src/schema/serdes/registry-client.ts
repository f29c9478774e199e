// A client for the registry's REST API (this one or Confluent's), over node's fetch to a
// loopback or configured URL, with caches: a schema id never changes meaning, so id -> schema
// and (subject, schema) -> id are cached for the client's lifetime. Answers become parsed
// schemas (references fetched and resolved) ready for the serdes.
import { SluiceError } from '../../errors.js';
import { parseSchema } from '../providers.js';
import type { ParsedSchema, ResolvedReference, SchemaReference, SchemaType } from '../types.js';

export interface RegistryClientOptions {
  url: string;
  /** Basic auth credentials. */
  username?: string;
  password?: string;
  timeoutMs?: number;
}

export interface RegisteredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

export class RegistryClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly byId = new Map<number, Promise<ParsedSchema>>();
  private readonly idBySubjectSchema = new Map<string, number>();

  constructor(options: RegistryClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.headers = { 'Content-Type': 'application/vnd.schemaregistry.v1+json', Accept: 'application/vnd.schemaregistry.v1+json' };
    if (options.username !== undefined)
      this.headers.Authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
  }

  /** One REST call; registry errors become SluiceErrors carrying errorCode and status. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: this.headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SluiceError('CONNECTION_FAILED', `schema registry at ${this.base} unreachable: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (res.ok) return parsed as T;
    const e = (parsed ?? {}) as { error_code?: number; message?: string };
    const errorCode = e.error_code ?? res.status;
    const message = `${method} ${path}: ${res.status} ${e.message ?? text}`;
    const details = { status: res.status, errorCode };
    if (errorCode === 40403 || errorCode === 40401 || errorCode === 40402) throw new SluiceError('SCHEMA_NOT_FOUND', message, { details });
    if (errorCode === 409) throw new SluiceError('SCHEMA_INCOMPATIBLE', message, { details });
    if (errorCode === 42201) throw new SluiceError('SCHEMA_INVALID', message, { details });
    if (res.status >= 500) throw new SluiceError('CONNECTION_FAILED', message, { details, retriable: true });
    throw new SluiceError('INVALID_ARGUMENT', message, { details });
  }

  async register(subject: string, schema: string, schemaType: SchemaType = 'AVRO', references: SchemaReference[] = []): Promise<number> {
    const key = `${subject}\u0000${schemaType}\u0000${schema}\u0000${JSON.stringify(references)}`;
    const cached = this.idBySubjectSchema.get(key);
    if (cached !== undefined) return cached;
    const body: Record<string, unknown> = { schema, schemaType };
    if (references.length > 0) body.references = references;
    const { id } = await this.request<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, body);
    this.idBySubjectSchema.set(key, id);
    return id;
  }

  async lookup(subject: string, schema: string, schemaType: SchemaType = 'AVRO', references: SchemaReference[] = []): Promise<{ id: number; version: number }> {
    const body: Record<string, unknown> = { schema, schemaType };
    if (references.length > 0) body.references = references;
    return this.request('POST', `/subjects/${encodeURIComponent(subject)}`, body);
  }

  async getVersion(subject: string, version: number | 'latest' = 'latest'): Promise<RegisteredSchema & { subject: string; version: number }> {
    const v = await this.request<{ subject: string; version: number; id: number; schema: string; schemaType?: SchemaType; references?: SchemaReference[] }>(
      'GET',
      `/subjects/${encodeURIComponent(subject)}/versions/${version}`,
    );
    return { ...v, schemaType: v.schemaType ?? 'AVRO', references: v.references ?? [] };
  }

  async getById(id: number): Promise<RegisteredSchema> {
    const s = await this.request<{ schema: string; schemaType?: SchemaType; references?: SchemaReference[] }>('GET', `/schemas/ids/${id}`);
    return { id, schema: s.schema, schemaType: s.schemaType ?? 'AVRO', references: s.references ?? [] };
  }

  /** The parsed writer schema for an id; cached (also failures are not cached, so a retry can succeed). */
  parsedById(id: number): Promise<ParsedSchema> {
    let p = this.byId.get(id);
    if (!p) {
      p = (async () => {
        const s = await this.getById(id);
        return parseSchema(s.schemaType, s.schema, await this.resolve(s.references, 0));
      })();
      this.byId.set(id, p);
      p.catch(() => this.byId.delete(id));
    }
    return p;
  }

  private async resolve(refs: readonly SchemaReference[], depth: number): Promise<ResolvedReference[]> {
    if (depth > 32) throw new SluiceError('SCHEMA_INVALID', 'schema references nest too deeply');
    const out: ResolvedReference[] = [];
    for (const ref of refs) {
      const v = await this.getVersion(ref.subject, ref.version === -1 ? 'latest' : ref.version);
      out.push({ name: ref.name, schema: v.schema, schemaType: v.schemaType, references: await this.resolve(v.references, depth + 1) });
    }
    return out;
  }

  /** Resolves references of a schema this process is about to register (for the local parse). */
  resolveReferences(refs: readonly SchemaReference[]): Promise<ResolvedReference[]> {
    return this.resolve(refs, 0);
  }
}
