// `sluice registry`: runs the Confluent-compatible schema registry, its state in the compacted
// `_schemas` topic of a Sluice log, until SIGTERM / SIGINT. Prints one "listening on" line once
// ready. Its own log directory by default (<data-dir>/schema-registry) so it can run beside
// `sluice broker` on the same --data-dir without two processes sharing one log.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../errors.js';
import { parseAuthFile } from '../schema/http/auth.js';
import { RegistryServer } from '../schema/http/registry-server.js';
import { Registry } from '../schema/registry.js';
import { LogRegistryStore } from '../schema/store/log-registry-store.js';
import { parseArgs } from 'node:util';
import { dataDirFrom, intArg, DATA_DIR_HELP } from './args.js';
import type { Verb } from './verb.js';

const DEFAULT_PORT = 8081;

export function parseListenAddress(value: string | undefined, defaultPort: number): { host: string; port: number } {
  if (value === undefined) return { host: '127.0.0.1', port: defaultPort };
  const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(value.trim());
  if (!m || m[1] === '') throw new SluiceError('INVALID_ARGUMENT', `--listen takes HOST:PORT, got '${value}'`, { details: { flag: '--listen', value } });
  return { host: m[1] as string, port: m[2] === undefined ? defaultPort : (intArg(m[2], '--listen port', { min: 0, max: 65535 }) as number) };
}

export const registryVerb: Verb = {
  name: 'registry',
  summary: 'run the schema registry (Confluent REST API: Avro, Protobuf, JSON Schema)',
  help: `Usage: sluice registry [options]

Serves the Confluent Schema Registry REST API. Schemas, ids, versions and configuration are
kept in the compacted topic _schemas of a Sluice log and survive restarts.

Options:
  --listen HOST:PORT       address to listen on (default 127.0.0.1:${DEFAULT_PORT}; port 0 = any)
${DATA_DIR_HELP}
                           (the registry keeps its log in <data-dir>/schema-registry)
  --registry-dir DIR       exact directory of the registry's log (overrides the above)
  --auth-file FILE         enable HTTP basic auth; lines of name:password:read|write
  --max-body-bytes N       largest request body (default 8388608); larger ones get 413
`,
  async run(argv) {
    const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: {
      listen: { type: 'string' },
      'data-dir': { type: 'string' },
      'registry-dir': { type: 'string' },
      'auth-file': { type: 'string' },
      'max-body-bytes': { type: 'string' },
    } });
    const { host, port } = parseListenAddress(values.listen, DEFAULT_PORT);
    const dir = values['registry-dir'] ?? join(dataDirFrom(values), 'schema-registry');
    let auth;
    if (values['auth-file'] !== undefined) {
      let text: string;
      try {
        text = readFileSync(values['auth-file'], 'utf8');
      } catch (err) {
        throw new SluiceError('INVALID_CONFIG', `cannot read --auth-file ${values['auth-file']}: ${(err as Error).message}`);
      }
      auth = parseAuthFile(text);
    }
    const store = await LogRegistryStore.open({ dataDir: dir });
    const registry = await Registry.open(store);
    const server = new RegistryServer(registry, {
      host,
      port,
      ...(auth ? { auth } : {}),
      ...(values['max-body-bytes'] !== undefined ? { maxBodyBytes: intArg(values['max-body-bytes'], '--max-body-bytes', { min: 1024 }) as number } : {}),
    });
    const addr = await server.listen().catch(async (err: unknown) => {
      await registry.close();
      throw new SluiceError('CONNECTION_FAILED', `cannot listen on ${host}:${port}: ${(err as Error).message}`, { cause: err });
    });
    console.log(`sluice registry listening on ${addr.url} (data in ${dir}${auth ? ', basic auth on' : ''})`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    await server.close();
    await registry.close();
    return 0;
  },
};
