// kcat (librdkafka) as the load generator: produce a prepared file of N equal lines with
// `kcat -P -l`, consume it back with `kcat -C -e -o beginning`, timing each process from
// spawn to exit (so connection setup and metadata are included; N is large enough that
// they are noise). Consumed records are counted (newline-separated values) to check that
// all N came back.
// May import: node built-ins only.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

export const KCAT = '/usr/bin/kcat';

/** Writes `count` lines of `size` printable bytes (plus '\n') to `file`. */
export function writeLinesFile(file: string, size: number, count: number): void {
  const line = Buffer.alloc(size + 1);
  for (let i = 0; i < size; i++) line[i] = 97 + ((i * 7) % 26);
  line[size] = 10;
  const chunkLines = Math.max(1, Math.floor((4 << 20) / (size + 1)));
  const chunk = Buffer.alloc(chunkLines * (size + 1));
  for (let i = 0; i < chunkLines; i++) line.copy(chunk, i * (size + 1));
  const fd = fs.openSync(file, 'w');
  try {
    for (let left = count; left > 0; left -= chunkLines) {
      const n = Math.min(left, chunkLines);
      fs.writeSync(fd, chunk, 0, n * (size + 1));
    }
  } finally {
    fs.closeSync(fd);
  }
}

interface RunResult {
  seconds: number;
  newlines: number;
  stderr: string;
}

function runKcat(args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(KCAT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let newlines = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      for (let at = d.indexOf(10); at !== -1; at = d.indexOf(10, at + 1)) newlines++;
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} timed out after ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ seconds, newlines, stderr });
    });
  });
}

/** Produces every line of `file` to `topic`; returns wall seconds. */
export async function kcatProduce(address: string, topic: string, file: string, acks: 1 | -1): Promise<number> {
  const r = await runKcat(
    ['-P', '-b', address, '-t', topic, '-p', '0', '-X', `acks=${acks}`, '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=1000000', '-X', 'compression.codec=none', '-l', file],
    300_000,
  );
  return r.seconds;
}

/**
 * Consumes `topic` partition 0 from the beginning to its end; returns wall seconds and checks the count.
 * Two librdkafka defaults would time the client rather than the broker: its local queue holds
 * 100,000 messages, and once full, fetching resumes only on the client's next wake-up (gaps of
 * 0.5-0.9 s seen with `-d fetch` while the broker sat idle); and `-e` learns it reached the end
 * from an empty fetch that waits fetch.wait.max.ms (500 ms) first. The other consumers stop at
 * the last record, so kcat gets a queue that holds the run and a 5 ms wait at the end.
 */
export async function kcatConsume(address: string, topic: string, expected: number): Promise<number> {
  const r = await runKcat(
    ['-C', '-b', address, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-X', 'fetch.message.max.bytes=8388608',
      '-X', 'queued.min.messages=2000000', '-X', 'queued.max.messages.kbytes=2097151', '-X', 'fetch.wait.max.ms=5'],
    300_000,
  );
  if (r.newlines !== expected) throw new Error(`kcat consumed ${r.newlines} records from ${topic}, expected ${expected}: ${r.stderr}`);
  return r.seconds;
}
