// What a request handler is. One file per API key under handlers/ (NN-<api>.ts, NN = the
// key), opening with the versions it serves and what changed between them, exporting
// `handler = defineHandler({...})`. The registry loads every such file; ApiVersions
// answers from the registrations, so it can never claim what is not implemented.
// May import: protocol/, the log's types, errors.ts.
import type { RequestHeader } from '../protocol/header.js';
import type { MessageSchema } from '../protocol/schema.js';
import type { BrokerContext } from '../broker-context.js';

/** Returned by a handler that must send nothing back (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no-response');

export interface RequestContext {
  header: RequestHeader;
  /** Shorthand for header.apiVersion. */
  version: number;
  /** Stable per TCP connection; e.g. for group members' client host bookkeeping. */
  connectionId: number;
  clientHost: string;
  broker: BrokerContext;
  /** Aborted when the connection closes or the broker shuts down: long waits must end. */
  signal: AbortSignal;
}

/**
 * Contract on request bytes: a Produce request's buffers (its `records`) may be reused for
 * another request once the handler's promise has resolved, so the Produce handler resolves
 * only after every append settled, and nothing may keep a view of them past that (the log
 * copies nothing it keeps: it writes and lets go). Other handlers' requests are not reused.
 */
export interface Handler<Req = unknown, Res = unknown> {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
  /** The message schema the server decodes the request and encodes the response with. */
  schema: MessageSchema;
  handle(request: Req, ctx: RequestContext): Res | typeof NO_RESPONSE | Promise<Res | typeof NO_RESPONSE>;
}

/** Typed at the definition, erased in the registry (the schema is the runtime contract). */
export function defineHandler<Req, Res>(h: Handler<Req, Res>): Handler {
  return h as unknown as Handler;
}
