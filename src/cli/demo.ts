// `sluice demo` (what `npm start` runs): the main job on a laptop in one command. Starts the
// Kafka-protocol broker over the log in --data-dir, a live clickstream generator, the
// clickstream job (event time, windows, sessions, exactly-once result topics with
// checkpoints) and the web UI with /metrics, then prints where to look. Ctrl-C stops
// everything cleanly; the next start resumes the job from its last checkpoint.
// The wiring lives with the example (examples/clickstream/demo.ts) and is loaded at run time, so
// the library build (src/ only) does not depend on examples/.
// May import: ./args.ts, ./verb.ts, errors; examples/clickstream/demo.ts dynamically.
import { parseArgs } from 'node:util';
import { SluiceError } from '../errors.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, dataDirFrom, intArg } from './args.js';
import type { Verb } from './verb.js';

const HELP = `Usage: sluice demo [options]

Runs the clickstream analytics job with everything embedded: the broker (Kafka protocol),
a live click generator, the job and the web UI. Ctrl-C stops; a second start resumes.

Options:
${DATA_DIR_HELP}
  --broker-port N        Kafka port (default $SLUICE_BROKER_PORT or 9092; another free port if taken)
  --ui-port N            web UI and /metrics port (default $SLUICE_UI_PORT or 8080; another free port if taken)
  --rate N               generated clicks per second (default 50; 0 = none, produce your own)
  --postgres URL         also write results exactly-once to PostgreSQL (default $SLUICE_POSTGRES_URL)
`;

export const demoVerb: Verb = {
  name: 'demo',
  summary: 'run the clickstream job with broker, generator and web UI (npm start)',
  help: HELP,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { ...DATA_DIR_OPTION, 'broker-port': { type: 'string' }, 'ui-port': { type: 'string' }, rate: { type: 'string' }, postgres: { type: 'string' } },
    });
    const brokerPort = intArg(values['broker-port'] ?? process.env['SLUICE_BROKER_PORT'], '--broker-port', { min: 0, max: 65535 }) ?? 9092;
    const uiPort = intArg(values['ui-port'] ?? process.env['SLUICE_UI_PORT'], '--ui-port', { min: 0, max: 65535 }) ?? 8080;
    const rate = intArg(values.rate, '--rate', { min: 0, max: 1_000_000 }) ?? 50;
    const dataDir = dataDirFrom(values);
    // A variable specifier keeps tsc from pulling examples/ into the library build.
    const where = new URL('../../examples/clickstream/demo.js', import.meta.url).href;
    let mod: { runClickstreamDemo(o: { dataDir: string; brokerPort: number; uiPort: number; rate: number; postgres?: string }): Promise<number> };
    try {
      mod = (await import(where)) as typeof mod;
    } catch (err) {
      throw new SluiceError('INVALID_CONFIG', `the demo needs the examples/ folder of a source checkout (${String(err)})`, { cause: err });
    }
    return mod.runClickstreamDemo({ dataDir, brokerPort, uiPort, rate, ...(values.postgres ? { postgres: values.postgres } : {}) });
  },
};
