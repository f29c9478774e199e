// Partition.read through the tail cache and through the file: every read returns exactly the
// bytes the log holds (whole batches from the one holding the offset, within maxBytes, below
// the high watermark / LSO), with the cache on or off, across rolls, evictions and failures;
// a caught-up reader is served without a file read; returned bytes belong to the caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryFileSystem } from './fs/memory-file-system.js';
import type { FileHandle, FileSystem, OpenMode } from './fs/file-system.js';
import { Log } from './log.js';
import type { LogOptions } from './log.js';
import type { Partition } from './partition.js';
import { decodeBatches, encodeBatch, setBaseOffset } from '../codec/record-batch.js';

/** Counts positional reads of segment files (everything else passes straight through). */
class CountingFileSystem implements FileSystem {
  segmentReads = 0;
  constructor(readonly inner: FileSystem) {}
  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const fh = await this.inner.open(path, mode);
    if (!path.endsWith('.log')) return fh;
    const read = fh.read.bind(fh);
    return Object.assign(Object.create(fh) as FileHandle, {
      read: (buf: Buffer, offset: number, length: number, position: number): Promise<number> => {
        this.segmentReads++;
        return read(buf, offset, length, position);
      },
    });
  }
  readFile(path: string): Promise<Buffer | undefined> {
    return this.inner.readFile(path);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  unlink(path: string): Promise<void> {
    return this.inner.unlink(path);
  }
  readdir(path: string): Promise<string[]> {
    return this.inner.readdir(path);
  }
  mkdir(path: string): Promise<void> {
    return this.inner.mkdir(path);
  }
  rmdir(path: string): Promise<void> {
    return this.inner.rmdir(path);
  }
  stat(path: string): ReturnType<FileSystem['stat']> {
    return this.inner.stat(path);
  }
  syncDir(path: string): Promise<void> {
    return this.inner.syncDir(path);
  }
}

async function openLog(fs: FileSystem, extra: Partial<LogOptions> = {}): Promise<Log> {
  return Log.open({ dataDir: '/data', fs, clock: () => 1_700_000_000_000, cleaner: false, ...extra });
}

interface Written {
  base: number;
  last: number;
  bytes: Buffer;
}

/** The bytes a correct read returns, from every batch written (see Partition.read). */
function expected(written: Written[], offset: number, maxBytes: number, upper: number): { first: number; bytes: Buffer } {
  const k = written.findIndex((w) => w.last >= offset);
  const out: Buffer[] = [];
  let total = 0;
  for (let i = k; k >= 0 && i < written.length; i++) {
    const w = written[i]!;
    if (w.base >= upper || (total > 0 && total + w.bytes.length > maxBytes)) break;
    out.push(w.bytes);
    total += w.bytes.length;
  }
  return { first: k, bytes: Buffer.concat(out) };
}

/**
 * A read is right when it is a run of the written batches starting at the one holding
 * `offset`, not empty while that batch is visible, within maxBytes after the first, below
 * `upper`; the file path may stop early at a segment's end, so it may be a prefix of the
 * longest such run.
 */
function assertRightRead(written: Written[], offset: number, maxBytes: number, upper: number, got: Buffer, what: string): void {
  const want = expected(written, offset, maxBytes, upper);
  const w0 = written[want.first];
  if (w0 && w0.base < upper) assert.ok(got.length > 0, `${what}: empty read at ${offset}`);
  assert.ok(got.length <= want.bytes.length, `${what}: ${got.length} bytes, at most ${want.bytes.length} expected`);
  assert.deepEqual(got, want.bytes.subarray(0, got.length), `${what}: bytes at ${offset}`);
  const batches = decodeBatches(got);
  if (batches.length > 0) assert.equal(batches[batches.length - 1]!.header.baseOffset + batches[batches.length - 1]!.header.lastOffsetDelta + 1 <= upper, true);
}

function batchOf(n: number, size: number, tag: number): Buffer {
  return encodeBatch(Array.from({ length: n }, (_, i) => ({ value: Buffer.alloc(size, (tag + i) & 0xff), timestamp: 1000 + tag })));
}

test('property: reads through the cache and through the file return exactly what was written', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.record({ kind: fc.constant('append' as const), n: fc.integer({ min: 1, max: 4 }), size: fc.integer({ min: 0, max: 3000 }) }),
          fc.record({ kind: fc.constant('read' as const), back: fc.nat(40), maxBytes: fc.integer({ min: 0, max: 20_000 }) }),
        ),
        { minLength: 1, maxLength: 80 },
      ),
      fc.boolean(),
      async (ops, cacheOn) => {
        const fs = new CountingFileSystem(new MemoryFileSystem({ seed: 11 }));
        // 256 KiB per partition: 4 slabs of 64 KiB, so batches go in and out of the cache.
        const log = await openLog(fs, { tailCache: cacheOn ? { partitionBytes: 256 * 1024 } : false });
        try {
          await log.createTopic('t', 1, { segmentBytes: 8 * 1024 });
          const p = log.partition('t', 0);
          const written: Written[] = [];
          let tag = 0;
          for (const op of ops) {
            if (op.kind === 'append') {
              const buf = batchOf(op.n, op.size, tag++);
              const r = await p.append(buf);
              const copy = Buffer.from(buf);
              setBaseOffset(copy, 0, r.baseOffset);
              written.push({ base: r.baseOffset, last: r.lastOffset, bytes: copy });
              buf.fill(0xee); // the caller reuses its buffer: the log must not have kept it
            } else if (written.length > 0) {
              const w = written[Math.max(0, written.length - 1 - op.back)]!;
              const offset = w.base + (op.back % (w.last - w.base + 1));
              const { records } = await p.read(offset, { maxBytes: op.maxBytes });
              assertRightRead(written, offset, op.maxBytes, p.highWatermark, records, cacheOn ? 'cache on' : 'cache off');
              records.fill(0xdd); // the caller's to change
            }
          }
          // A full scan from the start (each read resuming where the last ended, often
          // mid-segment) sees every byte once, in order.
          let offset = 0;
          const all: Buffer[] = [];
          while (offset < p.logEndOffset) {
            const { records } = await p.read(offset, { maxBytes: 500 + (offset % 7) * 300 });
            assert.ok(records.length > 0);
            all.push(Buffer.from(records));
            const bs = decodeBatches(records);
            offset = bs[bs.length - 1]!.header.baseOffset + bs[bs.length - 1]!.header.lastOffsetDelta + 1;
          }
          assert.deepEqual(Buffer.concat(all), Buffer.concat(written.map((w) => w.bytes)));
        } finally {
          await log.close();
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('a caught-up reader is served from memory: no segment file read', async () => {
  const fs = new CountingFileSystem(new MemoryFileSystem({ seed: 12 }));
  const log = await openLog(fs);
  await log.createTopic('t', 1);
  const p = log.partition('t', 0);
  let offset = 0;
  const before = fs.segmentReads;
  for (let i = 0; i < 200; i++) {
    await p.appendRecords([{ value: Buffer.from(`v${i}`) }, { value: Buffer.from(`w${i}`) }]);
    const { records } = await p.read(offset, { maxBytes: 1 << 20 });
    const [b] = decodeBatches(records);
    assert.deepEqual(b!.records.map((r) => r.value!.toString()), [`v${i}`, `w${i}`]);
    offset += 2;
  }
  assert.equal(fs.segmentReads, before, 'tail reads went to the file');
  // With the cache off the same reads do go to the file (so the count above means something).
  const fs2 = new CountingFileSystem(new MemoryFileSystem({ seed: 13 }));
  const log2 = await openLog(fs2, { tailCache: false });
  await log2.createTopic('t', 1);
  const p2 = log2.partition('t', 0);
  await p2.appendRecords([{ value: Buffer.from('x') }]);
  const before2 = fs2.segmentReads;
  await p2.read(0, { maxBytes: 1 << 20 });
  assert.ok(fs2.segmentReads > before2);
  await log.close();
  await log2.close();
});

test('a sequential reader of the file resumes where it stopped: one file read per read', async () => {
  const fs = new CountingFileSystem(new MemoryFileSystem({ seed: 14 }));
  const log = await openLog(fs, { tailCache: false });
  await log.createTopic('t', 1);
  const p = log.partition('t', 0);
  for (let i = 0; i < 300; i++) await p.append(batchOf(10, 100, i)); // ~1.3 KiB batches
  let offset = 0;
  let reads = 0;
  const before = fs.segmentReads;
  while (offset < p.logEndOffset) {
    const { records } = await p.read(offset, { maxBytes: 16 * 1024 });
    const bs = decodeBatches(records);
    offset = bs[bs.length - 1]!.header.baseOffset + bs[bs.length - 1]!.header.lastOffsetDelta + 1;
    reads++;
  }
  assert.equal(fs.segmentReads - before, reads);
  await log.close();
});

test('every-append flushing: cached batches stay invisible until their fsync', async () => {
  const mem = new MemoryFileSystem({ seed: 15 });
  const log = await openLog(mem, { flush: { mode: 'every-append' } });
  await log.createTopic('t', 1);
  const p = log.partition('t', 0);
  await p.appendRecords([{ value: Buffer.from('durable') }]);
  mem.failNextSync({ path: '/t/0/' });
  const pending = p.appendRecords([{ value: Buffer.from('never durable') }]);
  // Written (and cached) but not yet fsynced: not visible.
  await new Promise((r) => setImmediate(r));
  const r = await p.read(1, { maxBytes: 1 << 20 }).catch(() => undefined);
  if (r) assert.equal(r.records.length, 0);
  const all = await p.read(0, { maxBytes: 1 << 20 });
  assert.deepEqual(decodeBatches(all.records).flatMap((b) => b.records.map((x) => x.value!.toString())), ['durable']);
  await assert.rejects(pending);
  const again = await p.appendRecords([{ value: Buffer.from('next') }]);
  assert.equal(again.baseOffset, 1);
  const after = await p.read(0, { maxBytes: 1 << 20 });
  assert.deepEqual(decodeBatches(after.records).flatMap((b) => b.records.map((x) => x.value!.toString())), ['durable', 'next']);
  await log.close();
});

test('a failed fsync rewinds the log: the cache never serves the rewound batches', async () => {
  const mem = new MemoryFileSystem({ seed: 16 });
  const log = await openLog(mem);
  await log.createTopic('t', 1);
  const p = log.partition('t', 0);
  await p.appendRecords([{ value: Buffer.from('a') }], { sync: true });
  await p.appendRecords([{ value: Buffer.from('b') }]); // visible under 'os' flushing, not durable
  assert.equal((await p.read(1, { maxBytes: 100 })).records.length > 0, true);
  mem.failNextSync({ path: '/t/0/' });
  await assert.rejects(p.appendRecords([{ value: Buffer.from('c') }], { sync: true }));
  await p.appendRecords([{ value: Buffer.from('B') }, { value: Buffer.from('C') }], { sync: true });
  const values = async (): Promise<string[]> => decodeBatches((await p.read(0, { maxBytes: 1 << 20 })).records).flatMap((b) => b.records.map((x) => `${x.offset}:${x.value!.toString()}`));
  assert.deepEqual(await values(), ['0:a', '1:B', '2:C']);
  const tail = decodeBatches((await p.read(1, { maxBytes: 1 << 20 })).records);
  assert.equal(tail[0]!.records[0]!.value!.toString(), 'B');
  await log.close();
});

test('read_committed: cached batches of an open transaction stay behind the LSO', async () => {
  const log = await openLog(new MemoryFileSystem({ seed: 17 }));
  await log.createTopic('t', 1);
  const p: Partition = log.partition('t', 0);
  await p.appendRecords([{ value: Buffer.from('plain') }]);
  await p.append(encodeBatch([{ value: Buffer.from('txn') }], { producerId: 7, producerEpoch: 0, baseSequence: 0, isTransactional: true }));
  await p.appendRecords([{ value: Buffer.from('after') }]);
  const committed = await p.read(0, { maxBytes: 1 << 20, isolation: 'read_committed' });
  assert.deepEqual(decodeBatches(committed.records).map((b) => b.header.baseOffset), [0]);
  assert.equal((await p.read(1, { maxBytes: 1 << 20, isolation: 'read_committed' })).records.length, 0);
  const uncommitted = await p.read(0, { maxBytes: 1 << 20 });
  assert.deepEqual(decodeBatches(uncommitted.records).map((b) => b.header.baseOffset), [0, 1, 2]);
  await p.appendControl({ producerId: 7, producerEpoch: 0, commit: false, coordinatorEpoch: 0 });
  const done = await p.read(1, { maxBytes: 1 << 20, isolation: 'read_committed' });
  assert.deepEqual(done.abortedTransactions, [{ producerId: 7, firstOffset: 1 }]);
  await log.close();
});

test('the log-wide cap holds across many partitions', async () => {
  const log = await openLog(new MemoryFileSystem({ seed: 18 }), { tailCache: { partitionBytes: 256 * 1024, totalBytes: 512 * 1024 } });
  await log.createTopic('t', 6);
  for (let round = 0; round < 30; round++) {
    for (let i = 0; i < 6; i++) {
      await log.partition('t', i).append(batchOf(4, 2000, round));
      assert.ok(log.tailCacheBytes <= 512 * 1024, `${log.tailCacheBytes} bytes cached`);
    }
  }
  // Every partition still reads back correctly from wherever its bytes are.
  for (let i = 0; i < 6; i++) {
    const { records } = await log.partition('t', i).read(0, { maxBytes: 1 << 30 });
    assert.equal(decodeBatches(records).length, 30);
  }
  await log.close();
  assert.equal(log.tailCacheBytes, 0, 'close returns the memory');
});

test('defaults: a partition with one small append holds one 256 KiB slab; tailCache: false holds nothing', async () => {
  const log = await openLog(new MemoryFileSystem({ seed: 19 }));
  const base = log.tailCacheBytes; // internal topics may have cached their own appends
  await log.createTopic('t', 3);
  await log.partition('t', 1).appendRecords([{ value: Buffer.from('x') }]);
  assert.equal(log.tailCacheBytes - base, 256 * 1024);
  await log.close();
  const off = await openLog(new MemoryFileSystem({ seed: 20 }), { tailCache: false });
  await off.createTopic('t', 1);
  await off.partition('t', 0).appendRecords([{ value: Buffer.from('x') }]);
  assert.equal(off.tailCacheBytes, 0);
  assert.deepEqual(decodeBatches((await off.partition('t', 0).read(0, { maxBytes: 100 })).records)[0]!.records[0]!.value, Buffer.from('x'));
  await off.close();
});
