// Runs one benchmark program: `npm run bench -- <name> [--quick] [--json]` executes
// bench/<name>/main.ts through tsx with the remaining flags. Benchmarks are programs,
// never timed assertions in tests; see bench/README.md.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const available = readdirSync(join(root, 'bench'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'bench', d.name, 'main.ts')))
  .map((d) => d.name)
  .sort();
const [name, ...rest] = process.argv.slice(2);
if (name === undefined || name === '--help' || name === '-h') {
  console.log(`Usage: npm run bench -- <name> [--quick] [--json]\n\nBenchmarks: ${available.join(', ') || '(none)'}`);
  process.exit(name === undefined ? 1 : 0);
}
if (!available.includes(name)) {
  console.error(`unknown benchmark '${name}'; available: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}
const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', name, 'main.ts'), ...rest], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
