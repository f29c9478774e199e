// The part of the log (src/log) the engine's topic source and sink use, looked up from the
// pipeline's resources as `log`. Typed from the log's own classes, so it cannot drift. The
// topic source and sink go through LogAccess (logAccessFrom): the resource is either a Log of
// this thread (wrapped once) or, inside a worker thread, the proxy to the main thread's Log.
// May import: log/ (types only), sources/log-access.ts, sources/local-log-access.ts, errors.
import type { Log } from '../../log/log.js';
import type { LogAccess } from './log-access.js';
import { isLogAccess } from './log-access.js';
import { LocalLogAccess } from './local-log-access.js';
import { SluiceError } from '../../errors.js';

export type TopicLog = Pick<Log, 'describeTopic' | 'hasTopic' | 'createTopic' | 'partition'>;

/** A Log (or anything shaped like the part of it the engine uses). */
export function isTopicLog(v: unknown): v is TopicLog {
  if (typeof v !== 'object' || v === null) return false;
  const l = v as Record<string, unknown>;
  return typeof l['partition'] === 'function' && typeof l['describeTopic'] === 'function' && typeof l['hasTopic'] === 'function' && typeof l['createTopic'] === 'function';
}

export function logFrom(resources: Readonly<Record<string, unknown>>, what: string): TopicLog {
  const log = resources['log'];
  if (!isTopicLog(log)) {
    throw new SluiceError('INVALID_CONFIG', `${what} needs the log: pipeline(name, { resources: { log } })`);
  }
  return log;
}

const wrapped = new WeakMap<object, LogAccess>();

/** The log as the topic source and sink use it: a Log of this thread, or a worker's proxy to one. */
export function logAccessFrom(resources: Readonly<Record<string, unknown>>, what: string, name = 'log'): LogAccess {
  const r = resources[name];
  if (isLogAccess(r)) return r;
  if (!isTopicLog(r)) throw new SluiceError('INVALID_CONFIG', `${what} needs the log: pipeline(name, { resources: { ${name} } })`);
  let access = wrapped.get(r);
  if (!access) wrapped.set(r, (access = new LocalLogAccess(r)));
  return access;
}
