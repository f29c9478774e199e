// The file sink: JSON lines and CSV in rolling files, visible only under their final names
// once a checkpoint completes. A job killed with SIGKILL at random moments and restarted from
// its checkpoint leaves no partial line, no duplicate and no missing record, and no
// in-progress leftovers once it finished.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from '../../src/engine/api/pipeline.js';
import { fromCollection } from '../../src/engine/sources/collection-source.js';
import { fileSink } from '../../src/connectors/file/file-sink.js';
import { parseCsv } from '../../src/connectors/file/csv.js';
import { runChildJob, type ChildRun } from './support/child-job.js';

const JOB = new URL('./fixtures/connectors-file-job.ts', import.meta.url).pathname;

function runChild(outDir: string, ckDir: string, n: number, killAfterMs?: number): Promise<ChildRun> {
  return runChildJob(JOB, [outDir, ckDir, String(n)], { afterMs: killAfterMs });
}

/** Every line of every visible (final) file; throws on a partial line. */
function visibleRecords(dir: string): { p: number; i: number }[] {
  const out: { p: number; i: number }[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const text = readFileSync(join(dir, name), 'utf8');
    assert.ok(text.endsWith('\n'), `${name} ends with a whole line`);
    for (const line of text.split('\n')) if (line) out.push(JSON.parse(line) as { p: number; i: number });
  }
  return out;
}

test('killed 8 times at random moments: each record exactly once in the visible files', { timeout: 80_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-filesink-'));
  const outDir = join(dir, 'out');
  const ckDir = join(dir, 'ck');
  const N = 15000;
  try {
    let kills = 0;
    let sawPartialState = false;
    while (kills < 8) {
      const r = await runChild(outDir, ckDir, N, 40 + Math.floor(Math.random() * 250));
      if (r.signal !== 'SIGKILL') break;
      kills++;
      // Between runs: what is visible is whole lines without duplicates (a prefix of the final result).
      const seen = visibleRecords(outDir);
      const keys = new Set(seen.map((r) => `${r.p}:${r.i}`));
      assert.equal(keys.size, seen.length, 'no duplicates visible after a kill');
      if (readdirSync(outDir).some((n) => n.endsWith('.inprogress'))) sawPartialState = true;
    }
    assert.ok(kills >= 3, `the job was killed mid-run (${kills} times)`);
    assert.ok(sawPartialState, 'some kill left an in-progress file behind');
    assert.equal((await runChild(outDir, ckDir, N)).code, 0);
    const all = visibleRecords(outDir);
    assert.equal(all.length, 2 * N);
    for (const p of [0, 1]) {
      const is = all.filter((r) => r.p === p).map((r) => r.i).sort((a, b) => a - b);
      assert.deepEqual(is, Array.from({ length: N }, (_, i) => i));
    }
    assert.deepEqual(readdirSync(outDir).filter((n) => n.startsWith('.')), [], 'no in-progress leftovers');
    assert.ok(readdirSync(outDir).length > 4, 'files rolled');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CSV with a header per file; a bounded job without checkpoints renames on finish', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-filecsv-'));
  try {
    const rows = [
      { id: 1, name: 'plain' },
      { id: 2, name: 'with, comma' },
      { id: 3, name: 'quote "q"\nand newline' },
    ];
    const job = pipeline('csv-out');
    job.from(fromCollection(rows)).to(fileSink({ dir, format: 'csv', columns: ['id', 'name'] }));
    await job.run();
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^part-0-0-0\.csv$/);
    assert.deepEqual(parseCsv(readFileSync(join(dir, files[0]!), 'utf8')), [['id', 'name'], ...rows.map((r) => [String(r.id), r.name])]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
