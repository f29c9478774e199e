// `sluice broker`: runs the Kafka-protocol broker over the log in --data-dir until SIGTERM or
// SIGINT, then stops gracefully (stop accepting, finish in-flight requests, flush the log and
// write its recovery points). Prints one "listening on host:port" line once ready, which
// scripts and tests wait for.
// With --registry it also serves the Confluent-compatible schema registry from the same
// process, its state in the `_schemas` topic of the broker's own log (one process owns a log
// directory; Kafka clients see `_schemas` as Confluent's registry keeps it in Kafka). It
// prints a second "sluice registry listening on URL" line and stops before the broker.
// With --ui it serves Prometheus /metrics and the web UI (topics, groups, lag) as well.
// May import: broker/server.ts, log/log.ts, schema/ (registry, store, http server),
// observe/ (metrics, http server), ./args.ts, ./verb.ts.
import { SluiceError } from '../errors.js';
import { Log } from '../log/log.js';
import { Broker, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_PORT } from '../broker/server.js';
import { MetricsRegistry } from '../observe/metrics.js';
import { ObserveServer } from '../observe/http-server.js';
import { registerLogMetrics } from '../observe/log-metrics.js';
import { RegistryServer } from '../schema/http/registry-server.js';
import { Registry } from '../schema/registry.js';
import { LogRegistryStore } from '../schema/store/log-registry-store.js';
import { parseArgs } from 'node:util';
import { DATA_DIR_HELP, DATA_DIR_OPTION, dataDirFrom, enumArg, intArg } from './args.js';
import type { Verb } from './verb.js';

const DEFAULT_REGISTRY_PORT = 8081;
const DEFAULT_UI_PORT = 8080;

const HELP = `Usage: sluice broker [options]

Runs a Kafka-protocol broker (one node) over the durable log. Any Kafka client can produce
and consume; SIGTERM / SIGINT stop it gracefully.

Options:
  --listen HOST:PORT              address to listen on (default 127.0.0.1:${DEFAULT_PORT}; port 0 = any)
  --advertised-listener HOST:PORT address clients are told to connect to (default: the listen address)
${DATA_DIR_HELP}
  --auto-create-topics on|off     create unknown topics on metadata requests (default on)
  --default-partitions N          partitions of auto-created topics (default 1)
  --max-request-bytes N           largest request accepted (default ${DEFAULT_MAX_REQUEST_BYTES})
  --producer-id-expiration-ms N   forget a producer id idle this long (Kafka's producer.id.expiration.ms; default one day)
  --registry                      also serve the schema registry (Confluent REST API), its
                                  schemas in the _schemas topic of this broker's log
  --registry-listen HOST:PORT     the registry's address (default 127.0.0.1:${DEFAULT_REGISTRY_PORT}; port 0 = any)
  --ui                            also serve Prometheus /metrics and the web UI's topics view
  --ui-listen HOST:PORT           their address (default 127.0.0.1:${DEFAULT_UI_PORT}; port 0 = any)
`;

export function parseListen(value: string | undefined, flag = '--listen', defaultPort = DEFAULT_PORT): { host: string; port: number } {
  if (value === undefined) return { host: '127.0.0.1', port: defaultPort };
  const m = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(value.trim());
  if (!m) throw new SluiceError('INVALID_ARGUMENT', `${flag} takes HOST:PORT, got '${value}'`, { details: { flag, value } });
  const host = m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = m[2] === undefined ? defaultPort : intArg(m[2], `${flag} port`, { min: 0, max: 65535 })!;
  return { host, port };
}

/** A registry served from the broker's process and log. */
interface EmbeddedRegistry {
  url: string;
  close(): Promise<void>;
}

async function startRegistry(log: Log, host: string, port: number): Promise<EmbeddedRegistry> {
  const registry = await Registry.open(await LogRegistryStore.open({ log }));
  const server = new RegistryServer(registry, { host, port });
  let url: string;
  try {
    url = (await server.listen()).url;
  } catch (err) {
    await registry.close();
    throw new SluiceError('CONNECTION_FAILED', `cannot listen on ${host}:${port} for the registry: ${(err as Error).message}`, { cause: err });
  }
  return {
    url,
    async close() {
      await server.close();
      await registry.close(); // waits for queued writes; leaves the shared log open
    },
  };
}

export const brokerVerb: Verb = {
  name: 'broker',
  summary: 'run the Kafka-protocol broker over the log',
  help: HELP,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...DATA_DIR_OPTION,
        listen: { type: 'string' },
        'advertised-listener': { type: 'string' },
        'auto-create-topics': { type: 'string' },
        'default-partitions': { type: 'string' },
        'max-request-bytes': { type: 'string' },
        'producer-id-expiration-ms': { type: 'string' },
        registry: { type: 'boolean' },
        'registry-listen': { type: 'string' },
        ui: { type: 'boolean' },
        'ui-listen': { type: 'string' },
      },
    });
    const { host, port } = parseListen(values.listen);
    if (values['registry-listen'] !== undefined && values.registry !== true) {
      throw new SluiceError('INVALID_ARGUMENT', '--registry-listen needs --registry', { details: { flag: '--registry-listen' } });
    }
    if (values['ui-listen'] !== undefined && values.ui !== true) {
      throw new SluiceError('INVALID_ARGUMENT', '--ui-listen needs --ui', { details: { flag: '--ui-listen' } });
    }
    const uiAddress = values.ui === true ? parseListen(values['ui-listen'], '--ui-listen', DEFAULT_UI_PORT) : undefined;
    const registryAddress = values.registry === true ? parseListen(values['registry-listen'], '--registry-listen', DEFAULT_REGISTRY_PORT) : undefined;
    const autoCreate = enumArg(values['auto-create-topics'], '--auto-create-topics', ['on', 'off', 'true', 'false'] as const) ?? 'on';
    const defaultPartitions = intArg(values['default-partitions'], '--default-partitions', { min: 1, max: 10000 }) ?? 1;
    const maxRequestBytes = intArg(values['max-request-bytes'], '--max-request-bytes', { min: 1024, max: 0x7fffffff }) ?? DEFAULT_MAX_REQUEST_BYTES;
    const producerIdExpirationMs = intArg(values['producer-id-expiration-ms'], '--producer-id-expiration-ms', { min: 1 });
    const log = await Log.open({ dataDir: dataDirFrom(values), ...(producerIdExpirationMs !== undefined ? { producerIdExpirationMs } : {}) });
    const metrics = new MetricsRegistry();
    let broker: Broker;
    try {
      broker = await Broker.start({
        log,
        host,
        port,
        advertisedListener: values['advertised-listener'],
        autoCreateTopics: autoCreate === 'on' || autoCreate === 'true',
        defaultPartitions,
        maxRequestBytes,
        metrics,
      });
    } catch (err) {
      await log.close();
      throw err;
    }
    let registry: EmbeddedRegistry | undefined;
    if (registryAddress !== undefined) {
      try {
        registry = await startRegistry(log, registryAddress.host, registryAddress.port);
      } catch (err) {
        await broker.stop();
        throw err;
      }
    }
    let ui: ObserveServer | undefined;
    if (uiAddress !== undefined) {
      try {
        registerLogMetrics(metrics, log);
        ui = await ObserveServer.start({ registry: metrics, log, host: uiAddress.host, port: uiAddress.port });
      } catch (err) {
        await registry?.close();
        await broker.stop();
        throw err;
      }
    }
    // The signal handlers go in before the "listening" lines: a supervisor or test that signals
    // as soon as it reads them must not meet the default action, which kills at once.
    const stopped = new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        console.error(`sluice broker: ${signal}, stopping`);
        resolve();
      };
      const onTerm = (): void => stop('SIGTERM');
      const onInt = (): void => stop('SIGINT');
      process.on('SIGTERM', onTerm);
      process.on('SIGINT', onInt);
    });
    console.log(`sluice broker listening on ${broker.host}:${broker.port} (advertised ${broker.context.config.advertisedHost}:${broker.context.config.advertisedPort})`);
    if (registry !== undefined) console.log(`sluice registry listening on ${registry.url} (schemas in the broker's log, topic _schemas)`);
    if (ui !== undefined) console.log(`sluice ui listening on http://${uiAddress!.host}:${ui.port}/ (metrics at /metrics)`);
    await stopped;
    // The UI and the registry first: they read and write the log the broker closes.
    await ui?.stop();
    await registry?.close();
    await broker.stop();
    console.error('sluice broker: stopped; log flushed');
    return 0;
  },
};
