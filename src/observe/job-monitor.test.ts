import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from '../engine/api/pipeline.js';
import { fromCollection } from '../engine/sources/collection-source.js';
import { collectSink } from '../engine/sinks/collect-sink.js';
import { boundedOutOfOrderness } from '../engine/time/watermark-strategy.js';
import type { Sink } from '../engine/sinks/sink.js';
import { MetricsRegistry } from './metrics.js';
import { monitorPipeline } from './job-monitor.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

/** A sink whose writes take `ms` each. */
function slowSink(ms: number): Sink<number> {
  return {
    name: 'slow',
    async createWriter() {
      return {
        write: () => new Promise<void>((resolve) => setTimeout(resolve, ms)),
        async close() {},
      };
    },
  };
}

test('the monitor reads the engine status: counts, shares, watermarks, checkpoints, without touching the graph', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-monitor-'));
  try {
    const job = pipeline('monitored', { batchSize: 10, maxInFlightWrites: 1, checkpoints: { every: 50, dir } });
    const src = job.from(fromCollection(Array.from({ length: 1000 }, (_v, i) => i)), { uid: 'numbers' }).withWatermarks((x) => 1_000_000 + x * 1000, boundedOutOfOrderness(0));
    src.map((x) => x + 1, 'inc').to(slowSink(5), { uid: 'slow-sink' });
    src.filter((x) => x % 3 === 0, 'thirds').to(collectSink<number>(), { uid: 'thirds-sink' });
    const before = job.graph.nodes.map((n) => (n.kind === 'operator' ? n.create : n.kind === 'source' ? n.source : n.sink));
    const registry = new MetricsRegistry();
    const monitor = monitorPipeline(job, { registry, sampleEveryMs: 20 });
    const handle = job.start();
    monitor.attach(handle);
    // While running, the view shows rates and a backpressured share upstream of the slow sink.
    let sawRate = false;
    let sawBackpressure = false;
    while (monitor.status === 'running') {
      await new Promise((r) => setTimeout(r, 50));
      const v = monitor.view();
      if ((v.nodes.find((n) => n.name === 'inc')?.recordsInPerSecond ?? 0) > 0) sawRate = true;
      if ((v.nodes.find((n) => n.uid === 'numbers')?.backpressured ?? 0) > 0) sawBackpressure = true;
    }
    await handle.done;
    assert.ok(sawRate, 'a non-zero rate while running');
    assert.ok(sawBackpressure, 'the source was backpressured by the slow sink');
    // The monitor decorated nothing.
    assert.deepEqual(job.graph.nodes.map((n) => (n.kind === 'operator' ? n.create : n.kind === 'source' ? n.source : n.sink)), before);

    const v = monitor.view();
    assert.equal(v.status, 'finished');
    const node = (uid: string): (typeof v.nodes)[number] => v.nodes.find((n) => n.uid === uid)!;
    assert.equal(node('numbers').recordsOut, 1000);
    assert.equal(node('slow-sink').recordsIn, 1000);
    assert.equal(node('thirds-sink').recordsIn, 334);
    for (const n of v.nodes) {
      assert.equal(n.watermark, null, `${n.uid}: the final watermark is not a time`);
      assert.ok(n.busy >= 0 && n.busy <= 1 && n.idle >= 0 && n.idle <= 1);
    }
    assert.ok(v.checkpoints.completed >= 1);
    assert.equal(v.checkpoints.completed, handle.status().checkpoints.completed);
    assert.ok((v.checkpoints.last?.sizeBytes ?? 0) > 0);

    const fams = parsePrometheusText(registry.expose());
    const m = (name: string, labels: Record<string, string>, sample = name): number | undefined => sampleValue(fams, name, sample, labels);
    const job1 = { job: 'monitored' };
    assert.equal(m('sluice_records_in_total', { ...job1, operator: 'slow-sink' }), 1000);
    assert.equal(m('sluice_records_out_total', { ...job1, operator: 'numbers' }), 1000);
    assert.equal(m('sluice_checkpoints_completed_total', job1), v.checkpoints.completed);
    assert.equal(m('sluice_checkpoint_duration_seconds', job1, 'sluice_checkpoint_duration_seconds_count'), v.checkpoints.completed);
    // 100 batches of 5 ms writes one at a time: the job waited on the sink for most of that.
    assert.ok(m('sluice_operator_busy_seconds_total', { ...job1, operator: 'slow-sink' })! >= 0.2);
    assert.ok(m('sluice_operator_backpressured_seconds_total', { ...job1, operator: 'numbers' })! > 0);
    assert.equal(m('sluice_operator_backpressured_seconds_total', { ...job1, operator: 'thirds-sink' }), 0);
    assert.ok(m('sluice_operator_idle_seconds_total', { ...job1, operator: 'thirds-sink' })! >= 0);
    assert.ok(m('sluice_end_to_end_latency_seconds', { job: 'monitored', sink: 'slow-sink' }, 'sluice_end_to_end_latency_seconds_count')! >= 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
