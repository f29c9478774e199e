// `sluice topics create|list|describe|delete|alter-config`: topic administration on the
// embedded log. Input is validated before the log is opened, so a bad name or config
// creates nothing (not even the data directory).
// May import: ./args.ts, ./verb.ts, ../log/*, ../errors.ts.
import { parseArgs } from 'node:util';
import { SluiceError } from '../errors.js';
import { topicConfigFromKafka, topicConfigToKafka, validateTopicName } from '../log/topic-config.js';
import type { Log } from '../log/log.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, dataDirFrom, intArg, keyValueArgs, positionals, withLog } from './args.js';
import type { Verb } from './verb.js';

const HELP = `Usage: sluice topics <command> [options]

Commands:
  create <topic> [--partitions N] [--config name=value ...]
                         create a topic (Kafka config names: retention.ms, retention.bytes,
                         segment.bytes, segment.ms, cleanup.policy, max.message.bytes,
                         delete.retention.ms, message.timestamp.type)
  list [--json]          list topics
  describe <topic> [--json]
                         partitions (start/end offsets, bytes, segments) and config
  delete <topic>         delete a topic and all its data
  alter-config <topic> --config name=value [--config ...]
                         change topic config

Options:
  --partitions N         partitions for create (default 1)
  --config name=value    a topic config entry (repeatable)
  --json                 machine-readable output
${DATA_DIR_HELP}

Examples:
  sluice topics create clicks --partitions 3 --config retention.ms=86400000
  sluice topics alter-config users --config cleanup.policy=compact`;

const OPTIONS = {
  ...DATA_DIR_OPTION,
  partitions: { type: 'string' },
  config: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

export const topicsVerb: Verb = {
  name: 'topics',
  summary: 'create, list, describe, delete and configure topics',
  help: HELP,
  async run(argv) {
    const { values, positionals: pos } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
    const [command, ...rest] = pos;
    const dataDir = dataDirFrom(values);
    const json = values.json === true;
    switch (command) {
      case 'create': {
        const [name] = positionals(rest, ['topic']);
        validateTopicName(name!);
        const partitions = intArg(values.partitions, '--partitions', { min: 1, max: 10000 }) ?? 1;
        const config = topicConfigFromKafka(keyValueArgs(values.config, '--config'));
        const desc = await withLog(dataDir, { create: true }, (log) => log.createTopic(name!, partitions, config));
        console.log(json ? JSON.stringify(desc) : `created topic ${desc.name} with ${desc.partitions} partition${desc.partitions === 1 ? '' : 's'}`);
        return 0;
      }
      case 'list': {
        positionals(rest, []);
        return withLog(dataDir, {}, async (log) => {
          const topics = log.listTopics().filter((t) => !t.internal);
          if (json) console.log(JSON.stringify(topics.map((t) => ({ name: t.name, partitions: t.partitions }))));
          else if (topics.length === 0) console.log('(no topics)');
          else for (const t of topics) console.log(`${t.name}\t${t.partitions}`);
          return 0;
        });
      }
      case 'describe': {
        const [name] = positionals(rest, ['topic']);
        return withLog(dataDir, {}, async (log) => describe(log, name!, json));
      }
      case 'delete': {
        const [name] = positionals(rest, ['topic']);
        validateTopicName(name!);
        await withLog(dataDir, {}, (log) => log.deleteTopic(name!));
        console.log(`deleted topic ${name}`);
        return 0;
      }
      case 'alter-config': {
        const [name] = positionals(rest, ['topic']);
        const entries = keyValueArgs(values.config, '--config');
        if (Object.keys(entries).length === 0) throw new SluiceError('INVALID_ARGUMENT', 'alter-config needs at least one --config name=value');
        const changes = topicConfigFromKafka(entries);
        const config = await withLog(dataDir, {}, (log) => log.alterTopicConfig(name!, changes));
        const kafka = topicConfigToKafka(config);
        console.log(json ? JSON.stringify(kafka) : Object.keys(entries).map((k) => `${k}=${kafka[k]}`).join('\n'));
        return 0;
      }
      default:
        console.error(command === undefined ? HELP : `sluice topics: unknown command '${command}'\n\n${HELP}`);
        return 2;
    }
  },
};

function describe(log: Log, name: string, json: boolean): number {
  const desc = log.describeTopic(name);
  const partitions = Array.from({ length: desc.partitions }, (_, i) => {
    try {
      const p = log.partition(name, i);
      return { partition: i, logStartOffset: p.logStartOffset, logEndOffset: p.logEndOffset, sizeBytes: p.sizeBytes, segments: p.segments().length, error: undefined as string | undefined };
    } catch (err) {
      const e = err instanceof SluiceError ? `${err.code}: ${err.message}` : String(err);
      return { partition: i, logStartOffset: -1, logEndOffset: -1, sizeBytes: -1, segments: -1, error: e };
    }
  });
  const config = topicConfigToKafka(desc.config);
  if (json) {
    console.log(JSON.stringify({ name, partitions, config }));
  } else {
    console.log(`topic ${name}: ${desc.partitions} partition${desc.partitions === 1 ? '' : 's'}`);
    for (const p of partitions) {
      if (p.error) console.log(`  partition ${p.partition}: UNAVAILABLE (${p.error}); run 'sluice log verify --topic ${name}'`);
      else console.log(`  partition ${p.partition}: offsets ${p.logStartOffset}..${p.logEndOffset} (${p.logEndOffset - p.logStartOffset} records), ${p.sizeBytes} bytes in ${p.segments} segment${p.segments === 1 ? '' : 's'}`);
    }
    console.log('config:');
    for (const [k, v] of Object.entries(config)) console.log(`  ${k}=${v}`);
  }
  return partitions.some((p) => p.error) ? 1 : 0;
}
