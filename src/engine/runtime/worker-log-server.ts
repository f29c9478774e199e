// On the main thread: serves one worker's log proxy (worker-log-client.ts) from the Log this
// thread owns. Requests run concurrently (a wait for data does not hold up an append); each
// answer goes back on the same port, read bytes transferred rather than copied. Errors go back
// as data (code, message, retriable, details) and never escape into the main thread.
// May import: runtime/worker-protocol.ts, sources/log-access.ts (types), errors.
import type { MessagePort } from 'node:worker_threads';
import type { LogAccess } from '../sources/log-access.js';
import type { LogRequest, LogResponse } from './worker-protocol.js';
import { fromWire, toWire } from './worker-protocol.js';
import { toSluiceError } from '../../errors.js';

export interface LogServer {
  /** Ends pending waits and closes the port. */
  close(): void;
}

export function serveLog(port: MessagePort, access: LogAccess): LogServer {
  const stop = new AbortController();
  const reply = (m: LogResponse, transfer: ArrayBuffer[] = []): void => {
    if (stop.signal.aborted) return;
    try {
      port.postMessage(m, transfer);
    } catch (err) {
      // e.g. details that cannot be cloned: answer without them rather than not at all
      if (!m.ok) port.postMessage({ id: m.id, ok: false, code: m.code, message: m.message, retriable: m.retriable } satisfies LogResponse);
      else throw err;
    }
  };
  const handle = async (m: LogRequest): Promise<void> => {
    try {
      switch (m.t) {
        case 'has':
          return reply({ id: m.id, ok: true, v: await access.hasTopic(m.topic) });
        case 'count':
          return reply({ id: m.id, ok: true, v: await access.partitionCount(m.topic) });
        case 'ensure':
          return reply({ id: m.id, ok: true, v: await access.ensureTopic(m.topic, m.partitions) });
        case 'offsets':
          return reply({ id: m.id, ok: true, v: await access.offsets(m.topic, m.ps) });
        case 'read': {
          const res = await access.read(m.topic, m.p, m.offset, m.maxBytes, m.iso);
          const { bytes, transfer } = toWire(res.records);
          return reply({ id: m.id, ok: true, read: { bytes, aborted: res.abortedTransactions, offsets: res.offsets } }, transfer);
        }
        case 'wait':
          return reply({ id: m.id, ok: true, v: await access.waitForData(m.topic, m.ps, m.offsets, m.timeoutMs, m.iso, stop.signal) });
        case 'append':
          await access.append(m.topic, m.p, fromWire(m.bytes));
          return reply({ id: m.id, ok: true, v: null });
        case 'control':
          await access.appendControl(m.topic, m.p, m.marker);
          return reply({ id: m.id, ok: true, v: null });
        case 'flush':
          await access.flush(m.topic, m.ps);
          return reply({ id: m.id, ok: true, v: null });
        default:
          return reply({ id: (m as { id: number }).id, ok: false, code: 'INVALID_ARGUMENT', message: `unknown log request ${String((m as { t: unknown }).t)}`, retriable: false });
      }
    } catch (err) {
      const e = toSluiceError(err, 'INTERNAL');
      reply({ id: m.id, ok: false, code: e.code, message: e.message, retriable: e.retriable, ...(e.details ? { details: e.details } : {}) });
    }
  };
  port.on('message', (m: LogRequest) => {
    void handle(m);
  });
  return {
    close(): void {
      stop.abort();
      port.close();
    },
  };
}
