// The stand-in for a node instance that lives in another worker: every call becomes one
// message on the port to that worker (a whole batch per message, never one per record).
// Batches travel as columns (batch-codec.ts) with their buffers transferred, not cloned.
// Counts batches not yet acknowledged so the sending worker can pause its sources.
// May import: runtime/channels.ts, runtime/worker-protocol.ts, runtime/batch-codec.ts.
import type { MessagePort } from 'node:worker_threads';
import type { Barrier, InputReceiver } from './channels.js';
import type { PeerMessage } from './worker-protocol.js';
import { encodeBatch, encodeTimestamps } from './batch-codec.js';

export class PeerLink {
  outstanding = 0;
  constructor(readonly port: MessagePort) {}
  send(m: PeerMessage, transfer?: ArrayBuffer[]): void {
    if (m.t === 'b') this.outstanding++;
    this.port.postMessage(m, transfer);
  }
}

export class RemoteReceiver implements InputReceiver {
  constructor(
    private readonly link: PeerLink,
    private readonly node: number,
  ) {}
  /** Encodes the batch at once, so a lent batch needs no copy. */
  receive(values: unknown[], timestamps: number[], input: number, channel: number): void {
    const transfer: ArrayBuffer[] = [];
    const v = encodeBatch(values, transfer);
    this.link.send({ t: 'b', n: this.node, i: input, c: channel, v, ts: encodeTimestamps(timestamps, transfer) }, transfer);
  }
  receiveWatermark(channel: number, watermark: number): void {
    this.link.send({ t: 'w', n: this.node, c: channel, w: watermark });
  }
  receiveIdle(channel: number, idle: boolean): void {
    this.link.send({ t: 'i', n: this.node, c: channel, x: idle });
  }
  receiveBarrier(channel: number, barrier: Barrier): void {
    this.link.send({ t: 'B', n: this.node, c: channel, id: barrier.id, sp: barrier.savepoint });
  }
  receiveEnd(channel: number): void {
    this.link.send({ t: 'E', n: this.node, c: channel });
  }
}
