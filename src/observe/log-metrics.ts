// Gauges describing the log's topics for /metrics, read at exposition time (cheap: in-memory
// offsets and sizes): end offset, size and remembered producer ids per partition, and
// consumer-group lag per partition.
// May import: observe/metrics.ts, log/ (types).
import type { Log } from '../log/log.js';
import type { MetricsRegistry } from './metrics.js';

export function registerLogMetrics(registry: MetricsRegistry, log: Log): void {
  const end = registry.gauge('sluice_log_end_offset', 'Next offset to be written, per partition', ['topic', 'partition']);
  const size = registry.gauge('sluice_log_size_bytes', 'Bytes on disk, per partition', ['topic', 'partition']);
  const producers = registry.gauge('sluice_log_producer_ids', 'Producer ids a partition remembers (until producer.id.expiration.ms)', ['topic', 'partition']);
  const lag = registry.gauge('sluice_consumer_group_lag_records', 'Committed offset behind the partition end, per consumer group', ['group', 'topic', 'partition']);
  end.collect(() => {
    for (const t of log.listTopics()) {
      for (let i = 0; i < t.partitions; i++) {
        try {
          const p = log.partition(t.name, i);
          end.labels(t.name, String(i)).set(p.logEndOffset);
          size.labels(t.name, String(i)).set(p.sizeBytes);
          producers.labels(t.name, String(i)).set(p.producerIdCount());
        } catch {
          // Partitions that failed recovery are reported by `sluice log verify`.
        }
      }
    }
  });
  lag.collect(() => {
    for (const group of log.groupOffsets.groups()) {
      for (const [topic, parts] of log.groupOffsets.fetch(group)) {
        if (!log.hasTopic(topic)) continue;
        for (const [partition, c] of parts) {
          try {
            lag.labels(group, topic, String(partition)).set(Math.max(0, log.partition(topic, partition).highWatermark - c.offset));
          } catch {
            // as above
          }
        }
      }
    }
  });
}
