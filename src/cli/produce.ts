// `sluice produce <topic>`: one record per input line, from stdin or --file. The whole
// input is checked (line sizes against max.message.bytes, key separators) before the
// first record is written, so bad input is refused with nothing written. A file is read
// twice (check, then write) instead of being held in memory; stdin is buffered.
// Keyed records go to the partition Kafka's default partitioner would pick (murmur2), so
// keys land where a Kafka client would put them; unkeyed lines are spread round-robin.
// May import: ./args.ts, ./progress.ts, ./verb.ts, ../log/*, ../codec/compression.ts, ../errors.ts.
import { parseArgs } from 'node:util';
import { createReadStream, statSync } from 'node:fs';
import { SluiceError } from '../errors.js';
import type { CompressionName } from '../codec/compression.js';
import { validateTopicName } from '../log/topic-config.js';
import type { RecordInput } from '../codec/record-batch.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, dataDirFrom, enumArg, intArg, positionals, withLog } from './args.js';
import { Progress } from './progress.js';
import type { Verb } from './verb.js';

const HELP = `Usage: sluice produce <topic> [options]

Writes one record per line of stdin (or --file) to <topic>. Every line is checked before
anything is written: an oversized line or a line without the key separator aborts the
whole run with nothing written.

Options:
  --file PATH             read lines from PATH instead of stdin
  --key-separator SEP     split each line at the first SEP into key and value
                          (keyed records go to the murmur2 partition, as Kafka clients do)
  --partition N           write every record to partition N
  --compression CODEC     none (default), gzip, snappy, lz4, zstd
  --batch-size N          records per batch (default 1000)
${DATA_DIR_HELP}

Examples:
  printf 'a\\nb\\n' | sluice produce clicks
  sluice produce users --file users.txt --key-separator ':' --compression zstd`;

const OPTIONS = {
  ...DATA_DIR_OPTION,
  file: { type: 'string' },
  'key-separator': { type: 'string' },
  partition: { type: 'string' },
  compression: { type: 'string' },
  'batch-size': { type: 'string' },
} as const;

const CODECS: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
/** Bytes a record adds beyond its key and value inside a batch (varints, attributes), generously. */
const RECORD_OVERHEAD = 24;
const BATCH_OVERHEAD = 61;

/** Kafka's murmur2 (the Java client's default partitioner hash), 32-bit signed result. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const len = data.length;
  let h = (0x9747b28c ^ len) | 0;
  const whole = len & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The tail bytes, as the Java switch with fall-through does it.
  const tail = len & 3;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner picks for a key. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

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

async function readAllStdin(): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return chunks;
}

async function* fromArray(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

export const produceVerb: Verb = {
  name: 'produce',
  summary: 'write lines from stdin or a file to a topic',
  help: HELP,
  async run(argv) {
    const { values, positionals: pos } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
    const [topic] = positionals(pos, ['topic']);
    validateTopicName(topic!);
    const dataDir = dataDirFrom(values);
    const compression = enumArg(values.compression, '--compression', CODECS) ?? 'none';
    const fixedPartition = intArg(values.partition, '--partition', { min: 0 });
    const batchSize = intArg(values['batch-size'], '--batch-size', { min: 1, max: 1_000_000 }) ?? 1000;
    const sep = values['key-separator'] === undefined ? undefined : Buffer.from(values['key-separator']);
    if (sep !== undefined && sep.length === 0) throw new SluiceError('INVALID_ARGUMENT', '--key-separator cannot be empty');
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

    return withLog(dataDir, {}, async (log) => {
      const desc = log.describeTopic(topic!);
      if (fixedPartition !== undefined && fixedPartition >= desc.partitions) {
        throw new SluiceError('PARTITION_OUT_OF_RANGE', `topic ${topic} has ${desc.partitions} partition${desc.partitions === 1 ? '' : 's'}; --partition ${fixedPartition} is out of range`, {
          details: { topic, partition: fixedPartition, partitions: desc.partitions },
        });
      }
      // Check every partition is usable before writing anything.
      const parts = Array.from({ length: desc.partitions }, (_, i) => log.partition(topic!, i));
      const maxRecord = desc.config.maxMessageBytes - BATCH_OVERHEAD - RECORD_OVERHEAD;
      const stdinChunks = file === undefined ? await readAllStdin() : undefined;
      const source = () => (stdinChunks ? fromArray(stdinChunks) : (createReadStream(file!) as AsyncIterable<Buffer>));

      const split = (line: Buffer, lineNo: number): { key: Buffer | null; value: Buffer } => {
        if (sep === undefined) return { key: null, value: line };
        const at = line.indexOf(sep);
        if (at < 0) {
          throw new SluiceError('INVALID_ARGUMENT', `line ${lineNo} has no key separator '${sep.toString()}'`, { details: { line: lineNo } });
        }
        return { key: line.subarray(0, at), value: line.subarray(at + sep.length) };
      };

      // Pass 1: check everything.
      let total = 0;
      await forEachLine(source(), maxRecord, (line, lineNo) => {
        split(line, lineNo);
        total++;
      });
      if (total === 0) {
        console.error('no input lines: nothing written');
        return 0;
      }

      // Pass 2: write, batching per partition.
      const totalBytes = stdinChunks ? stdinChunks.reduce((n, c) => n + c.length, 0) : fileSize;
      const progress = new Progress(`produce ${topic}`, totalBytes);
      const pending: { records: RecordInput[]; bytes: number }[] = parts.map(() => ({ records: [], bytes: BATCH_OVERHEAD }));
      const ranges: { first: number; last: number; count: number }[] = parts.map(() => ({ first: -1, last: -1, count: 0 }));
      const batchBytes = Math.min(desc.config.maxMessageBytes, 1024 * 1024);
      const now = Date.now();
      let rr = 0;
      const flushPartition = async (i: number): Promise<void> => {
        const b = pending[i]!;
        if (b.records.length === 0) return;
        const r = await parts[i]!.appendRecords(b.records, { compression });
        const range = ranges[i]!;
        if (range.first < 0) range.first = r.baseOffset;
        range.last = r.lastOffset;
        range.count += b.records.length;
        pending[i] = { records: [], bytes: BATCH_OVERHEAD };
      };
      await forEachLine(
        source(),
        maxRecord,
        async (line, lineNo) => {
          const { key, value } = split(line, lineNo);
          // Copies: the line is a view into a read buffer that is about to be reused.
          const rec: RecordInput = { key: key === null ? null : Buffer.from(key), value: Buffer.from(value), timestamp: now };
          const size = (key?.length ?? 0) + value.length + RECORD_OVERHEAD;
          const p = fixedPartition ?? (key !== null ? partitionForKey(key, parts.length) : rr++ % parts.length);
          if (pending[p]!.bytes + size > batchBytes) await flushPartition(p);
          pending[p]!.records.push(rec);
          pending[p]!.bytes += size;
          if (pending[p]!.records.length >= batchSize) await flushPartition(p);
        },
        (n) => progress.update(n),
      );
      for (let i = 0; i < parts.length; i++) await flushPartition(i);
      progress.finish();
      const where = ranges
        .map((r, i) => (r.count === 0 ? undefined : `partition ${i}: offsets ${r.first}..${r.last}`))
        .filter((s) => s !== undefined)
        .join(', ');
      console.log(`produced ${total} record${total === 1 ? '' : 's'} to ${topic} (${where})`);
      return 0;
    });
  },
};
