// The script a worker thread starts with: re-imports the module that defines the job, calls
// its exported builder to rebuild the same graph, checks it matches the coordinator's, and
// runs this worker's subtask. Closures cannot cross threads; rebuilding the graph from the
// same code is how every worker gets the same functions. A Log resource of the coordinator's
// pipeline is replaced here by a proxy to it (the Log itself stays on the main thread).
// May import: runtime/, api/pipeline.ts.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Pipeline } from '../api/pipeline.js';
import type { WorkerInit } from './worker-protocol.js';
import { JobRunner } from './job-runner.js';
import { WorkerSubtask } from './worker-subtask.js';
import { WorkerLogClient } from './worker-log-client.js';

const data = workerData as { sluiceWorker: WorkerInit; ports: MessagePort[]; logPorts: MessagePort[] };
const init = data.sluiceWorker;
const ctrl = parentPort as unknown as MessagePort;
const logClients = init.logs.map((name, i) => new WorkerLogClient(data.logPorts[i] as MessagePort, name));
try {
  const mod = (await import(init.module)) as Record<string, unknown>;
  const make = mod[init.exportName];
  if (typeof make !== 'function') throw new Error(`${init.module} does not export a function "${init.exportName}" that builds the pipeline`);
  const job = (await (make as (...a: unknown[]) => Pipeline | Promise<Pipeline>)(...init.args)) as Pipeline;
  const fingerprint = job.graph.nodes.map((n) => n.uid).join('|');
  if (job.name !== init.jobName || fingerprint !== init.fingerprint) {
    throw new Error(`the job rebuilt in the worker (${job.name}: ${fingerprint}) differs from the coordinator's (${init.jobName}: ${init.fingerprint})`);
  }
  let options = job.options;
  if (logClients.length > 0) {
    const resources: Record<string, unknown> = { ...job.options.resources };
    init.logs.forEach((name, i) => (resources[name] = logClients[i]));
    options = { ...job.options, resources };
  }
  const runner = new JobRunner(job.graph, job.name, options, { parallelism: init.parallelism });
  await new WorkerSubtask(runner, init, ctrl, data.ports).run();
} catch (err) {
  const e = err as { code?: string; message?: string };
  ctrl.postMessage({ t: 'failed', code: e.code ?? 'JOB_FAILED', message: e.message ?? String(err) });
} finally {
  for (const c of logClients) c.close();
}
