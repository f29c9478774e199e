// `sluice broker --registry`: the schema registry served from the broker's process, its
// schemas in the `_schemas` topic of the broker's own log (readable over the Kafka protocol
// like Confluent's), surviving a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Log } from '../../src/log/log.js';
import { isSluiceError } from '../../src/errors.js';
import { decodeBatches } from '../../src/codec/record-batch.js';
import { decodeFromBuffer } from '../../src/broker/protocol/codec.js';
import { Fetch } from '../../src/broker/protocol/messages.js';
import { brokerVerb } from '../../src/cli/broker.js';
import { startBrokerChild } from './broker-child.js';
import type { BrokerChild } from './broker-child.js';
import { RawClient, requestFrame } from './raw-client.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const ORDER = JSON.stringify({ type: 'record', name: 'Order', namespace: 'shop', fields: [{ name: 'id', type: 'long' }, { name: 'total', type: 'double', default: 0 }] });

async function call(url: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url + route, {
    method,
    headers: { 'Content-Type': CONTENT_TYPE },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

/** The record keys of `_schemas`, read over the Kafka protocol from the broker. */
async function schemasTopicKeys(port: number): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    c.send(requestFrame(Fetch, 11, 1, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: '_schemas', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 8 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    }));
    const frame = await c.next(10_000);
    assert.ok(frame);
    const body = decodeFromBuffer<{ responses: { partitions: { errorCode: number; records: Buffer | null }[] }[] }>(Fetch, 'response', 11, frame.subarray(4));
    const p = body.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    return decodeBatches(p.records ?? Buffer.alloc(0)).flatMap((b) => b.records.map((r) => r.key?.toString() ?? ''));
  } finally {
    c.close();
  }
}

test('sluice broker --registry: register over HTTP, restart, read it back from the shared log', { timeout: 90_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-broker-registry-'));
  let child: BrokerChild | undefined;
  try {
    child = await startBrokerChild(dir, ['--registry', '--registry-listen', '127.0.0.1:0']);
    const url = child.registryUrl!;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const registered = await call(url, 'POST', '/subjects/orders-value/versions', { schema: ORDER });
    assert.equal(registered.status, 200);
    const id = (registered.body as { id: number }).id;
    assert.equal((await call(url, 'PUT', '/config/orders-value', { compatibility: 'FULL' })).status, 200);
    const keys = await schemasTopicKeys(child.port);
    assert.ok(keys.length >= 2, `the registry's entries are records of the broker's _schemas topic: ${keys.join(', ')}`);
    assert.equal(await child.stop('SIGTERM'), 0, child.output());

    // One log: the registry did not open a second one beside the broker's.
    assert.ok(!fs.existsSync(path.join(dir, 'schema-registry')));
    const log = await Log.open({ dataDir: dir });
    try {
      assert.ok(log.hasTopic('_schemas'));
    } finally {
      await log.close();
    }

    child = await startBrokerChild(dir, ['--registry', '--registry-listen', '127.0.0.1:0']);
    const after = child.registryUrl!;
    const byId = await call(after, 'GET', `/schemas/ids/${id}`);
    assert.equal(byId.status, 200);
    assert.deepEqual(JSON.parse((byId.body as { schema: string }).schema), JSON.parse(ORDER));
    const version = await call(after, 'GET', '/subjects/orders-value/versions/1');
    assert.equal((version.body as { id: number }).id, id);
    assert.deepEqual((await call(after, 'GET', '/config/orders-value')).body, { compatibilityLevel: 'FULL' });
    // Still enforced after the restart: FULL refuses a new field without a default.
    const refused = await call(after, 'POST', '/subjects/orders-value/versions', {
      schema: JSON.stringify({ type: 'record', name: 'Order', namespace: 'shop', fields: [{ name: 'id', type: 'long' }, { name: 'total', type: 'double', default: 0 }, { name: 'sku', type: 'string' }] }),
    });
    assert.equal(refused.status, 409);
    assert.equal(await child.stop('SIGTERM'), 0, child.output());
  } finally {
    await child?.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('sluice broker: --registry-listen without --registry is refused', async () => {
  await assert.rejects(brokerVerb.run(['--registry-listen', '127.0.0.1:0', '--data-dir', os.tmpdir()]), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
  await assert.rejects(brokerVerb.run(['--registry', '--registry-listen', 'a:b:c', '--data-dir', os.tmpdir()]), (e) => isSluiceError(e, 'INVALID_ARGUMENT'));
});
