// Produce-to-consume latency through librdkafka from C (e2e-latency.c): no Node client's event
// loop or GC in the path, so the figure is the broker's plus librdkafka's. The program is
// compiled here on first use with the system C compiler against Debian's librdkafka-dev
// (`apt-get install librdkafka-dev`); without them this case reports why it could not run.
// May import: node built-ins, ./latency.ts, ./driver.ts (types).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LatencyRecorder } from './latency.js';
import type { Acks } from './driver.js';

const SOURCE = new URL('./e2e-latency.c', import.meta.url);

/** Compiles e2e-latency.c once per version of the source (keyed by its modification time). */
function binary(): string {
  const src = SOURCE.pathname;
  const out = path.join(os.tmpdir(), `sluice-e2e-latency-${Math.floor(fs.statSync(src).mtimeMs)}`);
  if (!fs.existsSync(out)) {
    try {
      execFileSync('cc', ['-O2', '-o', out, src, '-lrdkafka', '-lpthread'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
      throw new Error(`could not build ${src} (needs cc and librdkafka-dev): ${stderr.slice(0, 500)}`);
    }
  }
  return out;
}

/** Latency at `rate` records/s over an existing one-partition `topic`; the first `warmupMs` not recorded. */
export async function librdkafkaLatency(address: string, topic: string, rate: number, durationMs: number, warmupMs: number, acks: Acks): Promise<LatencyRecorder> {
  const exe = binary();
  const child = spawn(exe, [address, topic, String(rate), String(durationMs), String(warmupMs), String(acks)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (d: string) => (out += d));
  child.stderr.on('data', (d: Buffer) => {
    if (err.length < 8192) err += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`e2e-latency exited ${code}: ${err}`);
  const lines = out.split('\n').filter((l) => l.length > 0);
  // The program recorded only post-warm-up records: every line is a sample.
  const recorder = new LatencyRecorder(lines.length, Number.NEGATIVE_INFINITY);
  for (const l of lines) recorder.record(0, Number.parseFloat(l));
  return recorder;
}
