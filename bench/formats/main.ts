// Formats benchmark: encode and decode throughput (records/s) of the schema-aware formats in
// src/schema/serdes (Avro via avsc, Protobuf via protobufjs, JSON Schema via ajv), each in the
// Confluent wire format (magic byte, schema id, [message indexes], payload), on a Nexmark Bid.
// Baseline, measured interleaved in the same run: the plain JSON.stringify + Buffer.from /
// JSON.parse + toString round trip. The raw library calls without the envelope (avsc
// toBuffer/fromBuffer, protobufjs encode/decode) are measured too, so the serdes' own cost
// shows as the gap between "raw" and "serdes"; "avsc in place" shows what encoding the Avro
// envelope without a second buffer would cost.
// The formats are opened against an in-process registry (RegistryServer on 127.0.0.1:0), so
// schema ids are real; nothing is fetched inside the timed loops (ids are cached on open).
// Time is the process's CPU time (user + system, process.cpuUsage), not wall time: on the
// shared 2-core machine wall time mostly measures the neighbours (load ~15), while CPU time
// of this single-threaded synchronous loop (plus GC threads) is the work the format costs.
// Run: npm run bench -- formats [--quick] [--json]
import protobuf from 'protobufjs';
import avro from 'avsc';
import { Registry } from '../../src/schema/registry.js';
import { MemoryRegistryStore } from '../../src/schema/store/registry-store.js';
import { RegistryServer } from '../../src/schema/http/registry-server.js';
import { RegistryClient } from '../../src/schema/serdes/registry-client.js';
import { avroFormat, jsonSchemaFormat, protobufFormat, type SchemaFormat } from '../../src/schema/serdes/schema-format.js';
import { json } from '../../src/engine/formats/json.js';
import { median, parseBenchFlags, Reporter } from '../lib/runner.js';
import { BID_AVRO, BID_AVRO_V2, BID_JSON_SCHEMA, BID_PROTO, makeBids, type BidRecord } from './schemas.js';

const flags = parseBenchFlags();
const rep = new Reporter('formats', flags);
rep.header();

const N = flags.quick ? 20_000 : 100_000;
const RUNS = flags.quick ? 3 : 7;

/** CPU time of this process (all threads: the loop and the GC helpers), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

let scratch = Buffer.allocUnsafe(64 * 1024);
/** Magic byte and id, then the Avro payload encoded straight after them; one exact-size copy out. */
function avroInPlace(type: avro.Type, id: number, value: unknown): Buffer {
  for (;;) {
    scratch[0] = 0;
    scratch.writeInt32BE(id, 1);
    const end = type.encode(value, scratch, 5);
    if (end >= 0) return Buffer.from(scratch.subarray(0, end));
    scratch = Buffer.allocUnsafe(scratch.length * 2);
  }
}

interface Case {
  name: string;
  encode: (v: BidRecord) => Uint8Array;
  decode: (b: Buffer) => unknown;
}

const registry = await Registry.open(new MemoryRegistryStore());
const server = new RegistryServer(registry, { port: 0 });
const { url } = await server.listen();
let sink = 0; // consumed after the loops so nothing is optimised away

try {
  const client = new RegistryClient({ url });
  const avroF = avroFormat<BidRecord>({ registry: client, subject: 'bids-avro-value', schema: BID_AVRO });
  const protoF = protobufFormat<BidRecord>({ registry: client, subject: 'bids-proto-value', schema: BID_PROTO });
  const jsonF = jsonSchemaFormat<BidRecord>({ registry: client, subject: 'bids-json-value', schema: BID_JSON_SCHEMA });
  // A reader on v2 of the Avro subject decoding v1 data: the schema-evolution path (resolver).
  const avroV2F = avroFormat<BidRecord>({ registry: client, subject: 'bids-avro-v2-value', schema: BID_AVRO });
  for (const f of [avroF, protoF, jsonF, avroV2F]) await f.open();
  const avroV2Reader = avroFormat<BidRecord>({ registry: client, subject: 'bids-avro-v2-value', schema: BID_AVRO_V2 });
  await avroV2Reader.open();

  const bids = makeBids(N);
  // Warm the v2 reader's cache for the v1 writer id (what a source does once per new id).
  await avroV2Reader.decodeAsync(avroV2F.encode(bids[0] as BidRecord));

  const avscType = avro.Type.forSchema(JSON.parse(BID_AVRO) as avro.Schema);
  const protoType = protobuf.parse(BID_PROTO, { keepCase: true }).root.lookupType('nexmark.Bid');
  const engineJson = json<BidRecord>();
  const fmt = (f: SchemaFormat<BidRecord>): Pick<Case, 'encode' | 'decode'> => ({ encode: (v) => f.encode(v), decode: (b) => f.decode(b) });

  const baseline: Case = {
    name: 'JSON.stringify/parse (baseline)',
    encode: (v) => Buffer.from(JSON.stringify(v), 'utf8'),
    decode: (b) => JSON.parse(b.toString('utf8')) as unknown,
  };
  const cases: Case[] = [
    baseline,
    { name: 'json (engine format, no envelope)', encode: (v) => engineJson.encode(v), decode: (b) => engineJson.decode(b) },
    { name: 'avro serdes (Confluent envelope)', ...fmt(avroF) },
    { name: 'avro raw avsc (no envelope)', encode: (v) => avscType.toBuffer(v), decode: (b) => avscType.fromBuffer(b) as unknown },
    // What the envelope could cost: header written first, avsc encoding in place after it.
    { name: 'avro avsc in place (envelope, no copy)', encode: (v) => avroInPlace(avscType, avroF.schemaId as number, v), decode: (b) => avscType.decode(b, 5).value as unknown },
    { name: 'protobuf serdes (Confluent envelope)', ...fmt(protoF) },
    {
      name: 'protobuf raw protobufjs (no envelope)',
      encode: (v) => protoType.encode(protoType.fromObject(v as unknown as Record<string, unknown>)).finish(),
      decode: (b) => protoType.toObject(protoType.decode(b), { longs: Number, enums: String, defaults: true }),
    },
    { name: 'json-schema serdes (Confluent envelope)', ...fmt(jsonF) },
  ];

  // Each case decodes what it encoded; check every case round-trips before timing anything.
  const encoded = new Map<Case, Buffer[]>();
  for (const c of cases) {
    const bufs = bids.map((v) => {
      const u = c.encode(v);
      return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    });
    encoded.set(c, bufs);
    const back = c.decode(bufs[7] as Buffer) as BidRecord;
    const want = bids[7] as BidRecord;
    for (const k of Object.keys(want) as (keyof BidRecord)[])
      if (back[k] !== want[k]) throw new Error(`${c.name} does not round-trip field ${k}: ${String(back[k])} != ${String(want[k])}`);
  }
  const resolvedCase: Case = { name: 'avro serdes decode v1 data as v2 (resolver)', encode: (v) => avroV2F.encode(v), decode: (b) => avroV2Reader.decode(b) };
  encoded.set(resolvedCase, bids.map((v) => avroV2F.encode(v)));
  const v2 = resolvedCase.decode((encoded.get(resolvedCase) as Buffer[])[0] as Buffer) as BidRecord & { currency: string };
  if (v2.currency !== 'USD' || v2.auction !== bids[0]?.auction) throw new Error('v1 -> v2 resolution failed');

  const encMs = new Map<Case, number[]>();
  const decMs = new Map<Case, number[]>();
  const timeEncode = (c: Case): number => {
    const t0 = cpuMs();
    let bytes = 0;
    for (let i = 0; i < bids.length; i++) bytes += c.encode(bids[i] as BidRecord).length;
    const dt = cpuMs() - t0;
    sink += bytes;
    return dt;
  };
  const timeDecode = (c: Case): number => {
    const bufs = encoded.get(c) as Buffer[];
    const t0 = cpuMs();
    let n = 0;
    for (let i = 0; i < bufs.length; i++) if (c.decode(bufs[i] as Buffer) !== undefined) n++;
    const dt = cpuMs() - t0;
    sink += n;
    return dt;
  };
  // One unmeasured warm-up round, then RUNS rounds with every case interleaved, so a noisy
  // neighbour on the shared machine hits all cases alike.
  for (let r = 0; r <= RUNS; r++) {
    for (const c of cases) {
      const e = timeEncode(c);
      const d = timeDecode(c);
      if (r === 0) continue;
      (encMs.get(c) ?? encMs.set(c, []).get(c)!).push(e);
      (decMs.get(c) ?? decMs.set(c, []).get(c)!).push(d);
    }
    const d = timeDecode(resolvedCase);
    if (r > 0) (decMs.get(resolvedCase) ?? decMs.set(resolvedCase, []).get(resolvedCase)!).push(d);
  }

  const rate = (ms: number[]): number => N / (median(ms) / 1000);
  const baseEnc = rate(encMs.get(baseline) as number[]);
  const baseDec = rate(decMs.get(baseline) as number[]);
  const size = (c: Case): number => (encoded.get(c) as Buffer[]).reduce((s, b) => s + b.length, 0) / N;
  for (const c of cases) {
    if (c === baseline) {
      rep.report(c.name, 'encode', baseEnc, 'records/s');
      rep.report(c.name, 'decode', baseDec, 'records/s');
      rep.report(c.name, 'size', size(c), 'bytes/record');
      continue;
    }
    rep.report(c.name, 'encode', rate(encMs.get(c) as number[]), 'records/s', baseEnc);
    rep.report(c.name, 'decode', rate(decMs.get(c) as number[]), 'records/s', baseDec);
    rep.report(c.name, 'size', size(c), 'bytes/record', size(baseline));
  }
  rep.report(resolvedCase.name, 'decode', rate(decMs.get(resolvedCase) as number[]), 'records/s', baseDec);
} finally {
  await server.close();
  await registry.close();
}
if (!flags.json) console.log(`# ${N} records per run, median of ${RUNS} runs, records per second of process CPU time (checksum ${sink % 1000})`);
