// `sluice broker`: runs the Kafka-protocol broker over the log in --data-dir until SIGTERM or
// SIGINT, then stops gracefully (stop accepting, finish in-flight requests, flush the log and
// write its recovery points). Prints one "listening on host:port" line once ready, which
// scripts and tests wait for.
// May import: broker/server.ts, log/log.ts, observe/metrics.ts, ./args.ts, ./verb.ts.
import { SluiceError } from '../errors.js';
import { Log } from '../log/log.js';
import { Broker, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_PORT } from '../broker/server.js';
import { MetricsRegistry } from '../observe/metrics.js';
import { parseArgs } from 'node:util';
import { DATA_DIR_HELP, DATA_DIR_OPTION, dataDirFrom, enumArg, intArg } from './args.js';
import type { Verb } from './verb.js';

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
`;

export function parseListen(value: string | undefined): { host: string; port: number } {
  if (value === undefined) return { host: '127.0.0.1', port: DEFAULT_PORT };
  const m = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(value.trim());
  if (!m) throw new SluiceError('INVALID_ARGUMENT', `--listen takes HOST:PORT, got '${value}'`, { details: { flag: '--listen', value } });
  const host = m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = m[2] === undefined ? DEFAULT_PORT : intArg(m[2], '--listen port', { min: 0, max: 65535 })!;
  return { host, port };
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
      },
    });
    const { host, port } = parseListen(values.listen);
    const autoCreate = enumArg(values['auto-create-topics'], '--auto-create-topics', ['on', 'off', 'true', 'false'] as const) ?? 'on';
    const defaultPartitions = intArg(values['default-partitions'], '--default-partitions', { min: 1, max: 10000 }) ?? 1;
    const maxRequestBytes = intArg(values['max-request-bytes'], '--max-request-bytes', { min: 1024, max: 0x7fffffff }) ?? DEFAULT_MAX_REQUEST_BYTES;
    const log = await Log.open({ dataDir: dataDirFrom(values) });
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
        metrics: new MetricsRegistry(),
      });
    } catch (err) {
      await log.close();
      throw err;
    }
    console.log(`sluice broker listening on ${broker.host}:${broker.port} (advertised ${broker.context.config.advertisedHost}:${broker.context.config.advertisedPort})`);
    await new Promise<void>((resolve) => {
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
    await broker.stop();
    console.error('sluice broker: stopped; log flushed');
    return 0;
  },
};
