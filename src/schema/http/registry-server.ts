// The Confluent Schema Registry REST API over node:http, on top of Registry. This file only
// routes, authenticates, bounds and parses request bodies, and serialises answers and errors
// ({error_code, message}); every rule lives in registry.ts. Nothing a client sends may crash
// the process: each request's failure is caught and answered.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Errors, RegistryError } from '../registry-error.js';
import type { RegisterRequest, Registry, SubjectVersion } from '../registry.js';
import { SCHEMA_TYPES, isSchemaType, type SchemaReference } from '../types.js';
import { type AuthConfig, authorize } from './auth.js';

export const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const ACCEPTED_BODY_TYPES = [
  'application/vnd.schemaregistry.v1+json',
  'application/vnd.schemaregistry+json',
  'application/json',
  'application/octet-stream',
];

export interface RegistryServerOptions {
  host?: string;
  port?: number;
  /** Largest request body accepted; larger ones get 413 before being read. Default 8 MiB. */
  maxBodyBytes?: number;
  auth?: AuthConfig;
  /** Per-request socket timeout (ms); default 30 s. */
  requestTimeoutMs?: number;
}

type Handler = (ctx: RequestContext) => Promise<unknown> | unknown;
interface Route {
  method: string;
  pattern: RegExp;
  write: boolean;
  handler: Handler;
}
interface RequestContext {
  params: string[];
  query: URLSearchParams;
  body: () => Promise<unknown>;
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && v.toLowerCase() === 'true';
}

function versionBody(v: SubjectVersion): Record<string, unknown> {
  const out: Record<string, unknown> = { subject: v.subject, version: v.version, id: v.id };
  if (v.schemaType !== 'AVRO') out.schemaType = v.schemaType;
  if (v.references.length > 0) out.references = v.references;
  out.schema = v.schema;
  return out;
}

/** Validates the JSON body of register / lookup / compatibility requests (422 on a wrong shape). */
function registerRequest(body: unknown): RegisterRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw Errors.unprocessable('The request body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (!['schema', 'schemaType', 'references', 'id', 'version', 'metadata', 'ruleSet', 'schemaTagsToAdd', 'schemaTagsToRemove'].includes(k))
      throw Errors.unprocessable(`Unrecognized field: ${k}`);
  if (typeof b.schema !== 'string') throw Errors.unprocessable('Field "schema" must be a string');
  const type = b.schemaType ?? 'AVRO';
  if (!isSchemaType(type)) throw Errors.invalidSchema(`Unknown schema type ${JSON.stringify(type)}`);
  const references: SchemaReference[] = [];
  if (b.references !== undefined && b.references !== null) {
    if (!Array.isArray(b.references)) throw Errors.unprocessable('Field "references" must be an array');
    for (const r of b.references) {
      const ro = r as Record<string, unknown> | null;
      if (!ro || typeof ro.name !== 'string' || typeof ro.subject !== 'string' || typeof ro.version !== 'number' || !Number.isInteger(ro.version))
        throw Errors.unprocessable('Each reference needs a string name, a string subject and an integer version');
      references.push({ name: ro.name, subject: ro.subject, version: ro.version });
    }
  }
  const req: RegisterRequest = { schema: b.schema, schemaType: type, references };
  if (typeof b.id === 'number') req.id = b.id;
  if (typeof b.version === 'number') req.version = b.version;
  return req;
}

function parseId(text: string): number {
  if (!/^\d{1,10}$/.test(text)) throw Errors.schemaNotFound(`Schema ${text} not found`);
  return Number(text);
}

function buildRoutes(reg: Registry): Route[] {
  const r = (method: string, path: string, write: boolean, handler: Handler): Route => ({
    method,
    // path segments written as {x} capture one URL-encoded segment
    pattern: new RegExp(`^${path.replace(/\{[a-z]+\}/g, '([^/]+)')}/?$`),
    write,
    handler,
  });
  const p = (ctx: RequestContext, i: number): string => ctx.params[i] as string;
  return [
    r('GET', '/', false, () => ({})),
    r('GET', '/schemas/types', false, () => [...SCHEMA_TYPES]),
    r('GET', '/schemas/ids/{id}', false, (c) => {
      const s = reg.getSchema(parseId(p(c, 0)));
      const out: Record<string, unknown> = {};
      if (s.schemaType !== 'AVRO') out.schemaType = s.schemaType;
      if (s.references.length > 0) out.references = s.references;
      out.schema = s.schema;
      return out;
    }),
    r('GET', '/schemas/ids/{id}/schema', false, (c) => rawSchema(reg.getSchema(parseId(p(c, 0))).schema)),
    r('GET', '/schemas/ids/{id}/subjects', false, (c) => {
      const id = parseId(p(c, 0));
      reg.getSchema(id);
      return reg.subjectsForId(id, flag(c.query, 'deleted'));
    }),
    r('GET', '/schemas/ids/{id}/versions', false, (c) => {
      const id = parseId(p(c, 0));
      reg.getSchema(id);
      return reg.versionsForId(id, flag(c.query, 'deleted'));
    }),
    r('GET', '/subjects', false, (c) => reg.listSubjects(flag(c.query, 'deleted'))),
    r('GET', '/subjects/{s}/versions', false, (c) => reg.listVersions(p(c, 0), flag(c.query, 'deleted'))),
    r('GET', '/subjects/{s}/versions/{v}', false, (c) => versionBody(reg.getVersion(p(c, 0), p(c, 1), flag(c.query, 'deleted')))),
    r('GET', '/subjects/{s}/versions/{v}/schema', false, (c) => rawSchema(reg.getVersion(p(c, 0), p(c, 1), flag(c.query, 'deleted')).schema)),
    r('GET', '/subjects/{s}/versions/{v}/referencedby', false, (c) => reg.referencedBy(p(c, 0), p(c, 1))),
    r('POST', '/subjects/{s}/versions', true, async (c) => {
      const { id } = await reg.register(p(c, 0), registerRequest(await c.body()));
      return { id };
    }),
    r('POST', '/subjects/{s}', false, async (c) => {
      const req = registerRequest(await c.body());
      return versionBody(reg.lookup(p(c, 0), req, flag(c.query, 'deleted')));
    }),
    r('DELETE', '/subjects/{s}', true, (c) => reg.deleteSubject(p(c, 0), flag(c.query, 'permanent'))),
    r('DELETE', '/subjects/{s}/versions/{v}', true, (c) => reg.deleteVersion(p(c, 0), p(c, 1), flag(c.query, 'permanent'))),
    r('GET', '/config', false, () => ({ compatibilityLevel: reg.getCompatibility(undefined, true) })),
    r('PUT', '/config', true, async (c) => ({ compatibility: await reg.setCompatibility(undefined, compatibilityField(await c.body())) })),
    r('DELETE', '/config', true, async () => ({ compatibilityLevel: await reg.deleteCompatibility(undefined) })),
    r('GET', '/config/{s}', false, (c) => ({ compatibilityLevel: reg.getCompatibility(p(c, 0), flag(c.query, 'defaultToGlobal')) })),
    r('PUT', '/config/{s}', true, async (c) => ({ compatibility: await reg.setCompatibility(p(c, 0), compatibilityField(await c.body())) })),
    r('DELETE', '/config/{s}', true, async (c) => ({ compatibilityLevel: await reg.deleteCompatibility(p(c, 0)) })),
    r('GET', '/mode', false, () => ({ mode: reg.getMode(undefined, true) })),
    r('PUT', '/mode', true, async (c) => ({ mode: await reg.setMode(undefined, modeField(await c.body())) })),
    r('GET', '/mode/{s}', false, (c) => ({ mode: reg.getMode(p(c, 0), flag(c.query, 'defaultToGlobal')) })),
    r('PUT', '/mode/{s}', true, async (c) => ({ mode: await reg.setMode(p(c, 0), modeField(await c.body())) })),
    r('DELETE', '/mode/{s}', true, async (c) => ({ mode: await reg.deleteMode(p(c, 0)) })),
    r('POST', '/compatibility/subjects/{s}/versions/{v}', false, async (c) => {
      const req = registerRequest(await c.body());
      return compatibilityAnswer(reg.testCompatibility(p(c, 0), p(c, 1), req), flag(c.query, 'verbose'));
    }),
    r('POST', '/compatibility/subjects/{s}/versions', false, async (c) => {
      const req = registerRequest(await c.body());
      return compatibilityAnswer(reg.testCompatibility(p(c, 0), undefined, req), flag(c.query, 'verbose'));
    }),
  ];
}

/** GET .../schema answers the schema itself: JSON for Avro and JSON Schema, a JSON string for .proto text. */
function rawSchema(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function compatibilityAnswer(res: { compatible: boolean; messages: string[] }, verbose: boolean): Record<string, unknown> {
  return verbose ? { is_compatible: res.compatible, messages: res.messages } : { is_compatible: res.compatible };
}

function compatibilityField(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw Errors.unprocessable('The request body must be a JSON object');
  const b = body as Record<string, unknown>;
  return b.compatibility ?? b.compatibilityLevel;
}
function modeField(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw Errors.unprocessable('The request body must be a JSON object');
  return (body as Record<string, unknown>).mode;
}

export class RegistryServer {
  private readonly server: http.Server;
  private readonly routes: Route[];
  private readonly maxBodyBytes: number;
  private readonly auth: AuthConfig | undefined;

  constructor(
    readonly registry: Registry,
    private readonly options: RegistryServerOptions = {},
  ) {
    this.routes = buildRoutes(registry);
    this.maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
    this.auth = options.auth;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
    this.server.requestTimeout = options.requestTimeoutMs ?? 30_000;
    this.server.headersTimeout = Math.min(this.server.requestTimeout, 20_000);
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Listens (127.0.0.1:8081 by default) and resolves with the bound address. */
  listen(): Promise<{ host: string; port: number; url: string }> {
    const host = this.options.host ?? '127.0.0.1';
    const port = this.options.port ?? 8081;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address() as AddressInfo;
        const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        resolve({ host: addr.address, port: addr.port, url: `http://${h}:${addr.port}` });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    let path: string;
    try {
      path = url.pathname;
    } catch {
      throw Errors.badRequest('Bad URL');
    }
    const matching = this.routes.filter((r) => r.pattern.test(path));
    if (matching.length === 0) {
      req.resume();
      return this.send(res, 404, { error_code: 404, message: 'HTTP 404 Not Found' });
    }
    const route = matching.find((r) => r.method === method);
    if (!route) {
      req.resume();
      res.setHeader('Allow', [...new Set(matching.map((r) => r.method))].join(', '));
      return this.send(res, 405, { error_code: 405, message: 'HTTP 405 Method Not Allowed' });
    }
    if (this.auth) {
      const verdict = authorize(this.auth, req.headers.authorization, route.write);
      if (verdict === 'unauthenticated') {
        req.resume();
        res.setHeader('WWW-Authenticate', 'Basic realm="sluice-schema-registry"');
        return this.send(res, 401, { error_code: 401, message: 'Unauthorized' });
      }
      if (verdict === 'forbidden') {
        req.resume();
        return this.send(res, 403, { error_code: 40301, message: 'User is denied operation on this server.' });
      }
    }
    const params = (route.pattern.exec(path) ?? []).slice(1).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw Errors.badRequest(`Bad URL segment ${s}`);
      }
    });
    const ctx: RequestContext = { params, query: url.searchParams, body: () => this.readBody(req) };
    const result = await route.handler(ctx);
    if (!req.readableEnded) req.resume();
    this.send(res, 200, result);
  }

  private readBody(req: http.IncomingMessage): Promise<unknown> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (type !== '' && !ACCEPTED_BODY_TYPES.includes(type)) {
      req.resume();
      return Promise.reject(new RegistryError(415, 415, `HTTP 415 Unsupported Media Type: ${type}`));
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > this.maxBodyBytes) {
      return Promise.reject(new RegistryError(413, 413, `Request body of ${declared} bytes exceeds the limit of ${this.maxBodyBytes}`));
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      req.on('data', (chunk: Buffer) => {
        if (done) return;
        size += chunk.length;
        if (size > this.maxBodyBytes) {
          done = true;
          chunks.length = 0;
          reject(new RegistryError(413, 413, `Request body exceeds the limit of ${this.maxBodyBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      req.on('error', (err) => {
        if (!done) {
          done = true;
          reject(Errors.badRequest(err.message));
        }
      });
      req.on('end', () => {
        if (done) return;
        done = true;
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim() === '') return reject(Errors.unprocessable('The request body is empty'));
        try {
          resolve(JSON.parse(text) as unknown);
        } catch (err) {
          reject(Errors.badRequest(`Malformed JSON body: ${(err as Error).message}`));
        }
      });
    });
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private fail(res: http.ServerResponse, err: unknown): void {
    if (err instanceof RegistryError) {
      if (err.status === 413) res.setHeader('Connection', 'close');
      this.send(res, err.status, { error_code: err.errorCode, message: err.message });
      return;
    }
    this.send(res, 500, { error_code: 50001, message: `Error in the backend data store - ${err instanceof Error ? err.message : String(err)}` });
  }
}
