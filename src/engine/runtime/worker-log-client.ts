// Inside a worker thread: the Log of the main thread, as the topic source and sink use it
// (LogAccess). An in-process Log cannot be shared between threads, so every call is one
// request on a MessagePort to the main thread's serveLog and one response: a read brings a
// whole range of RecordBatch bytes (transferred, not copied), an append carries one encoded
// batch. Nothing here is per record. Every request has a timeout, and a closed port fails what
// is still pending, so a stuck main thread cannot hang a worker forever.
// May import: runtime/worker-protocol.ts, sources/log-access.ts (types), errors.
import type { MessagePort } from 'node:worker_threads';
import type { Isolation, LogAccess, LogRead, PartitionOffsets, TransactionMarker } from '../sources/log-access.js';
import type { LogRequest, LogResponse } from './worker-protocol.js';
import { fromWire, toWire } from './worker-protocol.js';
import { ERROR_CODES, SluiceError, type ErrorCode } from '../../errors.js';

/** Longest a request waits for the main thread (a wait for data adds its own timeout). */
const REQUEST_TIMEOUT_MS = 60_000;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface PendingCall {
  resolve: (m: LogResponse & { ok: true }) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

export class WorkerLogClient implements LogAccess {
  readonly logAccess = true as const;
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private closed = false;

  constructor(
    private readonly port: MessagePort,
    private readonly name = 'log',
  ) {
    port.on('message', (m: LogResponse) => this.onResponse(m));
    port.on('close', () => this.failAll(new SluiceError('LOG_CLOSED', `the main thread closed the ${this.name} proxy`)));
  }

  private onResponse(m: LogResponse): void {
    const call = this.pending.get(m.id);
    if (!call) return; // timed out meanwhile
    this.pending.delete(m.id);
    clearTimeout(call.timer);
    if (m.ok) call.resolve(m);
    else {
      const code = (m.code in ERROR_CODES ? m.code : 'INTERNAL') as ErrorCode;
      call.reject(new SluiceError(code, m.message, { retriable: m.retriable, ...(m.details ? { details: m.details } : {}) }));
    }
  }

  private failAll(err: SluiceError): void {
    this.closed = true;
    for (const [, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(err);
    }
    this.pending.clear();
  }

  private call(req: DistributiveOmit<LogRequest, 'id'>, transfer: ArrayBuffer[] = [], extraMs = 0): Promise<LogResponse & { ok: true }> {
    if (this.closed) return Promise.reject(new SluiceError('LOG_CLOSED', `the ${this.name} proxy is closed`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SluiceError('TIMEOUT', `${this.name} proxy: no answer to ${req.t} on ${req.topic} within ${REQUEST_TIMEOUT_MS + extraMs} ms`));
      }, REQUEST_TIMEOUT_MS + extraMs);
      this.pending.set(id, { resolve, reject, timer });
      this.port.postMessage({ ...req, id } as LogRequest, transfer);
    });
  }

  private async value<T>(req: DistributiveOmit<LogRequest, 'id'>, transfer?: ArrayBuffer[], extraMs?: number): Promise<T> {
    const res = await this.call(req, transfer, extraMs);
    return (res as { v: unknown }).v as T;
  }

  hasTopic(topic: string): Promise<boolean> {
    return this.value<boolean>({ t: 'has', topic });
  }

  partitionCount(topic: string): Promise<number> {
    return this.value<number>({ t: 'count', topic });
  }

  ensureTopic(topic: string, partitions: number): Promise<number> {
    return this.value<number>({ t: 'ensure', topic, partitions });
  }

  offsets(topic: string, partitions: readonly number[]): Promise<PartitionOffsets[]> {
    return this.value<PartitionOffsets[]>({ t: 'offsets', topic, ps: partitions });
  }

  async read(topic: string, partition: number, offset: number, maxBytes: number, isolation: Isolation): Promise<LogRead> {
    const res = await this.call({ t: 'read', topic, p: partition, offset, maxBytes, iso: isolation });
    if (!('read' in res)) throw new SluiceError('INTERNAL', `${this.name} proxy: a read answered without records`);
    return { records: fromWire(res.read.bytes), abortedTransactions: res.read.aborted, offsets: res.read.offsets };
  }

  /** The signal is not forwarded: the wait on the main thread ends by itself after timeoutMs. */
  waitForData(topic: string, partitions: readonly number[], offsets: readonly number[], timeoutMs: number, isolation: Isolation): Promise<PartitionOffsets[]> {
    return this.value<PartitionOffsets[]>({ t: 'wait', topic, ps: partitions, offsets, timeoutMs, iso: isolation }, [], timeoutMs);
  }

  async append(topic: string, partition: number, batch: Buffer): Promise<void> {
    const { bytes, transfer } = toWire(batch);
    await this.call({ t: 'append', topic, p: partition, bytes }, transfer);
  }

  async appendControl(topic: string, partition: number, marker: TransactionMarker): Promise<void> {
    await this.call({ t: 'control', topic, p: partition, marker });
  }

  async flush(topic: string, partitions: readonly number[]): Promise<void> {
    await this.call({ t: 'flush', topic, ps: partitions });
  }

  close(): void {
    this.failAll(new SluiceError('LOG_CLOSED', `the ${this.name} proxy is closed`));
    this.port.close();
  }
}
