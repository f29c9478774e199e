// ApiVersions (key 18), versions 0-3.
//   v0: errorCode + the [apiKey, minVersion, maxVersion] list.
//   v1: + throttleTimeMs.   v2: no change (bumped with KIP-511 preparation).
//   v3: flexible; the request carries clientSoftwareName/Version (KIP-511).
// The list is built from the handler registry, so it states exactly what is served.
// A request at a version above 3 is answered by the server in the v0 shape with
// UNSUPPORTED_VERSION and this range (Kafka's rule, so clients can retry lower); that path
// lives in server.ts because the request body cannot be decoded.
import { KafkaError } from '../protocol/error-codes.js';
import { ApiVersions } from '../protocol/messages.js';
import type { HandlerRegistry } from './registry.js';
import { defineHandler } from './handler.js';

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[];
  throttleTimeMs: number;
}

export function apiVersionsBody(registry: HandlerRegistry, errorCode: number): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: registry.list().map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
  };
}

export const handler = defineHandler<{ clientSoftwareName: string; clientSoftwareVersion: string }, ApiVersionsResponse>({
  apiKey: ApiVersions.apiKey,
  minVersion: 0,
  maxVersion: 3,
  schema: ApiVersions,
  handle(_request, ctx) {
    return apiVersionsBody(ctx.broker.registry, KafkaError.NONE);
  },
});
