// Runs a job script as a child process (through tsx) for the kill-and-restart tests, and kills
// it with SIGKILL on cue: a delay after it first prints a line, or at once on a line. A guard
// kills it after `guardMs` whatever happens, so a stuck child cannot stall the suite.
// May import node built-ins only.
import { spawn } from 'node:child_process';

export interface ChildRun {
  code: number | null;
  signal: string | null;
}

export interface KillPlan {
  /** SIGKILL this long after the child first prints `afterLine`. */
  readonly afterMs?: number | undefined;
  /** What starts the `afterMs` clock; default 'running' (module loading takes a while on a busy machine). */
  readonly afterLine?: string | undefined;
  /** SIGKILL as soon as the child prints this. */
  readonly on?: string | undefined;
  /** Sees every chunk the child prints, before the kill rules. */
  readonly onOutput?: ((chunk: string) => void) | undefined;
  /** Default 60 s. */
  readonly guardMs?: number | undefined;
}

/** Resolves with how the child ended; rejects when it exits non-zero on its own (with its stderr). */
export function runChildJob(script: string, args: readonly string[], kill: KillPlan = {}): Promise<ChildRun> {
  const afterLine = kill.afterLine ?? 'running';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      const s = d.toString();
      kill.onOutput?.(s);
      if (kill.on !== undefined && s.includes(kill.on)) child.kill('SIGKILL');
      if (kill.afterMs !== undefined && timer === undefined && s.includes(afterLine)) timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), kill.guardMs ?? 60_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(guard);
      if (code !== 0 && signal === null) reject(new Error(`job exited with ${code}: ${err}`));
      else resolve({ code, signal });
    });
  });
}
