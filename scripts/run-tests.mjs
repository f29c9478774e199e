// Runs every test file (src/**/*.test.ts beside the code, test/**/*.test.ts across
// modules) with node's own test runner; TypeScript is loaded through tsx.
// Node 20's runner does not expand globs, so the files are listed here.
// Usage: node scripts/run-tests.mjs [path-substring ...]  (filters the file list)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}
const filters = process.argv.slice(2);
const files = [...walk(join(root, 'src'), []), ...walk(join(root, 'test'), [])]
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.SLUICE_TEST_CONCURRENCY ?? '2';
// A test that hangs must fail, not stall CI: no single test may run longer than this.
const timeoutMs = process.env.SLUICE_TEST_TIMEOUT_MS ?? '300000';
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
