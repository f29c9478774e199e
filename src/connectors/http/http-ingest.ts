// HTTP ingest into topics of the embedded log: `POST /topics/<topic>` with a JSON object, a
// JSON array or NDJSON. Every record of a request is parsed and validated before anything is
// written, then all of them go to ONE partition in ONE append, so a request is accepted
// whole or refused whole:
//   200 {"accepted": n, "topic", "partition", "baseOffset", "lastOffset"}   (offsets are contiguous)
//   400 {"error": {"code": "MALFORMED_JSON", "message", "line"?}}            body is not JSON / NDJSON
//   413 {"error": {"code": "PAYLOAD_TOO_LARGE", ...}}                         body over maxBodyBytes
//   422 {"error": {"code": "VALIDATION_FAILED", "message", "failures": [{"index", "message"}]}}
//   404 unknown topic (unless createTopics), 405 other methods, 503 the log refused the append.
// The partition is `?partition=N`, else chosen round-robin per request. Binds 127.0.0.1 by default.
// May import: engine/sources/topic-log (types), connectors/http, errors, node:http, ajv.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import type { TopicLog } from '../../engine/sources/topic-log.js';
import { parseIngestBody } from './ndjson.js';
import { SluiceError } from '../../errors.js';

export interface HttpIngestOptions {
  readonly log: TopicLog;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (any free port; read `server.port`). */
  readonly port?: number;
  /** Largest body accepted (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** Largest number of records in one request (default 10 000). */
  readonly maxRecords?: number;
  /** Returns an error message for a bad record, or undefined when it is fine. */
  readonly validate?: (record: unknown, index: number) => string | undefined;
  /** A JSON Schema every record must satisfy (checked with ajv, after `validate`). */
  readonly jsonSchema?: object;
  /** Create a missing topic with this many partitions (default: refuse with 404). */
  readonly createTopics?: number;
  /** Only these topics may be written (default: any existing topic). */
  readonly topics?: readonly string[];
  /** Field whose value becomes the record key. */
  readonly keyField?: string;
  /** Field holding the record's event time in ms (default: the time of the request). */
  readonly timestampField?: string;
  /** Per-request timeout (default 30 s). */
  readonly requestTimeoutMs?: number;
}

export interface HttpIngestServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

interface Failure {
  index: number;
  message: string;
}

export async function startHttpIngest(options: HttpIngestOptions): Promise<HttpIngestServer> {
  const maxBody = options.maxBodyBytes ?? 1 << 20;
  const maxRecords = options.maxRecords ?? 10_000;
  const schemaCheck = options.jsonSchema ? new Ajv({ allErrors: false, strict: false }).compile(options.jsonSchema) : undefined;
  const rr = new Map<string, number>();
  const allowed = options.topics ? new Set(options.topics) : undefined;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof SluiceError ? err : new SluiceError('INTERNAL', err instanceof Error ? err.message : String(err));
      send(res, e.retriable ? 503 : 500, { error: { code: e.code, message: e.message } });
    });
  });
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  server.headersTimeout = Math.min(server.requestTimeout, 20_000);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = /^\/topics\/([^/]+)$/.exec(url.pathname);
    if (!m) return send(res, 404, { error: { code: 'NOT_FOUND', message: 'POST /topics/<topic>' } });
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return send(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'use POST' } });
    }
    let topicName: string;
    try {
      topicName = decodeURIComponent(m[1] as string);
    } catch {
      return send(res, 400, { error: { code: 'INVALID_TOPIC_NAME', message: 'bad topic name encoding' } });
    }
    if (allowed && !allowed.has(topicName)) return send(res, 404, { error: { code: 'UNKNOWN_TOPIC', message: `topic "${topicName}" is not open for ingest` } });
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxBody) return tooLarge(req, res, maxBody);
    // Read the body with the cap enforced as bytes arrive, before any parsing.
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    await new Promise<void>((resolve, reject) => {
      req.on('data', (c: Buffer) => {
        if (over) return;
        size += c.length;
        if (size > maxBody) {
          over = true;
          chunks.length = 0;
          resolve();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve());
      req.on('error', reject);
    });
    if (over) return tooLarge(req, res, maxBody);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
    } catch {
      return send(res, 400, { error: { code: 'MALFORMED_JSON', message: 'body is not valid UTF-8' } });
    }
    let records: unknown[];
    try {
      records = parseIngestBody(text, String(req.headers['content-type'] ?? 'application/json'));
    } catch (err) {
      const e = err as SluiceError;
      return send(res, 400, { error: { code: 'MALFORMED_JSON', message: e.message, ...(e.details ?? {}) } });
    }
    if (records.length > maxRecords) return send(res, 413, { error: { code: 'PAYLOAD_TOO_LARGE', message: `at most ${maxRecords} records per request` } });
    const failures: Failure[] = [];
    for (let i = 0; i < records.length && failures.length < 100; i++) {
      const r = records[i];
      let msg: string | undefined;
      try {
        msg = options.validate?.(r, i);
      } catch (err) {
        msg = err instanceof Error ? err.message : String(err);
      }
      if (msg === undefined && schemaCheck && !schemaCheck(r)) {
        const e = schemaCheck.errors?.[0];
        msg = e ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}` : 'does not match the schema';
      }
      if (msg !== undefined) failures.push({ index: i, message: msg });
    }
    if (failures.length > 0) {
      return send(res, 422, {
        error: { code: 'VALIDATION_FAILED', message: `record ${failures[0]?.index} is invalid: ${failures[0]?.message}; nothing was written`, failures },
      });
    }
    const log = options.log;
    if (!log.hasTopic(topicName)) {
      if (options.createTopics === undefined) return send(res, 404, { error: { code: 'UNKNOWN_TOPIC', message: `topic "${topicName}" does not exist` } });
      try {
        // Create-if-absent: a concurrent request creating the same topic is waited for.
        await log.createTopic(topicName, options.createTopics, {}, { ifAbsent: true });
      } catch (err) {
        const e = err instanceof SluiceError ? err : new SluiceError('INTERNAL', String(err));
        return send(res, e.code === 'INVALID_TOPIC_NAME' ? 400 : 500, { error: { code: e.code, message: e.message } });
      }
    }
    const partitions = log.describeTopic(topicName).partitions;
    let partition: number;
    const qp = url.searchParams.get('partition');
    if (qp !== null) {
      partition = Number(qp);
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
        return send(res, 400, { error: { code: 'PARTITION_OUT_OF_RANGE', message: `partition must be 0..${partitions - 1}` } });
      }
    } else {
      partition = (rr.get(topicName) ?? 0) % partitions;
      rr.set(topicName, partition + 1);
    }
    const now = Date.now();
    const input = records.map((r) => {
      const obj = typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : undefined;
      const k = options.keyField && obj ? obj[options.keyField] : undefined;
      const t = options.timestampField && obj ? obj[options.timestampField] : undefined;
      return {
        key: k === undefined || k === null ? null : Buffer.from(typeof k === 'string' ? k : JSON.stringify(k)),
        value: Buffer.from(JSON.stringify(r)),
        timestamp: typeof t === 'number' && Number.isFinite(t) ? t : now,
      };
    });
    const result = await log.partition(topicName, partition).appendRecords(input);
    send(res, 200, { accepted: records.length, topic: topicName, partition, baseOffset: result.baseOffset, lastOffset: result.lastOffset });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new SluiceError('CONNECTION_FAILED', `http ingest cannot listen: ${err.message}`, { cause: err })));
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function tooLarge(req: http.IncomingMessage, res: http.ServerResponse, max: number): void {
  // Say so and close: reading the rest of an oversized body would only waste the server's time.
  res.setHeader('connection', 'close');
  send(res, 413, { error: { code: 'PAYLOAD_TOO_LARGE', message: `body larger than ${max} bytes; nothing was written` } });
  req.resume();
  res.on('finish', () => req.socket.destroySoon?.());
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
