// Kafka's default partitioner, the one place it lives: a keyed record goes to
// (murmur2(key) & 0x7fffffff) % partitions, exactly as the Java client (and kafkajs,
// librdkafka's "murmur2_random") place it, so keys written by Sluice (CLI, engine topic sinks,
// connectors) and by any Kafka client land on the same partition.
// May import: nothing (pure functions).

/** Kafka's murmur2 (the Java client's default partitioner hash), 32-bit signed result. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const len = data.length;
  let h = (0x9747b28c ^ len) | 0;
  const whole = len & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The tail bytes, as the Java switch with fall-through does it.
  const tail = len & 3;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner picks for a (non-null) key. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
