// One copy of the p1 q5 job in a worker thread (see scaling-bound.ts): says it is loaded,
// runs the job when told to and reports how long it took and how many results it had.
// Imports this folder.
import { parentPort, workerData } from 'node:worker_threads';
import { buildQ5Job, q5Outputs } from './worker-job.js';

const port = parentPort;
if (port === null) throw new Error('scaling-bound-worker.ts runs in a worker thread');
const { events } = workerData as { events: number };
port.once('message', () => {
  const t0 = performance.now();
  const job = buildQ5Job(1, events);
  // A failure rejects unhandled, which ends the thread with an 'error' the main thread awaits.
  void job
    .start({})
    .done.then(() => port.postMessage({ ms: performance.now() - t0, outputs: q5Outputs(job).length }));
});
port.postMessage('ready');
