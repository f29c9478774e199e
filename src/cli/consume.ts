// `sluice consume <topic>`: prints records of a topic. Reads whole batches straight from
// the log and decodes them with the codec (control batches skipped), writing output in
// chunks with backpressure so `sluice consume big | head` stays fast and bounded.
// --follow waits for new data with the partition's waitForData (no polling) until SIGINT.
// May import: ./args.ts, ./verb.ts, ../log/*, ../codec/*, ../errors.ts.
import { parseArgs } from 'node:util';
import { isUtf8 } from 'node:buffer';
import { SluiceError } from '../errors.js';
import { decodeBatch, BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, readBatchHeader } from '../codec/record-batch.js';
import type { Record } from '../codec/record-batch.js';
import { validateTopicName } from '../log/topic-config.js';
import type { Partition } from '../log/partition.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, dataDirFrom, enumArg, intArg, positionals, timestampArg, withLog } from './args.js';
import type { Verb } from './verb.js';

const HELP = `Usage: sluice consume <topic> [options]

Prints the records of <topic>, oldest first, partition by partition.

Where to start (default: the beginning):
  --from-beginning       from each partition's first offset
  --offset N             from offset N (with --partition, or the same N on every partition)
  --from-time T          from the first record with timestamp >= T (ms since epoch or ISO-8601)

Options:
  --partition N          only partition N
  --follow               keep waiting for new records (Ctrl-C to stop)
  --max N                stop after N records
  --format F             text (value only, default), kv (key<TAB>value), json (one object per line)
${DATA_DIR_HELP}

Examples:
  sluice consume clicks --max 10
  sluice consume users --format json --from-time 2024-01-01T00:00:00Z
  sluice consume clicks --partition 0 --offset 100 --follow`;

const OPTIONS = {
  ...DATA_DIR_OPTION,
  'from-beginning': { type: 'boolean' },
  offset: { type: 'string' },
  'from-time': { type: 'string' },
  partition: { type: 'string' },
  follow: { type: 'boolean' },
  max: { type: 'string' },
  format: { type: 'string' },
} as const;

type Format = 'text' | 'kv' | 'json';
const FORMATS: readonly Format[] = ['text', 'kv', 'json'];
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

class Output {
  private broken = false;
  constructor() {
    // `consume | head` closes the pipe early: stop quietly instead of crashing.
    process.stdout.on('error', () => {
      this.broken = true;
    });
  }
  get closed(): boolean {
    return this.broken;
  }
  async write(s: string): Promise<void> {
    if (this.broken || s.length === 0) return;
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
async function drain(cursor: Cursor, topic: string, format: Format, out: Output, remaining: number): Promise<number> {
  let printed = 0;
  const p = cursor.partition;
  while (printed < remaining && !out.closed && cursor.offset < p.highWatermark) {
    const { records } = await p.read(cursor.offset, { maxBytes: READ_BYTES });
    if (records.length === 0) break;
    let chunk = '';
    let pos = 0;
    while (records.length - pos >= BATCH_HEADER_SIZE && printed < remaining) {
      const h = readBatchHeader(records, pos);
      const size = BATCH_LENGTH_PREFIX + h.batchLength;
      if (records.length - pos < size) break;
      const next = h.baseOffset + h.lastOffsetDelta + 1;
      if (!h.isControl && next > cursor.offset) {
        for (const r of decodeBatch(records, pos).records) {
          if (r.offset < cursor.offset) continue;
          chunk += formatRecord(format, topic, p.index, r);
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

export const consumeVerb: Verb = {
  name: 'consume',
  summary: 'print the records of a topic',
  help: HELP,
  async run(argv) {
    const { values, positionals: pos } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
    const [topic] = positionals(pos, ['topic']);
    validateTopicName(topic!);
    const format = enumArg(values.format, '--format', FORMATS) ?? 'text';
    const onlyPartition = intArg(values.partition, '--partition', { min: 0 });
    const offset = intArg(values.offset, '--offset', { min: 0 });
    const fromTime = values['from-time'] === undefined ? undefined : timestampArg(values['from-time'], '--from-time');
    const starts = [values['from-beginning'] === true, offset !== undefined, fromTime !== undefined].filter(Boolean).length;
    if (starts > 1) throw new SluiceError('INVALID_ARGUMENT', 'choose one of --from-beginning, --offset, --from-time');
    const max = intArg(values.max, '--max', { min: 1 }) ?? Infinity;
    const follow = values.follow === true;

    return withLog(dataDirFrom(values), {}, async (log) => {
      const desc = log.describeTopic(topic!);
      if (onlyPartition !== undefined && onlyPartition >= desc.partitions) {
        throw new SluiceError('PARTITION_OUT_OF_RANGE', `topic ${topic} has ${desc.partitions} partition${desc.partitions === 1 ? '' : 's'}; --partition ${onlyPartition} is out of range`, {
          details: { topic, partition: onlyPartition, partitions: desc.partitions },
        });
      }
      const indexes = onlyPartition !== undefined ? [onlyPartition] : Array.from({ length: desc.partitions }, (_, i) => i);
      const cursors: Cursor[] = [];
      for (const i of indexes) {
        const p = log.partition(topic!, i);
        let start = p.logStartOffset;
        if (offset !== undefined) {
          if (offset < p.logStartOffset || offset > p.logEndOffset) {
            throw new SluiceError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside partition ${i}'s range ${p.logStartOffset}..${p.logEndOffset}`, {
              details: { topic, partition: i, offset, logStartOffset: p.logStartOffset, logEndOffset: p.logEndOffset },
            });
          }
          start = offset;
        } else if (fromTime !== undefined) {
          start = (await p.offsetForTimestamp(fromTime))?.offset ?? p.logEndOffset;
        }
        cursors.push({ partition: p, offset: start });
      }

      const out = new Output();
      let printed = 0;
      for (const c of cursors) printed += await drain(c, topic!, format, out, max - printed);
      if (!follow || printed >= max || out.closed) return 0;

      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        while (!stop.signal.aborted && printed < max && !out.closed) {
          // Wait until any partition has data past its cursor, then drain them all.
          const round = new AbortController();
          const abortRound = () => round.abort();
          stop.signal.addEventListener('abort', abortRound, { once: true });
          await Promise.race(cursors.map((c) => c.partition.waitForData(c.offset, 60_000, { signal: round.signal })));
          round.abort();
          stop.signal.removeEventListener('abort', abortRound);
          for (const c of cursors) printed += await drain(c, topic!, format, out, max - printed);
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      return 0;
    });
  },
};
