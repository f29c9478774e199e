// `sluice consume <topic>`: prints records of a topic. Reads whole batches straight from
// the log and decodes them with the codec (control batches skipped), writing output in
// chunks with backpressure so `sluice consume big | head` stays fast and bounded.
// --follow waits for new data with the partition's waitForData (no polling) until SIGINT.
// --isolation read_committed stops at the last stable offset and skips aborted transactions
// (tracked from the read's aborted-transaction list and the abort markers, as Kafka's
// consumer does). With --bootstrap-server it reads through a running broker with kafkajs
// instead (the only way while a broker owns the data directory), optionally in a --group
// whose offsets it commits. Schema formats (avro, protobuf, json-schema) decode each value
// with its writer's schema from the registry and print it as JSON (schema-codec.ts).
// May import: ./args.ts, ./verb.ts, ./kafka-remote.ts, ./schema-codec.ts, ../log/*,
// ../codec/*, ../errors.ts.
import { parseArgs } from 'node:util';
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { SluiceError, toSluiceError } from '../errors.js';
import { decodeBatch, BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, readBatchHeader } from '../codec/record-batch.js';
import type { Record } from '../codec/record-batch.js';
import { decodeControlRecord } from '../codec/control-record.js';
import { validateTopicName } from '../log/topic-config.js';
import type { Partition } from '../log/partition.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, dataDirFrom, enumArg, intArg, positionals, timestampArg, withLog } from './args.js';
import { AssignerProtocol, createKafka, describeRemoteTopic, parseBootstrap, remoteError } from './kafka-remote.js';
import { DEFAULT_REGISTRY_URL, SCHEMA_FORMATS, SchemaValueDecoder, isSchemaFormat, toJsonText } from './schema-codec.js';
import type { Verb } from './verb.js';

const HELP = `Usage: sluice consume <topic> [options]

Prints the records of <topic>, oldest first, partition by partition.

Where to start (default: the beginning; with --group: its committed offsets, else the beginning):
  --from-beginning       from each partition's first offset
  --offset N             from offset N (with --partition, or the same N on every partition)
  --from-time T          from the first record with timestamp >= T (ms since epoch or ISO-8601)

Options:
  --partition N          only partition N
  --follow               keep waiting for new records (Ctrl-C to stop)
  --max N                stop after N records
  --format F             text (value only, default), kv (key<TAB>value), json (one object per line),
                         avro, protobuf, json-schema (the value decoded with its writer's
                         schema from the registry, printed as JSON)
  --registry-url URL     schema registry for the schema formats (default ${DEFAULT_REGISTRY_URL})
  --isolation I          read_uncommitted (default) or read_committed (only committed
                         transactional records; stops at the last stable offset)
  --bootstrap-server H:P read through a running broker (needed while one owns the data dir)
  --group G              (with --bootstrap-server) consume as consumer group G and commit
                         the offsets printed
${DATA_DIR_HELP}

Examples:
  sluice consume clicks --max 10
  sluice consume users --format json --from-time 2024-01-01T00:00:00Z
  sluice consume clicks --partition 0 --offset 100 --follow
  sluice consume orders --bootstrap-server 127.0.0.1:9092 --group audit --isolation read_committed
  sluice consume users --format avro --registry-url http://127.0.0.1:8081`;

const OPTIONS = {
  ...DATA_DIR_OPTION,
  'from-beginning': { type: 'boolean' },
  offset: { type: 'string' },
  'from-time': { type: 'string' },
  partition: { type: 'string' },
  follow: { type: 'boolean' },
  max: { type: 'string' },
  format: { type: 'string' },
  'registry-url': { type: 'string' },
  isolation: { type: 'string' },
  'bootstrap-server': { type: 'string' },
  group: { type: 'string' },
} as const;

type Format = 'text' | 'kv' | 'json';
const FORMATS = ['text', 'kv', 'json', ...SCHEMA_FORMATS] as const;
type Isolation = 'read_uncommitted' | 'read_committed';
const ISOLATIONS: readonly Isolation[] = ['read_uncommitted', 'read_committed'];
const READ_BYTES = 1024 * 1024;

function bytesJson(b: Buffer | null): string | null | { base64: string } {
  if (b === null) return null;
  return isUtf8(b) ? b.toString('utf8') : { base64: b.toString('base64') };
}

export function formatRecord(format: Format, topic: string, partition: number, r: Record): string {
  switch (format) {
    case 'text':
      return `${r.value === null ? '' : r.value.toString('utf8')}\n`;
    case 'kv':
      return `${r.key === null ? '' : r.key.toString('utf8')}\t${r.value === null ? '' : r.value.toString('utf8')}\n`;
    default:
      return `${JSON.stringify({
        topic,
        partition,
        offset: r.offset,
        timestamp: r.timestamp,
        key: bytesJson(r.key),
        value: bytesJson(r.value),
        headers: r.headers.map((h) => ({ key: h.key, value: bytesJson(h.value) })),
      })}\n`;
  }
}

/** Turns records into output lines; schema formats decode (asynchronously: registry lookups). */
class Renderer {
  failures = 0;
  private readonly decoder: SchemaValueDecoder | undefined;
  constructor(
    private readonly format: (typeof FORMATS)[number],
    private readonly topic: string,
    registryUrl: string,
  ) {
    this.decoder = isSchemaFormat(format) ? new SchemaValueDecoder(format, registryUrl) : undefined;
  }
  async render(partition: number, r: Record): Promise<string> {
    if (!this.decoder) return formatRecord(this.format as Format, this.topic, partition, r);
    if (r.value === null) return 'null\n';
    try {
      return `${toJsonText(await this.decoder.decode(r.value))}\n`;
    } catch (err) {
      // One bad record is reported and skipped; the rest still print (exit code 1 at the end).
      const e = toSluiceError(err, 'DESERIALIZATION_FAILED');
      this.failures++;
      process.stderr.write(`error [${e.code}] ${this.topic}-${partition} offset ${r.offset}: ${e.message}\n`);
      return '';
    }
  }
}

let stdoutBroken = false;
let watchingStdout = false;

class Output {
  constructor() {
    // `consume | head` closes the pipe early: stop quietly instead of crashing.
    if (!watchingStdout) {
      watchingStdout = true;
      process.stdout.on('error', () => {
        stdoutBroken = true;
      });
    }
  }
  get closed(): boolean {
    return stdoutBroken;
  }
  async write(s: string): Promise<void> {
    if (stdoutBroken || s.length === 0) return;
    if (!process.stdout.write(s)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          process.stdout.off('drain', done);
          process.stdout.off('error', done);
          resolve();
        };
        process.stdout.once('drain', done);
        process.stdout.once('error', done);
      });
    }
  }
}

interface Cursor {
  partition: Partition;
  offset: number;
}

/** Reads and prints from one cursor until its end (or `max`); returns how many were printed. */
async function drain(cursor: Cursor, isolation: Isolation, renderer: Renderer, out: Output, remaining: number): Promise<number> {
  let printed = 0;
  const p = cursor.partition;
  const committed = isolation === 'read_committed';
  const end = (): number => (committed ? p.lastStableOffset : p.highWatermark);
  while (printed < remaining && !out.closed && cursor.offset < end()) {
    const { records, abortedTransactions } = await p.read(cursor.offset, { maxBytes: READ_BYTES, isolation });
    if (records.length === 0) break;
    // As Kafka's consumer: per read, the aborted transactions overlapping it (by first offset)
    // and the producers whose aborted transaction is in progress (skipped until their marker).
    const upcoming = [...abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
    const aborting = new Set<number>();
    let chunk = '';
    let pos = 0;
    while (records.length - pos >= BATCH_HEADER_SIZE && printed < remaining) {
      const h = readBatchHeader(records, pos);
      const size = BATCH_LENGTH_PREFIX + h.batchLength;
      if (records.length - pos < size) break;
      const next = h.baseOffset + h.lastOffsetDelta + 1;
      if (committed) {
        while (upcoming.length > 0 && upcoming[0]!.firstOffset < next) aborting.add(upcoming.shift()!.producerId);
      }
      let skip = h.isControl;
      if (committed && h.isControl && aborting.has(h.producerId)) {
        const marker = decodeBatch(records, pos).records[0];
        if (marker && !decodeControlRecord(marker).commit) aborting.delete(h.producerId);
      } else if (committed && h.isTransactional && aborting.has(h.producerId)) {
        skip = true;
      }
      if (!skip && next > cursor.offset) {
        for (const r of decodeBatch(records, pos).records) {
          if (r.offset < cursor.offset) continue;
          chunk += await renderer.render(p.index, r);
          cursor.offset = r.offset + 1;
          if (++printed >= remaining) break;
        }
      }
      if (printed < remaining) cursor.offset = Math.max(cursor.offset, next);
      pos += size;
    }
    await out.write(chunk);
  }
  return printed;
}

interface ConsumeRequest {
  topic: string;
  onlyPartition: number | undefined;
  offset: number | undefined;
  fromTime: number | undefined;
  max: number;
  follow: boolean;
  isolation: Isolation;
  renderer: Renderer;
}

/** Resolves when SIGINT/SIGTERM arrives (or `stop` is called); `dispose` removes the handlers. */
function interruption(): { signal: AbortSignal; dispose: () => void } {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: stop.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function outOfRange(req: ConsumeRequest, partitions: number): void {
  if (req.onlyPartition !== undefined && req.onlyPartition >= partitions) {
    throw new SluiceError('PARTITION_OUT_OF_RANGE', `topic ${req.topic} has ${partitions} partition${partitions === 1 ? '' : 's'}; --partition ${req.onlyPartition} is out of range`, {
      details: { topic: req.topic, partition: req.onlyPartition, partitions },
    });
  }
}

function badOffset(topic: string, partition: number, offset: number, start: number, end: number): SluiceError {
  return new SluiceError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside partition ${partition}'s range ${start}..${end}`, {
    details: { topic, partition, offset, logStartOffset: start, logEndOffset: end },
  });
}

async function consumeLocal(dataDir: string, req: ConsumeRequest): Promise<number> {
  return withLog(dataDir, {}, async (log) => {
    const desc = log.describeTopic(req.topic);
    outOfRange(req, desc.partitions);
    const indexes = req.onlyPartition !== undefined ? [req.onlyPartition] : Array.from({ length: desc.partitions }, (_, i) => i);
    const cursors: Cursor[] = [];
    for (const i of indexes) {
      const p = log.partition(req.topic, i);
      let start = p.logStartOffset;
      if (req.offset !== undefined) {
        if (req.offset < p.logStartOffset || req.offset > p.logEndOffset) throw badOffset(req.topic, i, req.offset, p.logStartOffset, p.logEndOffset);
        start = req.offset;
      } else if (req.fromTime !== undefined) {
        start = (await p.offsetForTimestamp(req.fromTime))?.offset ?? p.logEndOffset;
      }
      cursors.push({ partition: p, offset: start });
    }

    const out = new Output();
    let printed = 0;
    for (const c of cursors) printed += await drain(c, req.isolation, req.renderer, out, req.max - printed);
    if (!req.follow || printed >= req.max || out.closed) return req.renderer.failures > 0 ? 1 : 0;

    const stop = interruption();
    try {
      while (!stop.signal.aborted && printed < req.max && !out.closed) {
        // Wait until any partition has data past its cursor, then drain them all.
        const round = new AbortController();
        const abortRound = () => round.abort();
        stop.signal.addEventListener('abort', abortRound, { once: true });
        await Promise.race(cursors.map((c) => c.partition.waitForData(c.offset, 60_000, { signal: round.signal, isolation: req.isolation })));
        round.abort();
        stop.signal.removeEventListener('abort', abortRound);
        for (const c of cursors) printed += await drain(c, req.isolation, req.renderer, out, req.max - printed);
      }
    } finally {
      stop.dispose();
    }
    return req.renderer.failures > 0 ? 1 : 0;
  });
}

function headersOf(h: { [key: string]: Buffer | string | (Buffer | string)[] | undefined } | undefined): Record['headers'] {
  const out: Record['headers'] = [];
  for (const [key, v] of Object.entries(h ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) out.push({ key, value: one === undefined ? null : Buffer.isBuffer(one) ? one : Buffer.from(one) });
  }
  return out;
}

/** Through a broker with kafkajs: a private group (or --group), positions checked against the end offsets taken at the start. */
async function consumeRemote(brokers: string[], group: string | undefined, req: ConsumeRequest): Promise<number> {
  const kafka = createKafka(brokers, 'sluice-consume');
  const admin = kafka.admin();
  const starts = new Map<number, number>();
  const ends = new Map<number, number>();
  let indexes: number[];
  try {
    await admin.connect();
    const info = await describeRemoteTopic(admin, brokers, req.topic);
    outOfRange(req, info.partitions);
    indexes = req.onlyPartition !== undefined ? [req.onlyPartition] : Array.from({ length: info.partitions }, (_, i) => i);
    // Latest offsets as the broker lists them (kafkajs asks under read_committed: the LSO).
    const offsets = await admin.fetchTopicOffsets(req.topic);
    const committed = group === undefined ? undefined : await admin.fetchOffsets({ groupId: group, topics: [req.topic] });
    const byTime = req.fromTime === undefined ? undefined : await admin.fetchTopicOffsetsByTimestamp(req.topic, req.fromTime);
    for (const i of indexes) {
      const o = offsets.find((x) => x.partition === i);
      const low = Number(o?.low ?? 0);
      const high = Number(o?.high ?? 0);
      ends.set(i, high);
      let start = low;
      if (req.offset !== undefined) {
        if (req.offset < low || req.offset > high) throw badOffset(req.topic, i, req.offset, low, high);
        start = req.offset;
      } else if (byTime) {
        const t = Number(byTime.find((x) => x.partition === i)?.offset ?? -1);
        start = t < 0 ? high : t;
      } else if (committed) {
        const c = Number(committed[0]?.partitions.find((x) => x.partition === i)?.offset ?? -1);
        if (c >= 0) start = Math.max(c, low);
      }
      starts.set(i, start);
    }
  } catch (err) {
    throw remoteError(`reading ${req.topic}`, brokers, err);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const positions = new Map(starts);
  const caughtUp = (assigned: number[]): boolean => assigned.every((i) => (positions.get(i) ?? 0) >= (ends.get(i) ?? 0));
  if (!req.follow && caughtUp(indexes) && group === undefined) return 0;

  const explicitStart = req.offset !== undefined || req.fromTime !== undefined || group === undefined;
  // Without --group: a private group whose assigner hands this one member exactly the wanted partitions.
  const onlyThese = () => ({
    name: 'SluiceCli',
    version: 0,
    async assign({ members }: { members: { memberId: string }[] }) {
      return members.map((m, n) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: n === 0 ? { [req.topic]: indexes } : {}, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }: { topics: string[] }) {
      return { name: 'SluiceCli', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
    },
  });
  const consumer = kafka.consumer({
    groupId: group ?? `sluice-cli-${process.pid}-${randomBytes(4).toString('hex')}`,
    ...(group === undefined ? { partitionAssigners: [onlyThese] } : {}),
    readUncommitted: req.isolation !== 'read_committed',
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 1000,
  });
  const out = new Output();
  const stop = interruption();
  let printed = 0;
  let assigned: number[] | undefined = group === undefined ? indexes : undefined;
  let failure: unknown;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const check = (): void => {
    if (printed >= req.max || out.closed || failure !== undefined) finish();
    else if (!req.follow && assigned !== undefined && caughtUp(assigned)) finish();
  };
  stop.signal.addEventListener('abort', () => finish(), { once: true });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assigned = (e.payload.memberAssignment[req.topic] ?? []).filter((i) => indexes.includes(i));
    check();
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    // Also fires for batches holding only transaction markers or aborted records: the position moves past them.
    if (printed < req.max) positions.set(e.payload.partition, Math.max(positions.get(e.payload.partition) ?? 0, Number(e.payload.lastOffset) + 1));
    check();
  });
  consumer.on(consumer.events.CRASH, (e) => {
    failure = e.payload.error;
    finish();
  });
  const timer = setInterval(check, 200); // a join with nothing to fetch has no batch event
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: req.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch }) => {
        let chunk = '';
        const p = batch.partition;
        for (const m of batch.messages) {
          if (printed >= req.max || stop.signal.aborted) break;
          const offset = Number(m.offset);
          if (offset < (positions.get(p) ?? 0)) continue;
          const r: Record = { offset, timestamp: Number(m.timestamp), key: m.key ?? null, value: m.value ?? null, headers: headersOf(m.headers) };
          chunk += await req.renderer.render(p, r);
          positions.set(p, offset + 1);
          printed++;
        }
        await out.write(chunk);
        check();
      },
    });
    if (explicitStart) for (const i of indexes) consumer.seek({ topic: req.topic, partition: i, offset: String(starts.get(i)) });
    check();
    await finished;
    if (failure !== undefined) throw failure;
    if (group !== undefined && assigned !== undefined && assigned.length > 0) {
      await consumer.commitOffsets(assigned.map((i) => ({ topic: req.topic, partition: i, offset: String(positions.get(i) ?? 0) })));
    }
  } catch (err) {
    throw remoteError(`consuming ${req.topic}`, brokers, err);
  } finally {
    clearInterval(timer);
    stop.dispose();
    await consumer.disconnect().catch(() => undefined);
  }
  return req.renderer.failures > 0 ? 1 : 0;
}

export const consumeVerb: Verb = {
  name: 'consume',
  summary: 'print the records of a topic',
  help: HELP,
  async run(argv) {
    const { values, positionals: pos } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
    const [topic] = positionals(pos, ['topic']) as [string];
    validateTopicName(topic);
    const format = enumArg(values.format, '--format', FORMATS) ?? 'text';
    if (values['registry-url'] !== undefined && !isSchemaFormat(format)) throw new SluiceError('INVALID_ARGUMENT', '--registry-url needs --format avro|protobuf|json-schema');
    const onlyPartition = intArg(values.partition, '--partition', { min: 0 });
    const offset = intArg(values.offset, '--offset', { min: 0 });
    const fromTime = values['from-time'] === undefined ? undefined : timestampArg(values['from-time'], '--from-time');
    const starts = [values['from-beginning'] === true, offset !== undefined, fromTime !== undefined].filter(Boolean).length;
    if (starts > 1) throw new SluiceError('INVALID_ARGUMENT', 'choose one of --from-beginning, --offset, --from-time');
    const max = intArg(values.max, '--max', { min: 1 }) ?? Infinity;
    const isolation = enumArg(values.isolation, '--isolation', ISOLATIONS) ?? 'read_uncommitted';
    const brokers = values['bootstrap-server'] === undefined ? undefined : parseBootstrap(values['bootstrap-server']);
    const group = values.group;
    if (group !== undefined) {
      if (!brokers) throw new SluiceError('INVALID_ARGUMENT', '--group needs --bootstrap-server (consumer groups are coordinated by the broker)');
      if (group.trim() === '' || group.length > 249) throw new SluiceError('INVALID_ARGUMENT', `--group must be 1..249 characters, got '${group}'`);
      if (onlyPartition !== undefined) throw new SluiceError('INVALID_ARGUMENT', '--group and --partition cannot be combined: the group assigns partitions');
    }
    const renderer = new Renderer(format, topic, values['registry-url'] ?? DEFAULT_REGISTRY_URL);
    const req: ConsumeRequest = { topic, onlyPartition, offset, fromTime, max, follow: values.follow === true, isolation, renderer };
    return brokers ? consumeRemote(brokers, group, req) : consumeLocal(dataDirFrom(values), req);
  },
};
