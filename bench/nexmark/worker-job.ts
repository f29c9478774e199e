// q5 as a module the worker-thread runtime can import: every worker calls buildQ5Job with the
// same arguments and gets the same graph. Events are generated inside the source as it is
// polled (event n = partition n % 2, index n / 2), so the parallelism comparison includes the
// generator's cost on both sides (p1 is measured the same way).
// Imports the engine's public pieces and this folder.
import { pipeline, type Pipeline } from '../../src/engine/api/pipeline.js';
import { generatorSource } from '../../src/engine/sources/generator-source.js';
import { collectSink } from '../../src/engine/sinks/collect-sink.js';
import { monotonous } from '../../src/engine/time/watermark-strategy.js';
import { NexmarkGenerator } from './generator.js';
import type { NexmarkEvent } from './model.js';
import { q5, type Q5Out } from './queries/q5.js';

export const PARTITIONS = 2;
/** 1 s of event time: 10,000 events at the generator's rate, a tenth of a q5 window. */
export const ALIGNMENT_MAX_DRIFT = '1s';

export function buildQ5Job(parallelism: number, events: number): Pipeline {
  const gen = new NexmarkGenerator();
  const job = pipeline('nexmark-q5-workers', { parallelism });
  const stream = job
    .from(
      generatorSource<NexmarkEvent>({
        count: Math.ceil(events / PARTITIONS),
        partitions: PARTITIONS,
        generate: (i, p) => gen.event(i * PARTITIONS + p),
        timestampOf: (e) => e.dateTime,
        name: 'nexmark-generator',
      }),
    )
    // Aligned, as a Flink job with parallel sources would be: a worker whose source reads
    // faster does not run ahead of the other's event time (and its windows' state with it).
    .withWatermarks((e) => e.dateTime, monotonous().withAlignment(ALIGNMENT_MAX_DRIFT));
  q5.build(stream).to(collectSink<Q5Out>());
  return job;
}

/** What the job's collecting sink received (the worker runtime ships it back to this copy). */
export function q5Outputs(job: Pipeline): Q5Out[] {
  const node = job.graph.nodes.find((n) => n.kind === 'sink');
  return (node as unknown as { sink: { collected: { values: Q5Out[] } } }).sink.collected.values;
}
