// A child process of the e2e benchmark (the job, or the producer): started through tsx, its
// stdout split into lines for the benchmark to wait on, its CPU time read from /proc (Linux),
// stopped with SIGTERM (SIGKILL after a timeout) and killed if the benchmark itself exits.
// SLUICE_BENCH_PROFILE=<dir> makes children started with `profile: true` run under
// `node --cpu-prof --cpu-prof-dir=<dir>`.
// May import: node built-ins only.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createInterface } from 'node:readline';

const ROOT = new URL('../..', import.meta.url).pathname;

export class Child {
  private readonly waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  private readonly output: string[] = [];
  private exited = false;

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
    private readonly onLine: (line: string) => void,
  ) {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      this.keep(line);
      this.onLine(line);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i]!;
        if (w.test(line)) {
          this.waiters.splice(i, 1);
          w.resolve(line);
        }
      }
    });
    createInterface({ input: proc.stderr! }).on('line', (line) => this.keep(`stderr: ${line}`));
    const reap = (): void => {
      if (!this.exited) proc.kill('SIGKILL');
    };
    process.once('exit', reap);
    proc.once('exit', () => {
      this.exited = true;
      process.off('exit', reap);
    });
  }

  static start(name: string, script: string, args: string[], options: { profile?: boolean; onLine?: (line: string) => void } = {}): Child {
    const prof = process.env.SLUICE_BENCH_PROFILE;
    const nodeArgs = options.profile && prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
    const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', `${ROOT}${script}`, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    return new Child(name, proc, options.onLine ?? (() => undefined));
  }

  private keep(line: string): void {
    if (line.startsWith('{"stat"')) return;
    this.output.push(line);
    if (this.output.length > 50) this.output.shift();
  }

  /** Resolves with the first line (from now on) that passes `test`; rejects on timeout or exit. */
  waitFor(test: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`${this.name} has exited, waiting for ${what}:\n${this.log()}`));
      const entry = { test, resolve: (l: string) => done(() => resolve(l)) };
      const onExit = (): void => done(() => reject(new Error(`${this.name} exited while waiting for ${what}:\n${this.log()}`)));
      const t = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${this.name}: ${what}\n${this.log()}`))), timeoutMs);
      const done = (f: () => void): void => {
        clearTimeout(t);
        this.proc.off('exit', onExit);
        const i = this.waiters.indexOf(entry);
        if (i >= 0) this.waiters.splice(i, 1);
        f();
      };
      this.proc.once('exit', onExit);
      this.waiters.push(entry);
    });
  }

  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  /** User + system CPU seconds the child has used so far (NaN where /proc is missing). */
  cpuSeconds(): number {
    try {
      const stat = fs.readFileSync(`/proc/${this.proc.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return Number.NaN;
    }
  }

  /** SIGTERM (the children stop gracefully on it), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(t);
  }

  log(): string {
    return this.output.join('\n');
  }
}
