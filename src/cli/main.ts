// Entry point of the `sluice` command: dispatches to one Verb per file.
import { SluiceError } from '../errors.js';
import type { Verb } from './verb.js';
import { brokerVerb } from './broker.js';
import { topicsVerb } from './topics.js';
import { produceVerb } from './produce.js';
import { consumeVerb } from './consume.js';
import { logVerb } from './log-verb.js';
import { registryVerb } from './registry.js';
import { schemaVerb } from './schema.js';
import { demoVerb } from './demo.js';

const verbs: Verb[] = [
  // Each verb registers here, one import each.
  brokerVerb,
  topicsVerb,
  produceVerb,
  consumeVerb,
  logVerb,
  registryVerb,
  schemaVerb,
  demoVerb,
];

function usage(): string {
  const width = Math.max(8, ...verbs.map((v) => v.name.length));
  const lines = verbs.map((v) => `  ${v.name.padEnd(width)}  ${v.summary}`);
  return `sluice: real-time data pipelines for TypeScript\n\nUsage: sluice <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'sluice <command> --help' for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  const verb = verbs.find((v) => v.name === name);
  if (!verb) {
    console.error(`sluice: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(verb.help);
    return 0;
  }
  try {
    return await verb.run(rest);
  } catch (err) {
    if (err instanceof SluiceError) {
      console.error(`error [${err.code}]: ${err.message}`);
      return 1;
    }
    if (err instanceof TypeError && String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`error: ${err.message}\n\n${verb.help}`);
      return 2;
    }
    console.error(err);
    return 70;
  }
}

process.exitCode = await main(process.argv.slice(2));
