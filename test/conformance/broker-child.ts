// Runs `sluice broker` as a child process (so a test can SIGKILL it like a crash, or SIGTERM
// it for a graceful stop) and waits for its "listening on" lines.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface BrokerChild {
  child: ChildProcess;
  /** The Kafka port from "sluice broker listening on host:port". */
  port: number;
  /** The registry URL from "sluice registry listening on URL", when started with --registry. */
  registryUrl: string | undefined;
  output(): string;
  /** Sends `signal` and resolves with the exit code once the process is gone (SIGKILL after 15 s). */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

export async function startBrokerChild(dataDir: string, extraArgs: string[] = []): Promise<BrokerChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'broker', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const wantRegistry = extraArgs.includes('--registry');
  const { port, registryUrl } = await new Promise<{ port: number; registryUrl: string | undefined }>((resolve, reject) => {
    const onExit = (code: number | null): void => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`broker exited ${code}: ${out}`));
    };
    const timer = setTimeout(() => {
      clearInterval(poll);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(new Error(`broker did not start: ${out}`));
    }, 30_000);
    const poll = setInterval(() => {
      const k = /broker listening on [^\s]+:(\d+)/.exec(out);
      const r = /registry listening on (http:\/\/\S+)/.exec(out);
      if (k && (!wantRegistry || r)) {
        clearInterval(poll);
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve({ port: Number(k[1]), registryUrl: r?.[1] });
      }
    }, 20);
    child.once('exit', onExit);
  });
  return {
    child,
    port,
    registryUrl,
    output: () => out,
    stop(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((resolve) => {
        const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', (code) => {
          clearTimeout(force);
          resolve(code);
        });
        child.kill(signal);
      });
    },
  };
}
