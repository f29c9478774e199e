// `sluice log verify|repair`: checks every batch of every partition on disk (CRC-32C,
// lengths, offsets) and says exactly what is wrong and where; repair cuts a damaged
// partition at its first bad batch, but only with --yes, and reports what it drops.
// Works on the files directly (the Log is not opened), so it also handles partitions the
// Log refuses to open. Do not run it against a data directory a broker is using.
// May import: ./args.ts, ./progress.ts, ./verb.ts, ../log/*, ../errors.ts.
import { parseArgs } from 'node:util';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../errors.js';
import { NodeFileSystem } from '../log/fs/node-file-system.js';
import { repairPartition, verifyPartition } from '../log/verify.js';
import type { PartitionVerifyResult, RepairReport } from '../log/verify.js';
import { validateTopicName } from '../log/topic-config.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, dataDirFrom, intArg, positionals } from './args.js';
import { Progress } from './progress.js';
import type { Verb } from './verb.js';

const HELP = `Usage: sluice log <verify|repair> [options]

  verify                 check every batch (CRC-32C, lengths, offsets) of every partition;
                         prints each problem found; exit 1 if any partition is corrupted
  repair                 cut each damaged partition at its first bad batch. Without --yes
                         it only prints what would be dropped (exit 1); with --yes it does it

Options:
  --topic T              only topic T
  --partition N          only partition N (with --topic)
  --yes                  (repair) really truncate
  --json                 machine-readable output
${DATA_DIR_HELP}

A torn tail (an incomplete last batch after a crash) is reported but is not corruption:
the next open of the log cuts it by itself. Stop any broker using the data directory first.`;

const OPTIONS = {
  ...DATA_DIR_OPTION,
  topic: { type: 'string' },
  partition: { type: 'string' },
  yes: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

interface PartitionRef {
  topic: string;
  partition: number;
  dir: string;
  bytes: number;
}

/** The partition directories to look at, with their sizes (for the progress bar). */
function listPartitions(dataDir: string, topic: string | undefined, partition: number | undefined): PartitionRef[] {
  const topicsDir = join(dataDir, 'topics');
  if (!existsSync(topicsDir)) throw new SluiceError('UNKNOWN_TOPIC', `no log in ${dataDir}`, { details: { dataDir } });
  const topics = topic !== undefined ? [topic] : readdirSync(topicsDir).filter((n) => statSync(join(topicsDir, n)).isDirectory()).sort();
  const out: PartitionRef[] = [];
  for (const t of topics) {
    const tdir = join(topicsDir, t);
    if (!existsSync(tdir)) throw new SluiceError('UNKNOWN_TOPIC', `unknown topic ${t}`, { details: { topic: t } });
    const parts = readdirSync(tdir)
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
    if (partition !== undefined && !parts.includes(partition)) {
      throw new SluiceError('PARTITION_OUT_OF_RANGE', `topic ${t} has partitions ${parts.join(', ')}; ${partition} does not exist`, { details: { topic: t, partition } });
    }
    for (const p of parts) {
      if (partition !== undefined && p !== partition) continue;
      const dir = join(tdir, String(p));
      const bytes = readdirSync(dir)
        .filter((n) => n.endsWith('.log'))
        .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
      out.push({ topic: t, partition: p, dir, bytes });
    }
  }
  return out;
}

function describeProblem(r: PartitionVerifyResult): string {
  const p = r.problem!;
  const where = `${p.segment} at byte ${p.position} (offset ${p.offset})`;
  if (p.kind === 'torn-tail') {
    return `${r.topic}-${r.partition}: TORN TAIL in ${where}: ${p.reason}; ${p.bytesAfter} bytes of an incomplete write, cut automatically on the next open`;
  }
  return `${r.topic}-${r.partition}: CORRUPTED in ${where}: ${p.reason}; valid batches follow up to offset ${p.lastOffsetAfter} (${p.bytesAfter} bytes from the damage to the end). Run 'sluice log repair --topic ${r.topic} --partition ${r.partition}' to see what repair would drop`;
}

function describeRepair(r: RepairReport, done: boolean): string {
  const count = r.droppedToOffset - r.droppedFromOffset + 1;
  const verb = done ? 'dropped' : 'would drop';
  const segs = r.deletedSegments.length > 0 ? `; ${done ? 'deleted' : 'would delete'} ${r.deletedSegments.length} later segment file(s): ${r.deletedSegments.join(', ')}` : '';
  return `${r.topic}-${r.partition}: ${verb} offsets ${r.droppedFromOffset}..${r.droppedToOffset} (${Math.max(0, count)} offsets, ${r.droppedBytes} bytes), cutting ${r.truncatedSegment} at byte ${r.truncatedAtPosition}${segs}`;
}

async function verifyAll(refs: PartitionRef[]): Promise<PartitionVerifyResult[]> {
  const fs = new NodeFileSystem();
  const progress = new Progress('verify', refs.reduce((n, r) => n + r.bytes, 0));
  const results: PartitionVerifyResult[] = [];
  let done = 0;
  for (const ref of refs) {
    results.push(await verifyPartition(fs, ref.dir, ref.topic, ref.partition));
    done += ref.bytes;
    progress.update(done);
  }
  progress.finish();
  return results;
}

export const logVerb: Verb = {
  name: 'log',
  summary: 'verify the log on disk, or repair a corrupted partition',
  help: HELP,
  async run(argv) {
    const { values, positionals: pos } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
    const [command] = positionals(pos.slice(0, 1), ['verify|repair']);
    positionals(pos.slice(1), []);
    if (command !== 'verify' && command !== 'repair') {
      console.error(`sluice log: unknown command '${command}'\n\n${HELP}`);
      return 2;
    }
    const topic = values.topic;
    if (topic !== undefined) validateTopicName(topic);
    const partition = intArg(values.partition, '--partition', { min: 0 });
    if (partition !== undefined && topic === undefined) throw new SluiceError('INVALID_ARGUMENT', '--partition needs --topic');
    const json = values.json === true;
    const dataDir = dataDirFrom(values);
    const refs = listPartitions(dataDir, topic, partition);
    const results = await verifyAll(refs);
    const corrupted = results.filter((r) => r.problem?.kind === 'corrupted');
    const torn = results.filter((r) => r.problem?.kind === 'torn-tail');

    if (command === 'verify') {
      if (json) {
        console.log(JSON.stringify({ ok: corrupted.length === 0, partitions: results }));
      } else {
        for (const r of results) if (r.problem) console.log(describeProblem(r));
        const bytes = results.reduce((n, r) => n + r.bytes, 0);
        console.log(
          `checked ${results.length} partition${results.length === 1 ? '' : 's'}, ${bytes} bytes: ` +
            (corrupted.length === 0 ? 'no corruption' : `${corrupted.length} corrupted`) +
            (torn.length > 0 ? `, ${torn.length} torn tail${torn.length === 1 ? '' : 's'}` : ''),
        );
      }
      return corrupted.length === 0 ? 0 : 1;
    }

    // repair
    const damaged = results.filter((r) => r.problem !== undefined);
    if (damaged.length === 0) {
      console.log(json ? JSON.stringify({ repaired: [] }) : 'nothing to repair');
      return 0;
    }
    const confirm = values.yes === true;
    const reports: RepairReport[] = [];
    for (const r of damaged) reports.push(await repairPartition({ dataDir, topic: r.topic, partition: r.partition, confirm }));
    if (json) {
      console.log(JSON.stringify({ confirmed: confirm, repaired: reports }));
    } else {
      for (const r of reports) console.log(describeRepair(r, confirm));
      if (!confirm) console.log('nothing changed; run again with --yes to truncate');
    }
    return confirm ? 0 : 1;
  },
};
