// Log benchmark: append throughput (100 B and 1 KiB records; batches of 1, 100 and 1000
// records; with an fsync per append and without) and sequential read throughput, each
// next to its raw baseline measured in the same run: the same bytes written (or read) with
// plain node:fs calls at the same fsync cadence (fdatasync, as the log uses). The ratio
// log/baseline is what the log costs over bare file I/O.
// Batches are pre-encoded (as a producer sends them), so the figures are the log's own
// work: validation, offset assignment, the write, group commit, indexing.
// Run: npm run bench -- log [--quick] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Log } from '../../src/log/log.js';
import { encodeBatch } from '../../src/codec/record-batch.js';
import { median, parseBenchFlags, Reporter } from '../lib/runner.js';

const flags = parseBenchFlags();
const rep = new Reporter('log', flags);
rep.header();

const RUNS = flags.quick ? 3 : 5;
const MiB = 1024 * 1024;

function batchOf(recordSize: number, count: number): Buffer {
  const value = Buffer.alloc(recordSize, 0x61);
  return encodeBatch(Array.from({ length: count }, () => ({ key: null, value })));
}

function appendsFor(batchBytes: number, fsync: boolean): number {
  const target = fsync ? (flags.quick ? 2 : 16) * MiB : (flags.quick ? 8 : 64) * MiB;
  const max = fsync ? (flags.quick ? 40 : 200) : flags.quick ? 4000 : 20000;
  return Math.max(10, Math.min(max, Math.ceil(target / batchBytes)));
}

async function timeLogAppends(batch: Buffer, appends: number, fsync: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-log-'));
  const log = await Log.open({ dataDir: dir });
  try {
    await log.createTopic('bench', 1);
    const p = log.partition('bench', 0);
    const t0 = performance.now();
    // The partition patches baseOffset in place and is done with the buffer once the
    // append resolves, so one buffer serves every sequential append.
    for (let i = 0; i < appends; i++) await p.append(batch, { sync: fsync });
    return performance.now() - t0;
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeRawAppends(batch: Buffer, appends: number, fsync: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-raw-'));
  const fh = await open(join(dir, 'raw.log'), 'a');
  try {
    const t0 = performance.now();
    for (let i = 0; i < appends; i++) {
      await fh.write(batch);
      if (fsync) await fh.datasync(); // what the log uses: fdatasync
    }
    return performance.now() - t0;
  } finally {
    await fh.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const recordSize of [100, 1024]) {
  for (const count of [1, 100, 1000]) {
    for (const fsync of [false, true]) {
      const batch = batchOf(recordSize, count);
      const appends = appendsFor(batch.length, fsync);
      const logMs: number[] = [];
      const rawMs: number[] = [];
      // Interleaved so both see the same disk and cache conditions.
      for (let r = 0; r < RUNS; r++) {
        logMs.push(await timeLogAppends(batch, appends, fsync));
        rawMs.push(await timeRawAppends(batch, appends, fsync));
      }
      const secs = median(logMs) / 1000;
      const rawSecs = median(rawMs) / 1000;
      const records = appends * count;
      const bytes = appends * batch.length;
      const name = `append ${recordSize} B x ${count}/batch${fsync ? ' fsync' : ''}`;
      rep.report(name, 'records/s', records / secs, 'records/s', records / rawSecs);
      rep.report(name, 'MB/s', bytes / MiB / secs, 'MiB/s', bytes / MiB / rawSecs);
    }
  }
}

// Sequential read: a whole partition in 1 MiB reads, against reading the segment file.
{
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-read-'));
  const log = await Log.open({ dataDir: dir });
  try {
    await log.createTopic('bench', 1);
    const p = log.partition('bench', 0);
    const batch = batchOf(1024, 100);
    const total = (flags.quick ? 32 : 256) * MiB;
    const appends = Math.ceil(total / batch.length);
    for (let i = 0; i < appends; i++) await p.append(batch);
    await p.flush();
    const bytes = p.sizeBytes;
    const records = p.logEndOffset;
    const segFile = join(dir, 'topics', 'bench', '0', '00000000000000000000.log');
    const readLog = async (): Promise<number> => {
      const t0 = performance.now();
      let offset = 0;
      let seen = 0;
      while (offset < p.logEndOffset) {
        const { records: buf } = await p.read(offset, { maxBytes: MiB });
        seen += buf.length;
        // The next offset is the one after the last whole batch returned.
        let pos = 0;
        let last = offset;
        while (pos < buf.length) {
          last = buf.readInt32BE(pos + 4) + buf.readInt32BE(pos + 23); // baseOffset low word + lastOffsetDelta
          pos += 12 + buf.readInt32BE(pos + 8);
        }
        offset = last + 1;
      }
      if (seen !== bytes) throw new Error(`read ${seen} bytes, expected ${bytes}`);
      return performance.now() - t0;
    };
    const readRaw = async (): Promise<number> => {
      const fh = await open(segFile, 'r');
      const buf = Buffer.allocUnsafe(MiB);
      try {
        const t0 = performance.now();
        let pos = 0;
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, MiB, pos);
          if (bytesRead === 0) break;
          pos += bytesRead;
        }
        return performance.now() - t0;
      } finally {
        await fh.close();
      }
    };
    await readLog(); // warm the page cache for both
    const logMs: number[] = [];
    const rawMs: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      logMs.push(await readLog());
      rawMs.push(await readRaw());
    }
    const secs = median(logMs) / 1000;
    const rawSecs = median(rawMs) / 1000;
    rep.report('sequential read 1 KiB x 100/batch', 'records/s', records / secs, 'records/s', records / rawSecs);
    rep.report('sequential read 1 KiB x 100/batch', 'MB/s', bytes / MiB / secs, 'MiB/s', bytes / MiB / rawSecs);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
