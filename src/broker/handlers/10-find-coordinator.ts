// FindCoordinator (key 10), versions 0-4.
//   v0: a group id; the coordinator's node, host and port.
//   v1: + keyType (0 group, 1 transaction), throttleTimeMs, errorMessage.
//   v2: no wire change.   v3: flexible.
//   v4: batched: coordinatorKeys in, one coordinators entry per key out.
// This node coordinates every group and every transactional id.
import { KafkaError } from '../protocol/error-codes.js';
import { FindCoordinator } from '../protocol/messages.js';
import { defineHandler } from './handler.js';

interface FindCoordinatorRequest {
  key: string;
  keyType: number;
  coordinatorKeys: string[];
}

interface Coordinator {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
  coordinators: Coordinator[];
}

export const handler = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: FindCoordinator.apiKey,
  minVersion: 0,
  maxVersion: 4,
  schema: FindCoordinator,
  handle(request, ctx) {
    const cfg = ctx.broker.config;
    const bad = request.keyType !== 0 && request.keyType !== 1;
    const answer = (key: string): Coordinator =>
      bad
        ? { key, nodeId: -1, host: '', port: -1, errorCode: KafkaError.INVALID_REQUEST, errorMessage: `unknown key type ${request.keyType}` }
        : { key, nodeId: cfg.nodeId, host: cfg.advertisedHost, port: cfg.advertisedPort, errorCode: KafkaError.NONE, errorMessage: null };
    if (ctx.version >= 4) {
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 0, host: '', port: 0, coordinators: request.coordinatorKeys.map(answer) };
    }
    const one = answer(request.key);
    return { throttleTimeMs: 0, errorCode: one.errorCode, errorMessage: one.errorMessage, nodeId: one.nodeId, host: one.host, port: one.port, coordinators: [] };
  },
});
