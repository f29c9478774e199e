// `npm start`: runs Sluice's main job on embedded defaults. Until the clickstream job
// lands this runs the most complete end-to-end path the project has.
import { spawn } from 'node:child_process';
const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo', ...process.argv.slice(2)], {
  cwd: new URL('..', import.meta.url).pathname,
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
