// `sluice registry` as a real process and `sluice schema ...` against it: register, get, list,
// check (exit 3 when incompatible), codegen, delete; SIGTERM stops the registry cleanly and a
// restart keeps the ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { schemaVerb } from '../../src/cli/schema.js';

const root = path.join(import.meta.dirname, '..', '..');

function startCli(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'sluice.js'), 'registry', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`registry did not start: ${out} ${err}`));
    }, 30_000);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited with ${code}: ${err}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.removeAllListeners('exit');
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

async function schema(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const orig = console.log;
  const origWrite = process.stdout.write.bind(process.stdout);
  console.log = (...a: unknown[]) => lines.push(a.join(' '));
  process.stdout.write = ((chunk: string) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await schemaVerb.run(args);
    return { code, out: lines.join('\n') };
  } finally {
    console.log = orig;
    process.stdout.write = origWrite;
  }
}

test('sluice registry + sluice schema', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-regcli-'));
  try {
    let { child, url } = await startCli(dir);
    const v1 = path.join(dir, 'user.avsc');
    fs.writeFileSync(v1, JSON.stringify({ type: 'record', name: 'User', fields: [{ name: 'id', type: 'long' }, { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } }] }));
    const bad = path.join(dir, 'bad.avsc');
    fs.writeFileSync(bad, JSON.stringify({ type: 'record', name: 'User', fields: [{ name: 'id', type: 'string' }] }));
    const proto = path.join(dir, 'o.proto');
    fs.writeFileSync(proto, 'syntax = "proto3";\nmessage O { string id = 1; repeated int32 q = 2; }\n');

    const reg = await schema(['register', 'users-value', v1, '--url', url]);
    assert.equal(reg.code, 0);
    assert.deepEqual(JSON.parse(reg.out), { id: 1 });
    assert.deepEqual(JSON.parse((await schema(['register', 'orders-value', proto, '--url', url])).out), { id: 2 });
    assert.deepEqual(JSON.parse((await schema(['list', '--url', url])).out), ['orders-value', 'users-value']);
    const got = JSON.parse((await schema(['get', 'orders-value', '--url', url])).out) as { schemaType: string; version: number };
    assert.equal(got.schemaType, 'PROTOBUF');
    assert.equal(got.version, 1);
    const check = await schema(['check', 'users-value', bad, '--url', url]);
    assert.equal(check.code, 3);
    assert.match(check.out, /fields\/id/);
    const gen = await schema(['codegen', 'users-value', '--url', url]);
    assert.match(gen.out, /export interface User \{\n {2}id: number;\n {2}kind: Kind;\n\}/);
    assert.match(gen.out, /export type Kind = "A" \| "B";/);
    await assert.rejects(schema(['get', 'nope', '--url', url]), (e: Error & { code?: string }) => e.code === 'SCHEMA_NOT_FOUND');

    assert.equal(await stop(child), 0);
    ({ child, url } = await startCli(dir));
    assert.deepEqual(JSON.parse((await schema(['get', '--id', '2', '--url', url])).out).id, 2);
    assert.deepEqual(JSON.parse((await schema(['delete', 'orders-value', '--url', url])).out), [1]);
    assert.deepEqual(JSON.parse((await schema(['delete', 'orders-value', '--permanent', '--url', url])).out), [1]);
    assert.deepEqual(JSON.parse((await schema(['list', '--url', url])).out), ['users-value']);
    assert.equal(await stop(child), 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
