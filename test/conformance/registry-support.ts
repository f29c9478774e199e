// Shared by the registry conformance tests: start a registry on a free loopback port and
// call it the way a Confluent client would (JSON bodies, the registry's content type).
import { Registry } from '../../src/schema/registry.js';
import { RegistryServer, type RegistryServerOptions } from '../../src/schema/http/registry-server.js';
import { MemoryRegistryStore, type RegistryStore } from '../../src/schema/store/registry-store.js';

export interface Running {
  url: string;
  registry: Registry;
  server: RegistryServer;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown; headers: Headers }>;
  close(): Promise<void>;
}

export async function startRegistry(options: RegistryServerOptions = {}, store: RegistryStore = new MemoryRegistryStore()): Promise<Running> {
  const registry = await Registry.open(store);
  const server = new RegistryServer(registry, { ...options, port: 0 });
  const { url } = await server.listen();
  return {
    url,
    registry,
    server,
    async call(method, path, body, headers = {}) {
      const init: RequestInit = {
        method,
        headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json', ...headers },
        signal: AbortSignal.timeout(10_000),
      };
      if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
      const res = await fetch(url + path, init);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        // leave as text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await server.close();
      await registry.close();
    },
  };
}

export const avroUser = (fields: unknown[] = []): string =>
  JSON.stringify({ type: 'record', name: 'User', namespace: 'com.example', fields: [{ name: 'id', type: 'long' }, ...fields] });
