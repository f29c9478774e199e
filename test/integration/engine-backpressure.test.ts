// Backpressure: ten million generated records behind a sink that takes 10 ms per batch. The
// job must finish with every record delivered, never more sink writes in flight than the
// bound, and heap/RSS (sampled during the run) under a fixed bound — without backpressure
// the source would race ahead and queue millions of records in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from '../../src/engine/api/pipeline.js';
import { generatorSource } from '../../src/engine/sources/generator-source.js';
import type { Sink } from '../../src/engine/sinks/sink.js';

const RECORDS = 10_000_000;
const BATCH = 50_000;
const HEAP_BOUND = 256 * 1024 * 1024;

test('a slow sink slows the source and memory stays bounded', { timeout: 120_000 }, async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  let received = 0;
  let checksum = 0;
  let writes = 0;
  const slowSink: Sink<number> = {
    name: 'slow',
    async createWriter() {
      return {
        async write(values) {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          writes++;
          for (let i = 0; i < values.length; i++) checksum = (checksum + (values[i] as number)) % 1_000_000_007;
          received += values.length;
          await new Promise((r) => setTimeout(r, 10));
          inFlight--;
        },
        async close() {},
      };
    },
  };
  const baseHeap = process.memoryUsage().heapUsed;
  let maxHeap = 0;
  let maxRss = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    maxHeap = Math.max(maxHeap, m.heapUsed);
    maxRss = Math.max(maxRss, m.rss);
  }, 5);
  const job = pipeline('backpressure', { batchSize: BATCH, maxInFlightWrites: 2 });
  job
    .from(generatorSource({ count: RECORDS, generate: (i) => i }))
    .filter((x) => x % 7 !== 3)
    .map((x) => x * 2)
    .to(slowSink);
  try {
    await job.run();
  } finally {
    clearInterval(sampler);
  }
  let expectedCount = 0;
  let expectedSum = 0;
  for (let x = 0; x < RECORDS; x++) {
    if (x % 7 === 3) continue;
    expectedCount++;
    expectedSum = (expectedSum + x * 2) % 1_000_000_007;
  }
  assert.equal(received, expectedCount);
  assert.equal(checksum, expectedSum);
  assert.ok(maxInFlight <= 3, `sink writes in flight stayed bounded (max ${maxInFlight})`);
  assert.ok(writes >= RECORDS / BATCH, 'the sink saw whole batches');
  assert.ok(maxHeap - baseHeap < HEAP_BOUND, `heap growth ${(maxHeap - baseHeap) / 1e6} MB under ${HEAP_BOUND / 1e6} MB`);
  assert.ok(maxRss < 1024 * 1024 * 1024, `RSS ${maxRss / 1e6} MB under 1 GB`);
  console.log(`backpressure: ${writes} writes, max in flight ${maxInFlight}, heap growth ${Math.round((maxHeap - baseHeap) / 1e6)} MB, max RSS ${Math.round(maxRss / 1e6)} MB`);
});
