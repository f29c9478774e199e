// A sink printing records for debugging: one line per record, `<prefix><subtask>> <value>`.
// Writes go to a stream (stdout by default) and honour its backpressure, so a pipe that is
// read slowly slows the job instead of filling memory. No delivery guarantee beyond "printed".
// May import: engine/sinks (types).
import type { Writable } from 'node:stream';
import type { Sink, SinkWriter } from '../../engine/sinks/sink.js';

export interface ConsoleSinkOptions<T> {
  readonly prefix?: string;
  readonly format?: (value: T, timestamp: number) => string;
  readonly stream?: Writable;
}

export function consoleSink<T>(options: ConsoleSinkOptions<T> = {}): Sink<T> {
  const stream = options.stream ?? process.stdout;
  const fmt = options.format ?? ((v: T) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return {
    name: 'console',
    async createWriter(ctx): Promise<SinkWriter<T>> {
      const head = `${options.prefix ?? ''}${ctx.parallelism > 1 ? `${ctx.subtaskIndex}> ` : ''}`;
      return {
        write(values, timestamps): void | Promise<void> {
          let text = '';
          for (let i = 0; i < values.length; i++) text += `${head}${fmt(values[i] as T, timestamps[i] as number)}\n`;
          if (stream.write(text)) return undefined;
          return new Promise<void>((resolve) => stream.once('drain', resolve));
        },
        async close() {},
      };
    },
  };
}
