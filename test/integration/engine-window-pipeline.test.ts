// The pipeline of the engine's README, end to end on log topics: event-time tumbling windows
// with watermarks per source partition, allowed lateness and a late side output, written to
// a topic with exactly-once transactions committed by checkpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from '../../src/log/log.js';
import { pipeline } from '../../src/engine/api/pipeline.js';
import { topic } from '../../src/engine/sources/log-topic-source.js';
import { topicSink } from '../../src/engine/sinks/log-topic-sink.js';
import { collectSink } from '../../src/engine/sinks/collect-sink.js';
import { outputTag } from '../../src/engine/api/output-tag.js';
import { boundedOutOfOrderness } from '../../src/engine/time/watermark-strategy.js';
import { tumbling } from '../../src/engine/windowing/assigners.js';
import { count } from '../../src/engine/aggregations/basic.js';

interface Click {
  url: string;
  ts: number;
}

test('views per url per minute, with late clicks on a side output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-win-'));
  const log = await Log.open({ dataDir: join(dir, 'data') });
  try {
    await log.createTopic('clicks', 2);
    await log.createTopic('views-per-url', 1);
    const M = 60_000;
    const clicks = (p: number, list: Click[]) => log.partition('clicks', p).appendRecords(list.map((c) => ({ value: Buffer.from(JSON.stringify(c)) })));
    // Partition 0 runs ahead to minute 3; partition 1 is slower, so minute 0 closes only when both passed it.
    await clicks(0, [
      { url: '/a', ts: 1_000 },
      { url: '/b', ts: 2_000 },
      { url: '/a', ts: M + 1 },
      { url: '/a', ts: 3 * M + 10_000 },
    ]);
    await clicks(1, [
      { url: '/a', ts: 30_000 },
      { url: '/a', ts: 2 * M + 9_000 },
      { url: '/b', ts: 40_000 }, // read after the watermark passed 2m: window [0, 1m) is beyond its 1 min lateness
      { url: '/b', ts: 3 * M + 20_000 },
    ]);
    const lateClicks = outputTag<Click>('late-clicks');
    const late = collectSink<Click>();
    // Two records per batch, so the partitions interleave in a known order (watermarks advance per batch).
    const job = pipeline('views-per-url', { checkpoints: { every: '50ms', dir: join(dir, 'ck') }, resources: { log }, batchSize: 2 });
    const views = job
      .from(topic<Click>('clicks', { bounded: true }))
      .withWatermarks((c) => c.ts, boundedOutOfOrderness('5s').withIdleness('1m'))
      .keyBy((c) => c.url)
      .window(tumbling('1m'))
      .allowedLateness('1m')
      .sideOutputLate(lateClicks)
      .aggregate(count());
    views.map((r) => `${r.key}@${r.window.start / M}=${r.value}${r.isUpdate ? ' (update)' : ''}`).to(topicSink('views-per-url'));
    views.getSideOutput(lateClicks).to(late);
    const res = await job.run();
    assert.ok(res.checkpoints >= 1);

    const out = collectSink<string>();
    const read = pipeline('read', { resources: { log } });
    read.from(topic<string>('views-per-url', { bounded: true })).to(out);
    await read.run();
    assert.deepEqual([...out.collected.values].sort(), ['/a@0=2', '/a@1=1', '/a@2=1', '/a@3=1', '/b@0=1', '/b@3=1'].sort());
    assert.deepEqual(late.collected.values, [{ url: '/b', ts: 40_000 }]);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
