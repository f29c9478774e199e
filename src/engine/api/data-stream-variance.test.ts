// DataStream<T> is covariant in T: a DataStream<Foo> goes wherever a DataStream<unknown> (or
// of a supertype) is expected, e.g. into a generic helper or a list of streams. This file is
// checked by the typecheck (`npm test` runs tsc first); the test body also runs the helper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataStream, KeyedStream } from './data-stream.js';
import { pipeline } from './pipeline.js';
import { outputTag } from './output-tag.js';
import type { AsyncFailure } from '../operators/async-io-options.js';
import { fromCollection } from '../sources/collection-source.js';
import { collectSink } from '../sinks/collect-sink.js';

interface Click {
  a: number;
}

/** A helper that takes any stream, as a library of connectors or debugging tools would. */
function countInto(stream: DataStream<unknown>, into: unknown[]): void {
  stream.to(collectSink<unknown>(into));
}

test('a DataStream<{a:number}> is assignable to DataStream<unknown>, keyed streams too', async () => {
  const job = pipeline('variance');
  const clicks: DataStream<Click> = job.from(fromCollection<Click>([{ a: 1 }, { a: 2 }]));
  const wide: DataStream<unknown> = clicks;
  const keyed: KeyedStream<Click, number> = clicks.keyBy((c) => c.a);
  const wideKeyed: KeyedStream<unknown, number> = keyed;
  const all: DataStream<unknown>[] = [clicks, keyed, clicks.map((c) => c.a)];
  // asyncMap's options (retry callbacks, timeout fallback, error tag) keep their element type.
  const errors = outputTag<AsyncFailure<Click>>('errors');
  const enriched: DataStream<{ a: number; b: string }> = clicks.asyncMap((c) => Promise.resolve({ a: c.a, b: 'x' }), {
    retry: { maxAttempts: 2, ifError: (_e, input) => input.a > 0, ifResult: (rs, input) => rs.length === 0 && input.a > 0 },
    onTimeout: (input) => ({ a: input.a, b: 'timeout' }),
    errors,
  });
  const wideEnriched: DataStream<unknown> = enriched;
  // @ts-expect-error covariant only: a DataStream<unknown> is no DataStream<Click>
  const narrow: DataStream<Click> = wide;
  void narrow;
  void wideKeyed;
  assert.equal(all.length, 3);
  const out: unknown[] = [];
  countInto(wideEnriched, out);
  await job.run();
  assert.deepEqual(out, [
    { a: 1, b: 'x' },
    { a: 2, b: 'x' },
  ]);
});
