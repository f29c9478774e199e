// `sluice produce|consume` next to a running broker and a schema registry, run as a user
// would (one process per command): while the broker owns the data directory, direct access
// is refused with DATA_DIR_LOCKED and --bootstrap-server goes through the broker (keys on
// Kafka's partitions, read_committed, consumer groups); schema formats write the Confluent
// wire format and print values decoded with their writer's schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { Log } from '../../src/log/log.js';
import { Broker } from '../../src/broker/server.js';
import { partitionForKey } from '../../src/log/partitioner.js';
import { decodeBatches } from '../../src/codec/record-batch.js';
import { decodeEnvelope } from '../../src/schema/serdes/wire-format.js';
import { Registry } from '../../src/schema/registry.js';
import { MemoryRegistryStore } from '../../src/schema/store/registry-store.js';
import { RegistryServer } from '../../src/schema/http/registry-server.js';

const root = new URL('../..', import.meta.url).pathname;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sluice(args: string[], dataDir: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--data-dir', dataDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function values(log: Log, topic: string, partition: number): Promise<{ key: string | null; value: Buffer | null }[]> {
  const p = log.partition(topic, partition);
  const { records } = await p.read(p.logStartOffset, { maxBytes: 1 << 22 });
  return decodeBatches(records)
    .filter((b) => !b.header.isControl)
    .flatMap((b) => b.records.map((r) => ({ key: r.key?.toString() ?? null, value: r.value })));
}

test('produce and consume through a running broker that owns the data directory', { timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-cli-remote-'));
  const dataDir = join(tmp, 'data');
  const log = await Log.open({ dataDir });
  const broker = await Broker.start({ log, port: 0, ownsLog: false });
  const bootstrap = `127.0.0.1:${broker.port}`;
  const kafka = new kafkajs.Kafka({ brokers: [bootstrap], clientId: 'cli-remote-test', logLevel: kafkajs.logLevel.NOTHING });
  try {
    await log.createTopic('orders', 3);
    const file = join(tmp, 'orders.txt');
    const lines = Array.from({ length: 40 }, (_, i) => `cust-${i % 9}:order ${i}`);
    writeFileSync(file, lines.join('\n') + '\n');

    // Direct access is refused while the broker holds the directory; nothing is written.
    let r = await sluice(['produce', 'orders', '--file', file, '--key-separator', ':'], dataDir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /DATA_DIR_LOCKED.*in use by process \d+.*--bootstrap-server/);

    r = await sluice(['produce', 'orders', '--file', file, '--key-separator', ':', '--compression', 'lz4', '--bootstrap-server', bootstrap], dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /produced 40 records to orders/);
    let stored = 0;
    for (let p = 0; p < 3; p++) {
      for (const row of await values(log, 'orders', p)) {
        stored++;
        assert.equal(partitionForKey(Buffer.from(row.key!), 3), p, `${row.key} sits on Kafka's partition`);
        assert.ok(lines.includes(`${row.key}:${row.value!.toString()}`));
      }
    }
    assert.equal(stored, 40);

    // Consume all (json), as a group in two steps (committed offsets resume), and an unknown topic.
    r = await sluice(['consume', 'orders', '--format', 'json', '--bootstrap-server', bootstrap], dataDir);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { partition: number; offset: number; key: string; value: string });
    assert.equal(rows.length, 40);
    assert.deepEqual(new Set(rows.map((x) => `${x.key}:${x.value}`)), new Set(lines));

    r = await sluice(['consume', 'orders', '--group', 'audit', '--max', '15', '--bootstrap-server', bootstrap], dataDir);
    assert.equal(r.code, 0, r.stderr);
    const first = r.stdout.trim().split('\n');
    assert.equal(first.length, 15);
    r = await sluice(['consume', 'orders', '--group', 'audit', '--bootstrap-server', bootstrap], dataDir);
    assert.equal(r.code, 0, r.stderr);
    const second = r.stdout.trim().split('\n');
    assert.equal(second.length, 25, 'the group resumes where its committed offsets point');
    assert.deepEqual(new Set([...first, ...second]), new Set(lines.map((l) => l.split(':')[1])));

    r = await sluice(['consume', 'nope', '--bootstrap-server', bootstrap], dataDir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /UNKNOWN_TOPIC/);

    // Transactions: read_committed shows only committed records, read_uncommitted all.
    await log.createTopic('tx', 1);
    const producer = kafka.producer({ transactionalId: 'cli-remote-tx', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    for (const [value, commit] of [
      ['c1', true],
      ['a1', false],
      ['c2', true],
    ] as const) {
      const txn = await producer.transaction();
      await txn.send({ topic: 'tx', messages: [{ value }] });
      if (commit) await txn.commit();
      else await txn.abort();
    }
    await producer.disconnect();
    r = await sluice(['consume', 'tx', '--isolation', 'read_committed', '--bootstrap-server', bootstrap], dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'c1\nc2\n');
    r = await sluice(['consume', 'tx', '--bootstrap-server', bootstrap], dataDir);
    assert.equal(r.stdout, 'c1\na1\nc2\n');
  } finally {
    await broker.stop();
    await log.close();
  }
  try {
    // Without the broker the directory is free again: the same isolation, read directly.
    const r = await sluice(['consume', 'tx', '--isolation', 'read_committed'], dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'c1\nc2\n');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('schema formats: produce encodes JSON lines in the wire format, consume decodes with the writer schema', { timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-cli-schema-'));
  const dataDir = join(tmp, 'data');
  const registry = await Registry.open(new MemoryRegistryStore());
  const server = new RegistryServer(registry, { port: 0 });
  const { url } = await server.listen();
  try {
    const setup = await Log.open({ dataDir, cleaner: false });
    for (const t of ['users', 'pb', 'js']) await setup.createTopic(t, 1);
    await setup.close();

    const v1 = join(tmp, 'user-v1.avsc');
    writeFileSync(v1, JSON.stringify({ type: 'record', name: 'User', fields: [{ name: 'id', type: 'long' }, { name: 'name', type: 'string' }] }));
    const v2 = join(tmp, 'user-v2.avsc');
    writeFileSync(v2, JSON.stringify({ type: 'record', name: 'User', fields: [{ name: 'id', type: 'long' }, { name: 'name', type: 'string' }, { name: 'email', type: ['null', 'string'], default: null }] }));
    const in1 = join(tmp, 'u1.jsonl');
    writeFileSync(in1, '{"id":1,"name":"ann"}\n{"id":2,"name":"bob"}\n');
    let r = await sluice(['produce', 'users', '--format', 'avro', '--schema-file', v1, '--registry-url', url, '--file', in1], dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /produced 2 records/);

    // A line that does not match the schema: refused with its line number, nothing of the chunk written.
    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(bad, '{"id":3,"name":"cy","email":"c@x"}\n{"id":"four","name":"dee"}\n');
    r = await sluice(['produce', 'users', '--format', 'avro', '--schema-file', v2, '--registry-url', url, '--file', bad], dataDir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /INVALID_ARGUMENT.*line 2/);
    writeFileSync(bad, '{"id":3,"name":"cy","email":"c@x"}\n');
    r = await sluice(['produce', 'users', '--format', 'avro', '--schema-file', v2, '--registry-url', url, '--file', bad], dataDir);
    assert.equal(r.code, 0, r.stderr);

    // On disk: the Confluent wire format, with the id of each writer schema.
    const log = await Log.open({ dataDir, cleaner: false });
    const rows = await values(log, 'users', 0);
    await log.close();
    assert.equal(rows.length, 3);
    const ids = rows.map((x) => decodeEnvelope(x.value!).schemaId);
    assert.equal(ids[0], ids[1]);
    assert.notEqual(ids[1], ids[2]);
    assert.deepEqual(await (await fetch(`${url}/subjects/users-value/versions`)).json(), [1, 2], 'both schemas were registered under <topic>-value');

    r = await sluice(['consume', 'users', '--format', 'avro', '--registry-url', url], dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown),
      [{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }, { id: 3, name: 'cy', email: 'c@x' }],
      'each record is printed with the schema it was written with',
    );

    // Large inputs stream in chunks (10000 lines): a bad line refuses its chunk, and the
    // error says what earlier chunks wrote.
    const big = join(tmp, 'big.txt');
    writeFileSync(big, Array.from({ length: 25_000 }, (_, i) => (i === 22_000 ? 'no separator here' : `k${i}:v${i}`)).join('\n') + '\n');
    r = await sluice(['produce', 'pb', '--file', big, '--key-separator', ':'], dataDir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /INVALID_ARGUMENT.*line 22001 has no key separator.*the 20000 records of lines 1\.\.20000 were written; nothing from line 20001 on/);
    const check = await Log.open({ dataDir, cleaner: false });
    assert.equal(check.partition('pb', 0).logEndOffset, 20_000);
    await check.deleteTopic('pb');
    await check.createTopic('pb', 1);
    await check.close();

    // Protobuf and JSON Schema.
    const proto = join(tmp, 'order.proto');
    writeFileSync(proto, 'syntax = "proto3";\npackage shop;\nmessage Order { int32 id = 1; string item = 2; repeated string tags = 3; }\n');
    const pin = join(tmp, 'pb.jsonl');
    writeFileSync(pin, '{"id":7,"item":"pen","tags":["a","b"]}\n');
    r = await sluice(['produce', 'pb', '--format', 'protobuf', '--schema-file', proto, '--registry-url', url, '--file', pin], dataDir);
    assert.equal(r.code, 0, r.stderr);
    r = await sluice(['consume', 'pb', '--format', 'protobuf', '--registry-url', url], dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { id: 7, item: 'pen', tags: ['a', 'b'] });

    const js = join(tmp, 'event.json');
    writeFileSync(js, JSON.stringify({ type: 'object', properties: { kind: { type: 'string' }, n: { type: 'integer' } }, required: ['kind'], additionalProperties: false }));
    const jin = join(tmp, 'js.jsonl');
    writeFileSync(jin, '{"kind":"click","n":1}\n{"n":2}\n');
    r = await sluice(['produce', 'js', '--format', 'json-schema', '--schema-file', js, '--registry-url', url, '--file', jin], dataDir);
    assert.equal(r.code, 1, 'the second line lacks the required field');
    assert.match(r.stderr, /line 2/);
    writeFileSync(jin, '{"kind":"click","n":1}\n');
    r = await sluice(['produce', 'js', '--format', 'json-schema', '--subject', 'events-v', '--schema-file', js, '--registry-url', url, '--file', jin], dataDir);
    assert.equal(r.code, 0, r.stderr);
    // Reading a topic as the wrong format is a per-record error, not a crash.
    r = await sluice(['consume', 'js', '--format', 'avro', '--registry-url', url], dataDir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /DESERIALIZATION_FAILED.*js-0 offset 0/);
    r = await sluice(['consume', 'js', '--format', 'json-schema', '--registry-url', url], dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { kind: 'click', n: 1 });
  } finally {
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
