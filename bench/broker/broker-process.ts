// Runs `sluice broker` as a child process on a fresh temp data dir, so the benchmark's
// clients (kcat, kafkajs, in this process) are not counted against the broker's CPU, and
// reads the child's CPU time from /proc so figures can be put next to what the broker spent.
// SLUICE_BENCH_PROFILE=<dir> starts the child with `node --cpu-prof` writing there.
// May import: node built-ins only (the broker is reached over the CLI, as a user would).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

export class BrokerProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
    private readonly output: () => string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(extraArgs: string[] = []): Promise<BrokerProcess> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-broker-'));
    const prof = process.env.SLUICE_BENCH_PROFILE;
    const nodeArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'broker', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...extraArgs], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`sluice broker did not start within 60 s: ${out}`)), 60_000);
        const onData = (): void => {
          const m = /listening on [^:]+:(\d+)/.exec(out);
          if (!m) return;
          clearTimeout(t);
          child.stdout!.off('data', onData);
          resolve(Number(m[1]));
        };
        child.stdout!.on('data', onData);
        child.once('exit', (code) => {
          clearTimeout(t);
          reject(new Error(`sluice broker exited ${code} before listening: ${out}`));
        });
      });
      // If this process dies without stop() (a crash mid-benchmark), take the broker with it.
      const reap = (): void => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
      process.once('exit', reap);
      child.once('exit', () => process.off('exit', reap));
      return new BrokerProcess(child, port, dataDir, () => out);
    } catch (err) {
      child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** User + system CPU seconds the broker process has used so far. */
  cpuSeconds(): number {
    try {
      const stat = fs.readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[11] = utime, fields[12] = stime (fields 14 and 15 of proc(5), counted from after the comm).
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return Number.NaN;
    }
  }

  /** Graceful stop (SIGTERM, as the CLI expects), SIGKILL after 20 s; removes the data dir. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** What the broker printed (for error messages). */
  log(): string {
    return this.output();
  }
}
