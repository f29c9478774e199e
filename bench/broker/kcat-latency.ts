// Produce-to-consume latency with a librdkafka consumer: the paced records go out through a
// kafkajs producer in this process and come back through `kcat -C -u`, which prints each value
// as it is consumed. When kafkajs both produces and consumes 10,000 records/s, this process
// spends about half a core on it and its own GC pauses and timer delays make most of the tail;
// with a C consumer the figure is closer to the broker's path. (`kcat -P` cannot be the
// producer: it reads its stdin in blocks, so a line waits until more input or EOF arrives.)
// Each value starts with this process's performance.now() at hand-off, as text padded to
// 100 bytes; this process stamps and reads back, so one clock is used.
// May import: node built-ins, kafkajs (types), ./latency.ts, ./kcat-driver.ts.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { KCAT } from './kcat-driver.js';
import { LATENCY_VALUE_BYTES, LatencyRecorder, pace, waitUntil } from './latency.js';
import type { Acks } from './driver.js';
import type { Message, Producer } from 'kafkajs';

function start(args: string[], onLine: (line: string) => void): { child: ChildProcessByStdio<null, Readable, Readable>; stderr: () => string } {
  const child = spawn(KCAT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    if (err.length < 8192) err += d.toString();
  });
  let rest = '';
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (d: string) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) onLine(l);
  });
  return { child, stderr: () => err };
}

/** A value of LATENCY_VALUE_BYTES printable bytes starting with the stamp (kcat prints values as lines). */
function stampedText(stampMs: number): Buffer {
  const s = stampMs.toFixed(4);
  return Buffer.from(s + ' '.repeat(LATENCY_VALUE_BYTES - s.length), 'latin1');
}

/** Latency at `rate` records/s over an existing one-partition `topic`; the first `warmupMs` not recorded. */
export async function kcatConsumerLatency(producer: Producer, address: string, topic: string, rate: number, durationMs: number, warmupMs: number, acks: Acks): Promise<LatencyRecorder> {
  const recorder = new LatencyRecorder(Math.ceil((rate * durationMs) / 1000) + 1000);
  let probed = false;
  // -u: unbuffered output, so each value is printed as it is consumed.
  const consumer = start(['-C', '-b', address, '-t', topic, '-p', '0', '-o', 'end', '-u', '-q', '-f', '%s\n'], (line) => {
    if (line.startsWith('probe')) probed = true;
    else recorder.record(Number.parseFloat(line), performance.now());
  });
  let errors = 0;
  const send = (messages: Message[]): void => {
    producer.send({ topic, acks, messages }).catch(() => errors++);
  };
  try {
    // Probes until one comes back: then both clients are connected and the consumer is fetching.
    const probes = setInterval(() => send([{ value: 'probe' }]), 50);
    try {
      await waitUntil(() => probed, 30_000, `a probe record to come back through kcat: ${consumer.stderr()}`);
    } finally {
      clearInterval(probes);
    }
    recorder.begin(performance.now() + warmupMs);
    const offered = await pace(rate, durationMs, (n, stamp) => {
      const value = stampedText(stamp);
      send(Array.from({ length: n }, () => ({ value })));
    });
    await waitUntil(() => recorder.received >= offered, 30_000, `kcat to read back ${offered} records (got ${recorder.received}): ${consumer.stderr()}`);
    if (errors > 0) throw new Error(`${errors} kafkajs sends failed during the latency run`);
    if (recorder.bad > 0) throw new Error(`${recorder.bad} values read back by kcat carried no stamp`);
    return recorder;
  } finally {
    consumer.child.kill('SIGTERM');
  }
}
