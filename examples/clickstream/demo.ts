// The clickstream demo, wired: the Kafka-protocol broker over the log in `dataDir`, a live
// click generator, the clickstream job (event time, windows, sessions, exactly-once result
// topics with checkpoints) and the web UI with /metrics. Resolves when a signal stops it (0)
// or rejects when the job fails. `sluice demo` (src/cli/demo.ts) and `npm start` run it.
// With a PostgreSQL connection string (option or $SLUICE_POSTGRES_URL) the job also upserts
// its results into tables there (names prefixed by $SLUICE_POSTGRES_TABLE_PREFIX, default
// `clickstream_`), exactly-once.
// May import: src/broker/server.ts, src/log, src/observe, src/errors, ./*.
import path from 'node:path';
import { Log } from '../../src/log/log.js';
import { Broker } from '../../src/broker/server.js';
import { MetricsRegistry } from '../../src/observe/metrics.js';
import { ObserveServer } from '../../src/observe/http-server.js';
import { monitorPipeline } from '../../src/observe/job-monitor.js';
import { registerLogMetrics } from '../../src/observe/log-metrics.js';
import { SluiceError } from '../../src/errors.js';
import { buildClickstreamJob, CLICKSTREAM_TOPICS } from './job.js';
import { ClickstreamResultsView } from './results-view.js';
import { startLiveClicks } from './live.js';

export interface DemoOptions {
  readonly dataDir: string;
  readonly brokerPort: number;
  readonly uiPort: number;
  readonly rate: number;
  /** A PostgreSQL connection string: the results also go to tables there (default $SLUICE_POSTGRES_URL). */
  readonly postgres?: string;
}

async function withFallback<T>(preferred: number, start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(preferred);
  } catch (err) {
    if (preferred !== 0 && err instanceof SluiceError && err.code === 'CONNECTION_FAILED') return start(0);
    throw err;
  }
}

/** A connection string without its password, for printing. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

export async function runClickstreamDemo(o: DemoOptions): Promise<number> {
  const { dataDir, brokerPort, uiPort, rate } = o;
  const registry = new MetricsRegistry();
  const log = await Log.open({ dataDir, flush: { mode: 'interval', intervalMs: 200 } });
  const cleanups: (() => Promise<void>)[] = [async () => log.close()];
  const cleanup = async (): Promise<void> => {
    while (cleanups.length > 0) await cleanups.pop()!().catch((err: unknown) => console.error(`sluice demo: while stopping: ${String(err)}`));
  };
  try {
    if (!log.hasTopic(CLICKSTREAM_TOPICS.clicks)) await log.createTopic(CLICKSTREAM_TOPICS.clicks, 1);
    registerLogMetrics(registry, log);
    const broker = await withFallback(brokerPort, (port) => Broker.start({ log, ownsLog: false, port, metrics: registry }));
    cleanups.push(() => broker.stop());

    const checkpointDir = path.join(dataDir, 'checkpoints', 'clickstream');
    const postgres = o.postgres ?? (process.env['SLUICE_POSTGRES_URL'] || undefined);
    const tablePrefix = process.env['SLUICE_POSTGRES_TABLE_PREFIX'] || 'clickstream_';
    if (!/^[a-z_][a-z0-9_]*$/.test(tablePrefix)) throw new SluiceError('INVALID_CONFIG', `SLUICE_POSTGRES_TABLE_PREFIX must be a lower-case SQL identifier prefix, got '${tablePrefix}'`);
    const job = buildClickstreamJob({
      resources: { log },
      checkpoints: { every: '2s', dir: checkpointDir },
      earlyResultsEvery: '2s',
      ...(postgres ? { postgres: { connection: postgres, tablePrefix } } : {}),
    });
    const monitor = monitorPipeline(job, { registry, log, checkpointDir });
    const handle = job.start();
    monitor.attach(handle);
    cleanups.push(async () => {
      await handle.stop();
    });

    const view = new ClickstreamResultsView(log);
    let polling = false;
    const pollTimer = setInterval(() => {
      if (polling) return;
      polling = true;
      view
        .poll()
        .catch(() => undefined)
        .finally(() => (polling = false));
    }, 500);
    cleanups.push(async () => clearInterval(pollTimer));

    const ui = await withFallback(uiPort, (port) => ObserveServer.start({ registry, log, port, jobs: () => [monitor], clickstream: () => view.snapshot() }));
    cleanups.push(() => ui.stop());

    const part = log.partition(CLICKSTREAM_TOPICS.clicks, 0);
    const live =
      rate > 0
        ? startLiveClicks({
            rate,
            send: async (clicks) => {
              await part.appendRecords(clicks.map((c) => ({ key: Buffer.from(c.userId), value: Buffer.from(JSON.stringify(c)), timestamp: c.ts })));
            },
            onError: (err) => console.error(`sluice demo: generator: ${String(err)}`),
          })
        : undefined;
    if (live) cleanups.push(() => live.stop());

    const b = `${broker.host}:${broker.port}`;
    console.log(`Sluice demo: live clickstream analytics
web UI       ${ui.url}   (job: ${ui.url}#/jobs, topics: ${ui.url}#/topics)
metrics      ${ui.url}metrics
broker       ${b}   (Kafka protocol)
data dir     ${dataDir}
${postgres ? `postgres     tables ${tablePrefix}page_views, ${tablePrefix}top_products, ${tablePrefix}funnel (${redact(postgres)})\n` : ''}try          kcat -b ${b} -C -t ${CLICKSTREAM_TOPICS.pageViews} -o -5 -e
             echo '{"userId":"u1","sessionId":"s1","url":"/","page":"home","referrer":"direct","ts":'$(date +%s000)'}' | kcat -b ${b} -P -t ${CLICKSTREAM_TOPICS.clicks}
Press Ctrl-C to stop.`);

    // A terminal's Ctrl-C reaches every process of the group (npm, scripts/start.mjs and this
    // one), so a second signal may follow the first: keep a handler installed until the end.
    let signalled: (() => void) | undefined;
    const onSignal = (): void => signalled?.();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    cleanups.unshift(async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
    const outcome = await new Promise<'signal' | Error>((resolve) => {
      signalled = () => resolve('signal');
      handle.done.then(
        () => resolve(new SluiceError('JOB_FAILED', 'the clickstream job ended unexpectedly')),
        (err: unknown) => resolve(err instanceof Error ? err : new Error(String(err))),
      );
    });
    console.log('sluice demo: stopping…');
    await cleanup();
    if (outcome !== 'signal') throw outcome;
    console.log('sluice demo: stopped cleanly; the next start resumes from the last checkpoint.');
    return 0;
  } catch (err) {
    await cleanup();
    throw err;
  }
}
