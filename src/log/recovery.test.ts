// Recovery after unclean shutdown: a torn last batch is cut at every possible byte and the
// partition comes back at the last whole batch with indexes equal to a full rebuild; a bit
// flipped in a middle batch stops the partition (LOG_CORRUPTED with segment, position and
// offset) while the rest of the log opens, and repair restores service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryFileSystem } from './fs/memory-file-system.js';
import { Partition } from './partition.js';
import { Log } from './log.js';
import { DEFAULT_TOPIC_CONFIG } from './topic-config.js';
import type { TopicConfig } from './topic-config.js';
import { Segment } from './segment/segment.js';
import { scanSegment } from './segment/scan.js';
import { verifyLog } from './verify.js';
import { isSluiceError } from '../errors.js';

const config: TopicConfig = { ...DEFAULT_TOPIC_CONFIG, segmentBytes: 8192 };
const DIR = '/data/t/0';
const open = (fs: MemoryFileSystem): Promise<Partition> =>
  Partition.open({ fs, dir: DIR, topic: 't', index: 0, config: () => config, flush: { mode: 'os' }, clock: () => 1_700_000_000_000 });

/** Copies every file of `src` into a fresh, fully synced MemoryFileSystem, letting `edit` change one. */
async function cloneFs(src: MemoryFileSystem, files: string[], edit?: (path: string, data: Buffer) => Buffer): Promise<MemoryFileSystem> {
  const fs = new MemoryFileSystem({ seed: 7 });
  await fs.mkdir(DIR);
  for (const f of files) {
    let data = (await src.readFile(`${DIR}/${f}`))!;
    if (edit) data = edit(f, Buffer.from(data));
    const fh = await fs.open(`${DIR}/${f}`, 'create');
    await fh.write(data, 0);
    await fh.sync();
    await fh.close();
  }
  await fs.syncDir(DIR);
  return fs;
}

async function build(): Promise<{ fs: MemoryFileSystem; ends: number[]; files: string[]; lastSeg: string; lastBatchStart: number; segSize: number }> {
  const fs = new MemoryFileSystem({ seed: 3 });
  const p = await open(fs);
  const ends: number[] = [];
  for (let i = 0; i < 120; i++) {
    const r = await p.appendRecords(
      Array.from({ length: 1 + (i % 4) }, (_, k) => ({ key: Buffer.from(`k${k}`), value: Buffer.from(`value-${i}-${k}-`.repeat(3)), timestamp: 1000 + i })),
    );
    ends.push(r.lastOffset + 1);
  }
  await p.close();
  const segs = p.segments();
  assert.ok(segs.length >= 3, 'the test log spans several segments');
  const last = segs[segs.length - 1]!;
  const lastSeg = String(last.baseOffset).padStart(20, '0') + '.log';
  const data = (await fs.readFile(`${DIR}/${lastSeg}`))!;
  // Walk to the last batch of the last segment.
  let pos = 0;
  let lastBatchStart = 0;
  while (pos < data.length) {
    lastBatchStart = pos;
    pos += 12 + data.readInt32BE(pos + 8);
  }
  return { fs, ends, files: await fs.readdir(DIR), lastSeg, lastBatchStart, segSize: data.length };
}

async function fullScanIndexes(fs: MemoryFileSystem, p: Partition): Promise<ReturnType<Partition['indexSnapshot']>> {
  const out: ReturnType<Partition['indexSnapshot']> = [];
  let expected = 0;
  for (const info of p.segments()) {
    const seg = await Segment.open(fs, DIR, info.baseOffset, 0);
    seg.resetIndexes();
    await scanSegment(seg, { from: 0, validateFrom: 0, fileSize: seg.size, expectedOffset: Math.max(expected, seg.baseOffset) });
    expected = seg.nextOffset;
    out.push({ baseOffset: seg.baseOffset, offsets: seg.offsetIndex.entries(), times: seg.timeIndex.entries() });
    await seg.close();
  }
  return out;
}

test('a torn last batch is cut at every byte offset; offsets and indexes come back right', async () => {
  const { fs, ends, files, lastSeg, lastBatchStart, segSize } = await build();
  const endBeforeLast = ends[ends.length - 2]!;
  for (let cut = lastBatchStart; cut < segSize; cut++) {
    const fs2 = await cloneFs(fs, files, (f, d) => (f === lastSeg ? d.subarray(0, cut) : d));
    const p = await open(fs2);
    assert.equal(p.logEndOffset, endBeforeLast, `cut at ${cut}: log end offset`);
    assert.equal(p.recoveryReport.truncatedBytes, cut - lastBatchStart, `cut at ${cut}: bytes dropped reported`);
    assert.deepEqual(p.indexSnapshot(), await fullScanIndexes(fs2, p), `cut at ${cut}: rebuilt indexes`);
    const r = await p.appendRecords([{ value: Buffer.from('next') }]);
    assert.equal(r.baseOffset, endBeforeLast, `cut at ${cut}: next offset`);
    await p.close();
  }
  // The untouched copy reopens whole, from its recovery point.
  const whole = await open(await cloneFs(fs, files));
  assert.equal(whole.logEndOffset, ends[ends.length - 1]);
  assert.equal(whole.recoveryReport.truncatedBytes, 0);
  assert.equal(whole.recoveryReport.recoveredFrom, 'recovery-point');
  await whole.close();
});

test('a torn tail past the recovery point after a crash is cut and reported', async () => {
  const fs = new MemoryFileSystem({ seed: 11 });
  const p = await open(fs);
  for (let i = 0; i < 5; i++) await p.appendRecords([{ value: Buffer.from(`v${i}`) }], { sync: true });
  await p.flush(); // recovery point at offset 5
  for (let i = 5; i < 8; i++) await p.appendRecords([{ value: Buffer.from(`v${i}`) }], { sync: true });
  await p.appendRecords([{ value: Buffer.from('unsynced') }]);
  fs.crash();
  const fs2 = fs.powerLoss({ keepUnsyncedWrites: false });
  const q = await open(fs2);
  assert.equal(q.recoveryReport.recoveredFrom, 'recovery-point');
  assert.equal(q.logEndOffset, 8);
  await q.close();
});

test('a flipped bit in a middle batch: LOG_CORRUPTED with details, the rest of the log opens, repair restores service', async () => {
  const fs = new MemoryFileSystem({ seed: 5 });
  let log = await Log.open({ dataDir: '/d', fs, topicDefaults: { segmentBytes: 4096 } });
  await log.createTopic('bad', 1);
  await log.createTopic('good', 1);
  for (let i = 0; i < 60; i++) {
    await log.partition('bad', 0).appendRecords([{ value: Buffer.from(`bad-${i}-`.repeat(5)) }]);
    await log.partition('good', 0).appendRecords([{ value: Buffer.from(`good-${i}`) }]);
  }
  const badDir = log.partitionDir('bad', 0);
  const firstSeg = log.partition('bad', 0).segments()[0]!;
  await log.close();
  // Flip one bit inside the 3rd batch's records (CRC-covered) of the first segment.
  const segPath = `${badDir}/${String(firstSeg.baseOffset).padStart(20, '0')}.log`;
  const data = (await fs.readFile(segPath))!;
  let pos = 0;
  for (let i = 0; i < 2; i++) pos += 12 + data.readInt32BE(pos + 8);
  const flipAt = pos + 70;
  const fh = await fs.open(segPath, 'read-write');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, flipAt);
  b[0]! ^= 0x10;
  await fh.write(b, flipAt);
  await fh.sync();
  await fh.close();
  // Also remove the recovery point so the whole partition is validated, as after a crash.
  await fs.unlink(`${badDir}/recovery-point.json`);

  log = await Log.open({ dataDir: '/d', fs });
  assert.equal(log.partition('good', 0).logEndOffset, 60, 'other partitions open');
  assert.throws(
    () => log.partition('bad', 0),
    (err: unknown) => {
      assert.ok(isSluiceError(err, 'LOG_CORRUPTED'));
      assert.equal(err.details?.segment, segPath);
      assert.equal(err.details?.position, pos);
      assert.equal(err.details?.offset, 2);
      return true;
    },
  );
  assert.equal(log.recoveryReport.failed.length, 1);
  const v = await verifyLog({ dataDir: '/d', fs, topic: 'bad' });
  assert.equal(v.ok, false);
  assert.equal(v.partitions[0]!.problem?.kind, 'corrupted');
  assert.equal(v.partitions[0]!.problem?.lastOffsetAfter, 59);

  const dry = await log.repair('bad', 0, { confirm: false });
  assert.equal(dry.repaired, false);
  assert.throws(() => log.partition('bad', 0), (e: unknown) => isSluiceError(e, 'LOG_CORRUPTED'));
  const rep = await log.repair('bad', 0, { confirm: true });
  assert.equal(rep.repaired, true);
  assert.equal(rep.droppedFromOffset, 2);
  assert.equal(rep.droppedToOffset, 59);
  assert.equal(rep.truncatedAtPosition, pos);
  assert.ok(rep.droppedBytes > 0);
  const p = log.partition('bad', 0);
  assert.equal(p.logEndOffset, 2);
  const r = await p.appendRecords([{ value: Buffer.from('again') }], { sync: true });
  assert.equal(r.baseOffset, 2);
  await log.close();
  assert.equal((await verifyLog({ dataDir: '/d', fs })).ok, true);
});
