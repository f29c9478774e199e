// `npm run bench -- broker [--quick] [--json]`: Kafka-protocol throughput and latency of the
// Sluice broker, run as a child process (`sluice broker` on a fresh temp data dir), against
// NATS JetStream and Redis Streams measured in the same run. See README.md for the cases.
// May import: bench/lib, ./*, node built-ins.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBenchFlags, median, Reporter } from '../lib/runner.js';
import { BrokerProcess } from './broker-process.js';
import type { Acks, Driver } from './driver.js';
import { KafkajsDriver } from './kafkajs-driver.js';
import { kcatConsumerLatency } from './kcat-latency.js';
import { librdkafkaLatency } from './librdkafka-latency.js';
import type { LatencyRecorder } from './latency.js';
import { kcatConsume, kcatProduce, writeLinesFile } from './kcat-driver.js';
import { NatsDriver } from './nats-driver.js';
import { RedisDriver } from './redis-driver.js';

const flags = parseBenchFlags();
const rep = new Reporter('broker', flags);

interface Config {
  runs: number;
  /** Records per kcat run, by record size. */
  kcat: Record<number, number>;
  /** Records per Node-client run (kafkajs, JetStream, Redis), by record size. */
  node: Record<number, number>;
  latencyMs: number;
  warmupMs: number;
  latencyRuns: number;
}

const CONFIG: Config = flags.quick
  ? { runs: 1, kcat: { 100: 200_000, 1024: 50_000 }, node: { 100: 20_000, 1024: 10_000 }, latencyMs: 2000, warmupMs: 500, latencyRuns: 1 }
  : { runs: 3, kcat: { 100: 1_000_000, 1024: 200_000 }, node: { 100: 100_000, 1024: 50_000 }, latencyMs: 10_000, warmupMs: 1000, latencyRuns: 3 };
const SIZES = [100, 1024];
const ACKS: Acks[] = [1, -1];
const RATE = 10_000;

const sizeLabel = (size: number): string => (size === 1024 ? '1KiB' : `${size}B`);
const acksLabel = (acks: Acks): string => (acks === 1 ? 'acks=1' : 'acks=all');
const say = (msg: string): void => {
  if (!flags.json) console.error(`  .. ${msg}`);
};

const samples = new Map<string, number[]>();
function add(key: string, value: number): void {
  if (!Number.isFinite(value)) return;
  let a = samples.get(key);
  if (!a) samples.set(key, (a = []));
  a.push(value);
}
function med(key: string): number | undefined {
  const a = samples.get(key);
  return a && a.length > 0 ? median(a) : undefined;
}

const failures: string[] = [];
async function attempt(what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const msg = `${what} failed: ${err instanceof Error ? err.message : String(err)}`;
    failures.push(msg);
    console.error(`  !! ${msg}`);
  }
}

rep.header();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-kcat-'));
const broker = await BrokerProcess.start();
const drivers: Driver[] = [];
try {
  const kafkajs = await KafkajsDriver.connect(broker.address);
  drivers.push(kafkajs);
  const peers: Driver[] = [];
  await attempt('connecting to NATS JetStream on 127.0.0.1:4222', async () => {
    peers.push(await NatsDriver.connect({ acked: true }));
    peers.push(await NatsDriver.connect({ acked: false }));
  });
  await attempt('connecting to Redis on 127.0.0.1:6379', async () => void peers.push(await RedisDriver.connect()));
  drivers.push(...peers);
  const stamp = `${process.pid}-${Date.now().toString(36)}`;

  // Throughput. Runs interleave the systems so background load on the machine hits each alike.
  for (const size of SIZES) {
    const file = path.join(tmp, `lines-${size}`);
    const nKcat = CONFIG.kcat[size]!;
    const nNode = CONFIG.node[size]!;
    writeLinesFile(file, size, nKcat);
    for (let run = 0; run < CONFIG.runs; run++) {
      for (const acks of ACKS) {
        const topic = `bench-kcat-${size}-${acks === 1 ? 1 : 'all'}-${run}-${stamp}`;
        await attempt(`kcat ${sizeLabel(size)} ${acksLabel(acks)}`, async () => {
          say(`kcat ${sizeLabel(size)} ${acksLabel(acks)} run ${run + 1}: produce ${nKcat}`);
          const cpu0 = broker.cpuSeconds();
          const s = await kcatProduce(broker.address, topic, file, acks);
          const cpu = broker.cpuSeconds() - cpu0;
          add(`kcat|produce|${size}|${acks}`, nKcat / s);
          if (cpu > 0) add(`kcat|produce-cpu|${size}|${acks}`, nKcat / cpu);
          const cpu1 = broker.cpuSeconds();
          const c = await kcatConsume(broker.address, topic, nKcat);
          const ccpu = broker.cpuSeconds() - cpu1;
          add(`kcat|consume|${size}|${acks}`, nKcat / c);
          if (ccpu > 0) add(`kcat|consume-cpu|${size}|${acks}`, nKcat / ccpu);
        });
        await kafkajs.remove(topic);
      }
      for (const acks of ACKS) {
        const topic = `bench-kafkajs-${size}-${acks === 1 ? 1 : 'all'}-${run}-${stamp}`;
        await attempt(`kafkajs ${sizeLabel(size)} ${acksLabel(acks)}`, async () => {
          say(`kafkajs ${sizeLabel(size)} ${acksLabel(acks)} run ${run + 1}: produce ${nNode}`);
          add(`kafkajs|produce|${size}|${acks}`, nNode / (await kafkajs.produce(topic, size, nNode, acks)));
          add(`kafkajs|consume|${size}|${acks}`, nNode / (await kafkajs.consume(topic, nNode)));
        });
        await kafkajs.remove(topic);
      }
      for (const peer of peers) {
        const stream = `sluice_bench_${size}_${run}_${stamp.replace(/-/g, '_')}`;
        await attempt(`${peer.name} ${sizeLabel(size)}`, async () => {
          say(`${peer.name} ${sizeLabel(size)} run ${run + 1}: produce ${nNode}`);
          add(`${peer.name}|produce|${size}`, nNode / (await peer.produce(stream, size, nNode, 1)));
          add(`${peer.name}|consume|${size}`, nNode / (await peer.consume(stream, nNode)));
        });
        await peer.remove(stream);
      }
    }
    fs.rmSync(file, { force: true });
  }

  // Latency at a fixed offered rate, 100-byte values carrying their hand-off time.
  /** A latency case on a one-partition Sluice topic that the kafkajs admin creates and removes. */
  const onSluiceTopic = (measure: (stream: string, rate: number, durationMs: number, warmupMs: number, acks: Acks) => Promise<LatencyRecorder>): Pick<Driver, 'latency' | 'remove'> => ({
    async latency(stream, rate, durationMs, warmupMs, acks) {
      await kafkajs.create(stream);
      return measure(stream, rate, durationMs, warmupMs, acks);
    },
    remove: (stream) => kafkajs.remove(stream),
  });
  // kafkajs -> kcat: the same producer, a librdkafka consumer (kcat-latency.ts), so one Node
  // client's event loop, not two, sits in the path.
  const kcatConsumer = onSluiceTopic(async (stream, rate, durationMs, warmupMs, acks) => {
    const producer = await kafkajs.producer();
    try {
      return await kcatConsumerLatency(producer, broker.address, stream, rate, durationMs, warmupMs, acks);
    } finally {
      await producer.disconnect();
    }
  });
  // librdkafka from C for both clients (e2e-latency.c): the broker's own path, no Node client in it.
  const librdkafka = onSluiceTopic((stream, rate, durationMs, warmupMs, acks) => librdkafkaLatency(broker.address, stream, rate, durationMs, warmupMs, acks));
  const latencyCases: { key: string; driver: Pick<Driver, 'latency' | 'remove'>; acks: Acks; sluice: boolean }[] = [
    { key: 'librdkafka|acks=1', driver: librdkafka, acks: 1, sluice: true },
    { key: 'librdkafka|acks=all', driver: librdkafka, acks: -1, sluice: true },
    { key: 'kafkajs|acks=1', driver: kafkajs, acks: 1, sluice: true },
    { key: 'kafkajs|acks=all', driver: kafkajs, acks: -1, sluice: true },
    { key: 'kafkajs>kcat|acks=1', driver: kcatConsumer, acks: 1, sluice: true },
    ...peers.map((p) => ({ key: p.name, driver: p, acks: 1 as Acks, sluice: false })),
  ];
  for (let run = 0; run < CONFIG.latencyRuns; run++) {
    for (const lc of latencyCases) {
      const stream = `bench_latency_${lc.key.replace(/[^a-z0-9]/gi, '_')}_${run}_${stamp.replace(/-/g, '_')}`;
      await attempt(`latency ${lc.key}`, async () => {
        say(`latency ${lc.key} run ${run + 1}: ${RATE} records/s for ${CONFIG.latencyMs} ms`);
        const rec = await lc.driver.latency(stream, RATE, CONFIG.latencyMs + CONFIG.warmupMs, CONFIG.warmupMs, lc.acks);
        const [p50, p99, p999] = rec.percentiles([0.5, 0.99, 0.999]);
        add(`latency|${lc.key}|p50`, p50!);
        add(`latency|${lc.key}|p99`, p99!);
        add(`latency|${lc.key}|p99.9`, p999!);
      });
      await lc.driver.remove(stream);
    }
  }

  // Figures: medians over the runs; Sluice compared with each peer at the same record size.
  const peerNames = peers.map((p) => p.name);
  for (const size of SIZES) {
    for (const op of ['produce', 'consume'] as const) {
      for (const peer of peerNames) {
        const v = med(`${peer}|${op}|${size}`);
        if (v !== undefined) {
          rep.report(`${peer} ${op} ${sizeLabel(size)}`, 'records/s', v, 'records/s');
          rep.report(`${peer} ${op} ${sizeLabel(size)}`, 'MB/s', (v * size) / 1e6, 'MB/s');
        }
      }
      for (const client of ['kcat', 'kafkajs']) {
        for (const acks of ACKS) {
          const name = `${client} ${op} ${sizeLabel(size)} ${acksLabel(acks)}`;
          const v = med(`${client}|${op}|${size}|${acks}`);
          if (v === undefined) continue;
          rep.report(name, 'records/s', v, 'records/s');
          rep.report(name, 'MB/s', (v * size) / 1e6, 'MB/s');
          const perCpu = med(`${client}|${op}-cpu|${size}|${acks}`);
          if (perCpu !== undefined) rep.report(name, 'records/cpu-s', perCpu, 'records per broker CPU-second');
          for (const peer of peerNames) {
            const b = med(`${peer}|${op}|${size}`);
            if (b !== undefined) rep.report(`${name} vs ${peer}`, 'records/s', v, 'records/s', b);
          }
        }
      }
    }
  }
  for (const lc of latencyCases) {
    for (const q of ['p50', 'p99', 'p99.9']) {
      const v = med(`latency|${lc.key}|${q}`);
      if (v === undefined) continue;
      const name = `latency ${lc.key.replace('|', ' ')} @${RATE}/s`;
      rep.report(name, q, v, 'ms');
      if (lc.sluice) {
        for (const peer of peerNames) {
          const b = med(`latency|${peer}|${q}`);
          if (b !== undefined) rep.report(`${name} vs ${peer}`, q, v, 'ms', b);
        }
      }
    }
  }

  if (!flags.json) {
    const check = (what: string, value: number | undefined, ok: (v: number) => boolean, unit: string): void =>
      console.log(`target ${what}: ${value === undefined ? 'not measured' : `${Math.round(value * 100) / 100} ${unit} -> ${ok(value) ? 'MET' : 'NOT MET'}`}`);
    check('kcat produce 100B acks=1 >= 500,000 records/s', med('kcat|produce|100|1'), (v) => v >= 500_000, 'records/s');
    const mb = med('kcat|produce|1024|-1');
    check('kcat produce 1KiB acks=all >= 100 MB/s', mb === undefined ? undefined : (mb * 1024) / 1e6, (v) => v >= 100, 'MB/s');
    check('p99 produce-to-consume at 10,000/s <= 5 ms (kafkajs acks=1)', med('latency|kafkajs|acks=1|p99'), (v) => v <= 5, 'ms');
    check('p99 produce-to-consume at 10,000/s <= 5 ms (kafkajs -> kcat, acks=1)', med('latency|kafkajs>kcat|acks=1|p99'), (v) => v <= 5, 'ms');
    check('p99 produce-to-consume at 10,000/s <= 5 ms (librdkafka from C, acks=1)', med('latency|librdkafka|acks=1|p99'), (v) => v <= 5, 'ms');
    // "Ahead of both peers": Sluice against the acknowledged peers (nats-jetstream, redis-streams).
    const acked = peerNames.filter((p) => !p.endsWith('-noack'));
    for (const client of ['kcat', 'kafkajs']) {
      for (const size of SIZES) {
        for (const op of ['produce', 'consume']) {
          const ours = med(`${client}|${op}|${size}|1`);
          const best = Math.max(...acked.map((p) => med(`${p}|${op}|${size}`) ?? 0));
          check(`${client} ${op} ${sizeLabel(size)} acks=1 ahead of ${acked.join(' and ')}`, ours === undefined || best === 0 ? undefined : ours / best, (v) => v > 1, 'x the faster peer');
        }
      }
    }
  }
} finally {
  for (const d of drivers) await d.close().catch(() => undefined);
  await broker.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`${failures.length} case(s) failed:\n  ${failures.join('\n  ')}`);
  process.exitCode = 1;
}
