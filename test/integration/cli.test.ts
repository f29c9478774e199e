// The log verbs of the `sluice` command, run as a user would: a real process per command,
// a temporary data directory, and checks of both output and what ended up on disk.
// Spawns are few on purpose (each costs ~0.5 s of CPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partitionForKey } from '../../src/log/partitioner.js';

const root = new URL('../..', import.meta.url).pathname;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sluice(args: string[], options: { input?: string; dataDir: string; signalAfterMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--data-dir', options.dataDir], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    if (options.signalAfterMs !== undefined) {
      // Signal once the command has printed what it had (it then waits for more).
      const poll = setInterval(() => {
        if (stdout.length > 0) {
          clearInterval(poll);
          setTimeout(() => child.kill('SIGTERM'), options.signalAfterMs);
        }
      }, 50);
      child.on('exit', () => clearInterval(poll));
    }
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

function segmentFiles(dataDir: string, topic: string, partition: number): string[] {
  const dir = join(dataDir, 'topics', topic, String(partition));
  return readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort()
    .map((n) => join(dir, n));
}

test('sluice topics / produce / consume / log end to end', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  const dataDir = join(tmp, 'data');
  try {
    // Bad input creates nothing, not even the data directory.
    let r = await sluice(['topics', 'create', 'bad name!'], { dataDir });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /INVALID_TOPIC_NAME/);
    assert.equal(existsSync(dataDir), false);

    r = await sluice(['topics', 'create', 'clicks', '--partitions', '3', '--config', 'max.message.bytes=2000'], { dataDir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created topic clicks with 3 partitions/);

    // An oversized line at the end of a file: refused, nothing written.
    const file = join(tmp, 'in.txt');
    writeFileSync(file, `k1:v1\nk2:v2\nbig:${'x'.repeat(5000)}\n`);
    r = await sluice(['produce', 'clicks', '--file', file, '--key-separator', ':'], { dataDir });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /BATCH_TOO_LARGE.*line 3/);
    r = await sluice(['topics', 'describe', 'clicks', '--json'], { dataDir });
    const before = JSON.parse(r.stdout) as { partitions: { logEndOffset: number }[]; config: Record<string, string> };
    assert.deepEqual(
      before.partitions.map((p) => p.logEndOffset),
      [0, 0, 0],
    );
    assert.equal(before.config['max.message.bytes'], '2000');

    // A good keyed file: records go to Kafka's murmur2 partitions.
    const lines = Array.from({ length: 30 }, (_, i) => `user-${i % 7}:event ${i} ✓`);
    writeFileSync(file, lines.join('\r\n') + '\n');
    r = await sluice(['produce', 'clicks', '--file', file, '--key-separator', ':', '--compression', 'lz4'], { dataDir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /produced 30 records to clicks/);

    // Out-of-range partition: refused.
    r = await sluice(['produce', 'clicks', '--partition', '7'], { dataDir, input: 'x\n' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /PARTITION_OUT_OF_RANGE/);

    // Unkeyed lines from stdin into partition 0.
    r = await sluice(['produce', 'clicks', '--partition', '0', '--batch-size', '1'], { dataDir, input: 'plain one\nplain two\n' });
    assert.equal(r.code, 0, r.stderr);

    r = await sluice(['consume', 'clicks', '--format', 'json'], { dataDir });
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { partition: number; offset: number; key: string | null; value: string; timestamp: number });
    assert.equal(rows.length, 32);
    for (const line of lines) {
      const [key, value] = line.split(':') as [string, string];
      const row = rows.find((x) => x.value === value);
      assert.ok(row, `missing ${line}`);
      assert.equal(row.key, key);
      assert.equal(row.partition, partitionForKey(Buffer.from(key), 3));
    }
    const p0 = rows.filter((x) => x.partition === 0);
    assert.deepEqual(
      p0.map((x) => x.offset),
      p0.map((_, i) => i),
    );
    assert.deepEqual(
      p0.slice(-2).map((x) => [x.key, x.value]),
      [
        [null, 'plain one'],
        [null, 'plain two'],
      ],
    );

    // --partition, --offset, --max and the kv format.
    r = await sluice(['consume', 'clicks', '--partition', '0', '--offset', String(p0.length - 2), '--max', '1', '--format', 'kv'], { dataDir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '\tplain one\n');
    r = await sluice(['consume', 'clicks', '--partition', '0', '--offset', '999'], { dataDir });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /OFFSET_OUT_OF_RANGE/);
    r = await sluice(['consume', 'clicks', '--from-time', new Date(Date.now() + 3_600_000).toISOString()], { dataDir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '', 'nothing is newer than an hour from now');
    r = await sluice(['consume', 'nope'], { dataDir });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /UNKNOWN_TOPIC/);

    // --follow prints what is there, then waits until told to stop.
    r = await sluice(['consume', 'clicks', '--partition', '0', '--follow'], { dataDir, signalAfterMs: 300 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, p0.length);

    r = await sluice(['topics', 'alter-config', 'clicks', '--config', 'retention.ms=1000'], { dataDir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /retention\.ms=1000/);

    // Verify a healthy log, then damage a batch in the middle of partition 0.
    r = await sluice(['log', 'verify'], { dataDir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /no corruption/);
    const seg = segmentFiles(dataDir, 'clicks', 0)[0]!;
    const bytes = readFileSync(seg);
    const firstBatchLen = 12 + bytes.readInt32BE(8);
    assert.ok(firstBatchLen < bytes.length, 'partition 0 needs a second batch after the damaged one');
    bytes[firstBatchLen - 3]! ^= 0xff;
    writeFileSync(seg, bytes);
    r = await sluice(['log', 'verify'], { dataDir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`clicks-0: CORRUPTED in .*00000000000000000000\\.log at byte 0 \\(offset 0\\)`));
    assert.match(r.stdout, /1 corrupted/);
    // Repair without --yes changes nothing.
    r = await sluice(['log', 'repair'], { dataDir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /clicks-0: would drop offsets 0\.\./);
    assert.equal(statSync(seg).size, bytes.length);
    r = await sluice(['log', 'repair', '--yes'], { dataDir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /clicks-0: dropped offsets 0\.\./);
    assert.equal(statSync(seg).size, 0);
    r = await sluice(['log', 'verify', '--topic', 'clicks', '--partition', '1'], { dataDir });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /checked 1 partition/);

    r = await sluice(['topics', 'delete', 'clicks'], { dataDir });
    assert.equal(r.code, 0, r.stderr);
    r = await sluice(['topics', 'list'], { dataDir });
    assert.equal(r.stdout, '(no topics)\n');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
