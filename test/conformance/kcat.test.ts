// kcat (librdkafka 2.0.2) against the Sluice broker: metadata listing, and 100,000 lines
// produced and consumed back byte-identical with each compression codec, with and without
// the idempotent producer (enable.idempotence=true exercises InitProducerId and sequence
// checks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { startBroker } from './broker-harness.js';

const KCAT = '/usr/bin/kcat';
const LINES = 100_000;

function run(args: string[], input?: Buffer, timeoutMs = 120_000): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} timed out: ${err}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

function lines(tag: string): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < LINES; i++) parts.push(`${tag} line ${i} ${'é✓'.repeat(i % 7)} ${i * 7919}`);
  return Buffer.from(parts.join('\n') + '\n');
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('kcat -L lists this broker as node 0, the controller, and the topics', async () => {
  const h = await startBroker();
  try {
    await h.log.createTopic('listed', 3);
    const r = await run(['-b', h.address, '-L']);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout.toString();
    assert.match(text, new RegExp(`broker 0 at 127\\.0\\.0\\.1:${h.broker.port} \\(controller\\)`));
    assert.match(text, /topic "listed" with 3 partitions/);
    assert.match(text, /partition 2, leader 0, replicas: 0, isrs: 0/);
  } finally {
    await h.stop();
  }
});

test('kcat: 100,000 lines round-trip byte-identical with every codec, idempotent and not', { timeout: 600_000 }, async () => {
  const h = await startBroker();
  try {
    const cases: [string, boolean][] = [
      ['none', true],
      ['gzip', true],
      ['snappy', false],
      ['lz4', true],
      ['zstd', false],
    ];
    for (const [codec, idempotent] of cases) {
      const topic = `kcat-${codec}`;
      const input = lines(codec);
      const produce = ['-b', h.address, '-P', '-t', topic, '-p', '0', '-z', codec, '-X', 'linger.ms=5'];
      if (idempotent) produce.push('-X', 'enable.idempotence=true');
      const p = await run(produce, input);
      assert.equal(p.code, 0, `${codec}: produce failed: ${p.stderr}`);
      assert.equal(h.log.partition(topic, 0).highWatermark, LINES, `${codec}: every line stored once`);
      const c = await run(['-b', h.address, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-D', '\n']);
      assert.equal(c.code, 0, `${codec}: consume failed: ${c.stderr}`);
      assert.equal(c.stdout.length, input.length, `${codec}: same byte count`);
      assert.equal(sha(c.stdout), sha(input), `${codec}: byte-identical`);
    }
  } finally {
    await h.stop();
  }
});
