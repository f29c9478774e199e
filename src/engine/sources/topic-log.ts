// The part of the log (src/log) the engine's topic source and sink use, looked up from the
// pipeline's resources as `log`. Typed from the log's own classes, so it cannot drift.
// May import: log/ (types only), errors.
import type { Log } from '../../log/log.js';
import { SluiceError } from '../../errors.js';

export type TopicLog = Pick<Log, 'describeTopic' | 'hasTopic' | 'createTopic' | 'partition'>;

export function logFrom(resources: Readonly<Record<string, unknown>>, what: string): TopicLog {
  const log = resources['log'] as TopicLog | undefined;
  if (!log || typeof log.partition !== 'function') {
    throw new SluiceError('INVALID_CONFIG', `${what} needs the log: pipeline(name, { resources: { log } })`);
  }
  return log;
}
