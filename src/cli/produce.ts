// `sluice produce <topic>`: one record per input line, from stdin or --file, streamed: the
// input is read once, line by line, in bounded chunks (CHUNK_LINES lines or CHUNK_BYTES
// bytes). Every line of a chunk is checked (and, with a schema format, encoded) before any
// record of that chunk is written, so bad input is refused with nothing of its chunk written;
// chunks before it stay written and the error says how many records that was. A small input
// (one chunk) is therefore all or nothing.
// Writes go to the data directory directly, or with --bootstrap-server through a running
// broker (kafkajs, acks=all) while that broker owns the directory.
// Keyed records go to the partition Kafka's default partitioner would pick (murmur2), so
// keys land where a Kafka client would put them; unkeyed lines are spread round-robin.
// May import: ./args.ts, ./progress.ts, ./verb.ts, ./kafka-remote.ts, ./schema-codec.ts,
// ../log/*, ../codec/compression.ts, ../errors.ts.
import { parseArgs } from 'node:util';
import { createReadStream, statSync } from 'node:fs';
import { SluiceError } from '../errors.js';
import type { CompressionName } from '../codec/compression.js';
import { validateTopicName } from '../log/topic-config.js';
import { partitionForKey } from '../log/partitioner.js';
import type { RecordInput } from '../codec/record-batch.js';
import type { Log } from '../log/log.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, dataDirFrom, enumArg, intArg, openLog, positionals } from './args.js';
import { Progress } from './progress.js';
import { KAFKAJS_COMPRESSION, createKafka, describeRemoteTopic, parseBootstrap, remoteError } from './kafka-remote.js';
import type { Producer } from './kafka-remote.js';
import { DEFAULT_REGISTRY_URL, SCHEMA_FORMATS, SchemaValueEncoder } from './schema-codec.js';
import type { SchemaFormatName } from './schema-codec.js';
import type { Verb } from './verb.js';

const HELP = `Usage: sluice produce <topic> [options]

Writes one record per line of stdin (or --file) to <topic>. Input is streamed in chunks of
up to 10000 lines / 4 MiB; every line of a chunk is checked before anything of it is written:
an oversized line, a line without the key separator or (with a schema format) a line that does
not match the schema aborts the run with nothing of its chunk written. Small inputs (one
chunk) are all or nothing; for larger ones the error says how many records were written.

Options:
  --file PATH             read lines from PATH instead of stdin
  --key-separator SEP     split each line at the first SEP into key and value
                          (keyed records go to the murmur2 partition, as Kafka clients do)
  --partition N           write every record to partition N
  --compression CODEC     none (default), gzip, snappy, lz4, zstd
  --batch-size N          records per batch (default 1000)
  --bootstrap-server H:P  write through a running broker (needed while one owns the data dir)
${DATA_DIR_HELP}

Schema formats (values are JSON documents, written in the Confluent wire format):
  --format F              text (default: the line as it is), avro, protobuf, json-schema
  --subject S             registry subject (default <topic>-value)
  --schema-file F         the schema to write with; registered under the subject (default:
                          the subject's latest schema)
  --no-register           only look the schema up; fail if it is not registered
  --message NAME          protobuf: the message type (default the file's first message)
  --registry-url URL      schema registry (default ${DEFAULT_REGISTRY_URL})

Examples:
  printf 'a\\nb\\n' | sluice produce clicks
  sluice produce users --file users.txt --key-separator ':' --compression zstd
  sluice produce clicks --bootstrap-server 127.0.0.1:9092 --file events.txt
  echo '{"id":1,"name":"ann"}' | sluice produce users --format avro --schema-file user.avsc`;

const OPTIONS = {
  ...DATA_DIR_OPTION,
  file: { type: 'string' },
  'key-separator': { type: 'string' },
  partition: { type: 'string' },
  compression: { type: 'string' },
  'batch-size': { type: 'string' },
  'bootstrap-server': { type: 'string' },
  format: { type: 'string' },
  subject: { type: 'string' },
  'schema-file': { type: 'string' },
  'no-register': { type: 'boolean' },
  message: { type: 'string' },
  'registry-url': { type: 'string' },
} as const;

const CODECS: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const FORMATS = ['text', ...SCHEMA_FORMATS] as const;
/** Bytes a record adds beyond its key and value inside a batch (varints, attributes), generously. */
const RECORD_OVERHEAD = 24;
const BATCH_OVERHEAD = 61;
/** Bounds of one validate-then-write chunk (memory stays bounded whatever the input size). */
export const CHUNK_LINES = 10_000;
export const CHUNK_BYTES = 4 * 1024 * 1024;

/** Calls `fn` for every line (without its \n or \r\n) of a byte stream; lines never exceed `maxLine` bytes. */
async function forEachLine(
  source: AsyncIterable<Buffer>,
  maxLine: number,
  fn: (line: Buffer, lineNo: number) => void | Promise<void>,
  onBytes?: (n: number) => void,
): Promise<void> {
  let carry: Buffer | undefined;
  let lineNo = 0;
  let read = 0;
  const tooLong = (n: number) =>
    new SluiceError('BATCH_TOO_LARGE', `line ${lineNo + 1} is longer than ${maxLine} bytes, more than one record may hold on this topic (max.message.bytes)`, {
      details: { line: lineNo + 1, limit: maxLine, atLeast: n },
    });
  for await (const chunk of source) {
    read += chunk.length;
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      const end = nl > start && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      if (end - start > maxLine) throw tooLong(end - start);
      await fn(buf.subarray(start, end), ++lineNo);
      start = nl + 1;
    }
    carry = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
    if (carry && carry.length > maxLine) throw tooLong(carry.length);
    onBytes?.(read);
  }
  if (carry && carry.length > 0) {
    const end = carry[carry.length - 1] === 0x0d ? carry.length - 1 : carry.length;
    await fn(carry.subarray(0, end), ++lineNo);
  }
}

/** Where records go: the log directly, or a broker. */
interface RecordSink {
  readonly partitions: number;
  readonly maxMessageBytes: number;
  write(partition: number, records: RecordInput[]): Promise<{ baseOffset: number; lastOffset: number }>;
  close(): Promise<void>;
}

class LogSink implements RecordSink {
  readonly partitions: number;
  readonly maxMessageBytes: number;
  constructor(
    private readonly log: Log,
    private readonly topic: string,
    private readonly compression: CompressionName,
  ) {
    const desc = log.describeTopic(topic);
    this.partitions = desc.partitions;
    this.maxMessageBytes = desc.config.maxMessageBytes;
    // Every partition must be usable before anything is written.
    for (let i = 0; i < desc.partitions; i++) log.partition(topic, i);
  }
  async write(partition: number, records: RecordInput[]): Promise<{ baseOffset: number; lastOffset: number }> {
    return this.log.partition(this.topic, partition).appendRecords(records, { compression: this.compression });
  }
  close(): Promise<void> {
    return this.log.close();
  }
}

class BrokerSink implements RecordSink {
  private constructor(
    private readonly producer: Producer,
    private readonly brokers: string[],
    private readonly topic: string,
    private readonly compression: CompressionName,
    readonly partitions: number,
    readonly maxMessageBytes: number,
  ) {}

  static async open(brokers: string[], topic: string, compression: CompressionName): Promise<BrokerSink> {
    const kafka = createKafka(brokers, 'sluice-produce');
    const admin = kafka.admin();
    let info;
    try {
      await admin.connect();
      info = await describeRemoteTopic(admin, brokers, topic);
    } catch (err) {
      throw remoteError(`connecting to ${brokers.join(',')}`, brokers, err);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    try {
      await producer.connect();
    } catch (err) {
      throw remoteError('connecting the producer', brokers, err);
    }
    return new BrokerSink(producer, brokers, topic, compression, info.partitions, info.maxMessageBytes);
  }

  async write(partition: number, records: RecordInput[]): Promise<{ baseOffset: number; lastOffset: number }> {
    try {
      const meta = await this.producer.send({
        topic: this.topic,
        acks: -1,
        compression: KAFKAJS_COMPRESSION[this.compression],
        messages: records.map((r) => ({ partition, key: r.key ?? null, value: r.value, timestamp: r.timestamp === undefined ? undefined : String(r.timestamp) })),
      });
      const base = Number(meta[0]?.baseOffset ?? -1);
      return { baseOffset: base, lastOffset: base + records.length - 1 };
    } catch (err) {
      throw remoteError(`producing to ${this.topic}-${partition}`, this.brokers, err);
    }
  }

  close(): Promise<void> {
    return this.producer.disconnect().catch(() => undefined);
  }
}

export const produceVerb: Verb = {
  name: 'produce',
  summary: 'write lines from stdin or a file to a topic',
  help: HELP,
  async run(argv) {
    const { values, positionals: pos } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
    const [topic] = positionals(pos, ['topic']) as [string];
    validateTopicName(topic);
    const compression = enumArg(values.compression, '--compression', CODECS) ?? 'none';
    const fixedPartition = intArg(values.partition, '--partition', { min: 0 });
    const batchSize = intArg(values['batch-size'], '--batch-size', { min: 1, max: 1_000_000 }) ?? 1000;
    const sep = values['key-separator'] === undefined ? undefined : Buffer.from(values['key-separator']);
    if (sep !== undefined && sep.length === 0) throw new SluiceError('INVALID_ARGUMENT', '--key-separator cannot be empty');
    const format = enumArg(values.format, '--format', FORMATS) ?? 'text';
    const schemaFlags = (['subject', 'schema-file', 'no-register', 'message', 'registry-url'] as const).filter((f) => values[f] !== undefined);
    if (format === 'text' && schemaFlags.length > 0) throw new SluiceError('INVALID_ARGUMENT', `--${schemaFlags[0]} needs --format avro|protobuf|json-schema`);
    const brokers = values['bootstrap-server'] === undefined ? undefined : parseBootstrap(values['bootstrap-server']);
    const file = values.file;
    let fileSize = 0;
    if (file !== undefined) {
      try {
        const st = statSync(file);
        if (!st.isFile()) throw new Error('not a regular file');
        fileSize = st.size;
      } catch (err) {
        throw new SluiceError('INVALID_ARGUMENT', `cannot read --file ${file}: ${(err as Error).message}`, { cause: err });
      }
    }

    // The schema (registry) first: a registry problem must not leave the log opened for nothing.
    const encoder =
      format === 'text'
        ? undefined
        : await SchemaValueEncoder.open({
            format: format as SchemaFormatName,
            registryUrl: values['registry-url'] ?? DEFAULT_REGISTRY_URL,
            subject: values.subject ?? `${topic}-value`,
            schemaFile: values['schema-file'],
            messageName: values.message,
            register: values['no-register'] !== true,
          });

    let sink: RecordSink;
    if (brokers) {
      sink = await BrokerSink.open(brokers, topic, compression);
    } else {
      const log = await openLog(dataDirFrom(values));
      try {
        sink = new LogSink(log, topic, compression);
      } catch (err) {
        await log.close();
        throw err;
      }
    }
    try {
      if (fixedPartition !== undefined && fixedPartition >= sink.partitions) {
        throw new SluiceError('PARTITION_OUT_OF_RANGE', `topic ${topic} has ${sink.partitions} partition${sink.partitions === 1 ? '' : 's'}; --partition ${fixedPartition} is out of range`, {
          details: { topic, partition: fixedPartition, partitions: sink.partitions },
        });
      }
      const maxRecord = sink.maxMessageBytes - BATCH_OVERHEAD - RECORD_OVERHEAD;
      // JSON text is larger than its binary encoding: the encoded size is what is checked.
      const maxLine = encoder ? Math.max(maxRecord * 8, 64 * 1024) : maxRecord;
      const batchBytes = Math.min(sink.maxMessageBytes, 1024 * 1024);
      const ranges = Array.from({ length: sink.partitions }, () => ({ first: -1, last: -1, count: 0 }));
      const progress = new Progress(`produce ${topic}`, fileSize);
      let total = 0;
      let rr = 0;
      let chunk: { line: Buffer; no: number }[] = [];
      let chunkBytes = 0;

      const writeChunk = async (): Promise<void> => {
        if (chunk.length === 0) return;
        const lines = chunk;
        chunk = [];
        chunkBytes = 0;
        // Check (and encode) every line before writing any.
        const perPartition: RecordInput[][] = Array.from({ length: sink.partitions }, () => []);
        const now = Date.now();
        try {
          for (const { line, no } of lines) {
            let key: Buffer | null = null;
            let value = line;
            if (sep !== undefined) {
              const at = line.indexOf(sep);
              if (at < 0) throw new SluiceError('INVALID_ARGUMENT', `line ${no} has no key separator '${sep.toString()}'`, { details: { line: no } });
              key = line.subarray(0, at);
              value = line.subarray(at + sep.length);
            }
            if (encoder) value = encoder.encode(value, no);
            const size = (key?.length ?? 0) + value.length;
            if (size > maxRecord) {
              throw new SluiceError('BATCH_TOO_LARGE', `line ${no} makes a record of ${size} bytes, more than one record may hold on this topic (max.message.bytes)`, {
                details: { line: no, limit: maxRecord, size },
              });
            }
            const p = fixedPartition ?? (key !== null ? partitionForKey(key, sink.partitions) : rr++ % sink.partitions);
            perPartition[p]!.push({ key, value, timestamp: now });
          }
        } catch (err) {
          if (total > 0 && err instanceof SluiceError) {
            throw new SluiceError(err.code, `${err.message} (the ${total} record${total === 1 ? '' : 's'} of lines 1..${lines[0]!.no - 1} were written; nothing from line ${lines[0]!.no} on)`, {
              cause: err,
              details: { ...err.details, written: total },
            });
          }
          throw err;
        }
        for (let p = 0; p < perPartition.length; p++) {
          const recs = perPartition[p]!;
          let from = 0;
          while (from < recs.length) {
            let to = from;
            let bytes = BATCH_OVERHEAD;
            while (to < recs.length && to - from < batchSize) {
              const r = recs[to]!;
              const size = (r.key?.length ?? 0) + (r.value?.length ?? 0) + RECORD_OVERHEAD;
              if (to > from && bytes + size > batchBytes) break;
              bytes += size;
              to++;
            }
            const r = await sink.write(p, recs.slice(from, to));
            const range = ranges[p]!;
            if (range.first < 0) range.first = r.baseOffset;
            range.last = r.lastOffset;
            range.count += to - from;
            total += to - from;
            from = to;
          }
        }
      };

      const source = (file !== undefined ? createReadStream(file) : process.stdin) as AsyncIterable<Buffer>;
      await forEachLine(
        source,
        maxLine,
        async (line, no) => {
          // Copy: the line is a view into a read buffer that is about to be reused.
          chunk.push({ line: Buffer.from(line), no });
          chunkBytes += line.length;
          if (chunk.length >= CHUNK_LINES || chunkBytes >= CHUNK_BYTES) await writeChunk();
        },
        (n) => progress.update(n),
      ).catch((err: unknown) => {
        if (total > 0 && err instanceof SluiceError && err.code === 'BATCH_TOO_LARGE' && err.details?.written === undefined) {
          throw new SluiceError(err.code, `${err.message} (${total} record${total === 1 ? '' : 's'} before it were written)`, { cause: err, details: { ...err.details, written: total } });
        }
        throw err;
      });
      await writeChunk();
      progress.finish();
      if (total === 0) {
        console.error('no input lines: nothing written');
        return 0;
      }
      const where = ranges
        .map((r, i) => (r.count === 0 ? undefined : `partition ${i}: offsets ${r.first}..${r.last}`))
        .filter((s) => s !== undefined)
        .join(', ');
      console.log(`produced ${total} record${total === 1 ? '' : 's'} to ${topic} (${where})`);
      return 0;
    } finally {
      await sink.close();
    }
  },
};
