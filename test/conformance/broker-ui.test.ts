// `sluice broker --ui`: Prometheus /metrics and the web UI's JSON API served from the broker
// process, reflecting what real clients did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parsePrometheusText } from '../../src/observe/prometheus-text.js';
import { startBrokerChild } from './broker-child.js';
import type { BrokerChild } from './broker-child.js';

async function waitForUi(child: BrokerChild): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const m = /ui listening on (http:\/\/\S+\/)/.exec(child.output());
    if (m) return m[1]!;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no ui line in: ${child.output()}`);
}

test('sluice broker --ui serves /metrics and topics that match what kcat produced', { timeout: 90_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-broker-ui-'));
  let child: BrokerChild | undefined;
  try {
    child = await startBrokerChild(dir, ['--ui', '--ui-listen', '127.0.0.1:0']);
    const url = await waitForUi(child);
    execFileSync('kcat', ['-b', `127.0.0.1:${child.port}`, '-P', '-t', 'ui-topic', '-X', 'acks=all'], { input: 'a\nb\nc\n', timeout: 20_000 });

    const metrics = await (await fetch(`${url}metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    const samples = [...parsePrometheusText(metrics).values()].flatMap((f) => f.samples);
    const endOffset = samples.find((s) => s.name === 'sluice_log_end_offset' && s.labels['topic'] === 'ui-topic' && s.labels['partition'] === '0');
    assert.equal(endOffset?.value, 3, 'three records produced by kcat');
    const produced = samples.filter((s) => s.name === 'sluice_broker_requests_total' && s.labels['api'] === 'Produce');
    assert.ok(produced.length === 1 && produced[0]!.value >= 1, 'produce requests counted');

    const topics = (await (await fetch(`${url}api/topics`, { signal: AbortSignal.timeout(10_000) })).json()) as { topics: { name: string; records: number }[] };
    assert.equal(topics.topics.find((t) => t.name === 'ui-topic')?.records, 3);

    assert.equal(await child.stop('SIGTERM'), 0);
  } finally {
    await child?.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--ui-listen without --ui is refused with a clear error', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-broker-ui-'));
  try {
    await assert.rejects(startBrokerChild(dir, ['--ui-listen', '127.0.0.1:0']), /--ui-listen needs --ui/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
