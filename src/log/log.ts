// The Log facade: topics (create, delete, describe, alter config), their partitions, the
// durable group-offset store, and the recovery report of the last open.
// Layout: <dataDir>/topics/<topic>/topic.json (written atomically) and
// <dataDir>/topics/<topic>/<partition>/ with segments; deleted topics go through
// <dataDir>/trash/ so a crash mid-delete never leaves a half topic under topics/.
// A partition that fails to open (LOG_CORRUPTED) does not stop the rest of the log: it is
// recorded and partition() answers with that error until repair() fixes it.
// One Log owns a data directory at a time (data-dir-lock.ts: <dataDir>/.lock, released by
// close()), and it runs the background cleaner (retention + compaction, cleaner.ts) unless
// told not to, so retention.ms and cleanup.policy=compact take effect with no explicit call.
// May import: ./*, ../codec/*, ../errors.js.
import { SluiceError, toSluiceError } from '../errors.js';
import type { FileSystem } from './fs/file-system.js';
import { NodeFileSystem } from './fs/node-file-system.js';
import { removeTree, writeFileAtomic } from './fs/atomic-write.js';
import { Partition } from './partition.js';
import type { PartitionRecoveryReport } from './partition.js';
import { DEFAULT_TOPIC_CONFIG, validateTopicConfig, validateTopicName } from './topic-config.js';
import type { TopicConfig } from './topic-config.js';
import type { FlushPolicy } from './flush-policy.js';
import { DurableGroupOffsetStore, GROUP_OFFSETS_TOPIC } from './group-offsets.js';
import type { GroupOffsetStore } from './group-offsets.js';
import { repairPartition } from './verify.js';
import type { RepairReport } from './verify.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import type { AcquiredLock } from './data-dir-lock.js';
import { LogCleaner } from './cleaner.js';
import type { CleanerPass } from './cleaner.js';
import { DEFAULT_PRODUCER_ID_EXPIRATION_MS } from './producer-state.js';
import { TailCacheBudget } from './tail-cache.js';
import type { TailCacheOptions } from './tail-cache.js';

export interface LogOptions {
  dataDir: string;
  fs?: FileSystem;
  flush?: FlushPolicy;
  clock?: () => number;
  topicDefaults?: Partial<TopicConfig>;
  /**
   * The background cleaner (retention + compaction of every partition). Default: on, every
   * 30 s. `false` turns it off (then call cleaner-less tooling such as LogCleaner.runOnce
   * yourself); onPass sees each pass's result (what was deleted or compacted, and errors).
   */
  cleaner?: false | { intervalMs?: number; onPass?: (pass: CleanerPass) => void };
  /**
   * In-memory copies of each partition's most recent batches, so caught-up readers need no
   * file read. Default: up to 4 MiB per partition, 64 MiB for the whole log; `false` or
   * `{ partitionBytes: 0 }` turns it off.
   */
  tailCache?: false | TailCacheOptions;
  /**
   * Kafka's producer.id.expiration.ms: a producer id not written for this long, with no
   * transaction open, is forgotten (its duplicate detection and fencing with it). Default one day.
   */
  producerIdExpirationMs?: number;
}

export const DEFAULT_CLEANER_INTERVAL_MS = 30_000;

export interface TopicDescription {
  name: string;
  partitions: number;
  config: TopicConfig;
  internal: boolean;
}

export interface CreateTopicOptions {
  /** Return the existing topic's description instead of throwing TOPIC_EXISTS (create-if-absent). */
  readonly ifAbsent?: boolean;
}

export interface LogRecoveryReport {
  partitions: PartitionRecoveryReport[];
  /** Partitions that refused to open (LOG_CORRUPTED), with the error's details. */
  failed: { topic: string; partition: number; error: SluiceError }[];
  truncatedBytes: number;
  /** Things the open did that an operator should know (e.g. a stale data-directory lock taken over). */
  warnings: string[];
}

interface TopicState {
  desc: TopicDescription;
  parts: (Partition | SluiceError)[];
}

const MAX_PARTITIONS = 10000;

export class Log {
  readonly dataDir: string;
  readonly fs: FileSystem;
  readonly recoveryReport: LogRecoveryReport = { partitions: [], failed: [], truncatedBytes: 0, warnings: [] };
  /** The background cleaner; undefined when LogOptions.cleaner is false. */
  readonly cleaner: LogCleaner | undefined;
  private lock: AcquiredLock | undefined;
  private readonly topics = new Map<string, TopicState>();
  /** Topic creations in progress, by name (see createTopic). */
  private readonly pending = new Map<string, Promise<TopicDescription>>();
  private readonly flushPolicy: FlushPolicy;
  private readonly clock: () => number;
  private readonly tailCache: TailCacheBudget;
  private readonly producerIdExpirationMs: number;
  private readonly defaults: TopicConfig;
  private offsets!: DurableGroupOffsetStore;
  private closed = false;

  private constructor(o: LogOptions) {
    this.dataDir = o.dataDir.replace(/\/+$/, '') || '/';
    this.fs = o.fs ?? new NodeFileSystem();
    this.flushPolicy = o.flush ?? { mode: 'os' };
    this.clock = o.clock ?? Date.now;
    this.tailCache = new TailCacheBudget(o.tailCache === false ? { partitionBytes: 0 } : o.tailCache);
    this.defaults = { ...DEFAULT_TOPIC_CONFIG, ...validateTopicConfig(o.topicDefaults ?? {}) };
    this.producerIdExpirationMs = o.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS;
    if (!Number.isSafeInteger(this.producerIdExpirationMs) || this.producerIdExpirationMs < 1) {
      throw new SluiceError('INVALID_CONFIG', `producerIdExpirationMs must be a positive whole number of ms, got ${String(o.producerIdExpirationMs)}`);
    }
    if (o.cleaner !== false) {
      const intervalMs = o.cleaner?.intervalMs ?? DEFAULT_CLEANER_INTERVAL_MS;
      if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new SluiceError('INVALID_CONFIG', `cleaner interval must be a positive whole number of ms, got ${intervalMs}`);
      this.cleaner = new LogCleaner(this, { intervalMs, clock: this.clock, onPass: o.cleaner?.onPass });
    }
  }

  /**
   * Opens the log in dataDir (creating it), recovering every partition. Throws
   * DATA_DIR_LOCKED while another process (or another open Log) owns the directory.
   */
  static async open(options: LogOptions): Promise<Log> {
    const log = new Log(options);
    await log.fs.mkdir(log.dataDir);
    const lock = await acquireDataDirLock(log.fs, log.dataDir, log.clock);
    log.lock = lock;
    if (lock.tookOver) {
      log.recoveryReport.warnings.push(`took over the stale lock ${lock.path}: ${lock.tookOver.reason}`);
    }
    try {
      await log.load();
    } catch (err) {
      await log.closePartitions().catch(() => undefined);
      await lock.release().catch(() => undefined);
      throw err;
    }
    log.cleaner?.start();
    return log;
  }

  private get topicsDir(): string {
    return `${this.dataDir}/topics`;
  }

  private async load(): Promise<void> {
    const fs = this.fs;
    await fs.mkdir(this.topicsDir);
    await removeTree(fs, `${this.dataDir}/trash`);
    for (const name of await fs.readdir(this.topicsDir)) {
      const dir = `${this.topicsDir}/${name}`;
      if (!(await fs.stat(dir))?.isDirectory) continue;
      const raw = await fs.readFile(`${dir}/topic.json`);
      if (!raw) {
        // createTopic writes topic.json last: without it the topic never existed.
        await removeTree(fs, dir);
        continue;
      }
      let desc: TopicDescription;
      try {
        const j = JSON.parse(raw.toString('utf8')) as TopicDescription;
        desc = { name: j.name, partitions: j.partitions, internal: j.internal === true, config: { ...this.defaults, ...validateTopicConfig(j.config) } };
        validateTopicName(desc.name);
        if (desc.name !== name || !Number.isSafeInteger(desc.partitions) || desc.partitions < 1) throw new Error('inconsistent topic.json');
      } catch (err) {
        throw new SluiceError('LOG_CORRUPTED', `topic metadata ${dir}/topic.json is unreadable: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
          details: { topic: name, path: `${dir}/topic.json` },
        });
      }
      const state: TopicState = { desc, parts: [] };
      state.parts = await Promise.all(
        Array.from({ length: desc.partitions }, async (_, i) => {
          try {
            const p = await this.openPartition(state, i);
            this.recoveryReport.partitions.push(p.recoveryReport);
            this.recoveryReport.truncatedBytes += p.recoveryReport.truncatedBytes;
            return p;
          } catch (err) {
            const e = toSluiceError(err, 'IO_ERROR');
            this.recoveryReport.failed.push({ topic: name, partition: i, error: e });
            return e;
          }
        }),
      );
      this.topics.set(name, state);
    }
    if (!this.topics.has(GROUP_OFFSETS_TOPIC)) {
      await this.createTopicInternal(GROUP_OFFSETS_TOPIC, 1, { cleanupPolicy: 'compact', segmentBytes: 64 * 1024 * 1024 }, true);
    }
    const p = this.topics.get(GROUP_OFFSETS_TOPIC)!.parts[0]!;
    if (p instanceof SluiceError) throw p;
    this.offsets = await DurableGroupOffsetStore.load(p, this.clock);
  }

  private openPartition(state: TopicState, index: number): Promise<Partition> {
    return Partition.open({
      fs: this.fs,
      dir: `${this.topicsDir}/${state.desc.name}/${index}`,
      topic: state.desc.name,
      index,
      config: () => state.desc.config,
      flush: this.flushPolicy,
      clock: this.clock,
      tailCache: this.tailCache,
      producerIdExpirationMs: this.producerIdExpirationMs,
    });
  }

  private ensureOpen(): void {
    if (this.closed) throw new SluiceError('LOG_CLOSED', 'the log is closed');
  }

  /** Bytes the partitions' tail caches hold now (bounded by LogOptions.tailCache.totalBytes). */
  get tailCacheBytes(): number {
    return this.tailCache.usedBytes;
  }

  get groupOffsets(): GroupOffsetStore {
    return this.offsets;
  }

  /**
   * Creates a topic. TOPIC_EXISTS when it exists, unless `options.ifAbsent`: then the existing
   * topic's description is returned (whatever its partition count). A creation of the same
   * name already in progress is waited for first, so a caller never sees a topic that
   * "exists" but cannot be opened yet: once this resolves (or throws TOPIC_EXISTS), the topic
   * is there with all its partitions.
   */
  async createTopic(name: string, partitions: number, config: Partial<TopicConfig> = {}, options: CreateTopicOptions = {}): Promise<TopicDescription> {
    this.ensureOpen();
    validateTopicName(name);
    return this.createTopicInternal(name, partitions, config, name.startsWith('__'), options.ifAbsent === true);
  }

  private async createTopicInternal(name: string, partitions: number, config: Partial<TopicConfig>, internal: boolean, ifAbsent = false): Promise<TopicDescription> {
    if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new SluiceError('INVALID_ARGUMENT', `partitions must be an integer in [1, ${MAX_PARTITIONS}], got ${partitions}`, { details: { topic: name } });
    }
    const full: TopicConfig = { ...this.defaults, ...validateTopicConfig(config) };
    // Another creation of this name is in flight: wait for it (its failure is its caller's),
    // then decide. The pending entry is gone by the time its promise settles.
    for (let inFlight = this.pending.get(name); inFlight; inFlight = this.pending.get(name)) {
      await inFlight.catch(() => undefined);
    }
    const existing = this.topics.get(name);
    if (existing) {
      if (ifAbsent) return this.describe(existing);
      throw new SluiceError('TOPIC_EXISTS', `topic ${name} already exists`, { details: { topic: name } });
    }
    this.ensureOpen();
    const creation = (async (): Promise<TopicDescription> => {
      try {
        return await this.createNewTopic(name, partitions, full, internal);
      } finally {
        this.pending.delete(name);
      }
    })();
    this.pending.set(name, creation);
    return creation;
  }

  private async createNewTopic(name: string, partitions: number, full: TopicConfig, internal: boolean): Promise<TopicDescription> {
    const dir = `${this.topicsDir}/${name}`;
    await removeTree(this.fs, dir); // leftovers of an interrupted create
    await this.fs.mkdir(dir);
    const desc: TopicDescription = { name, partitions, config: full, internal };
    const state: TopicState = { desc, parts: [] };
    try {
      for (let i = 0; i < partitions; i++) state.parts.push(await this.openPartition(state, i));
      await writeFileAtomic(this.fs, `${dir}/topic.json`, Buffer.from(JSON.stringify(desc)));
      await this.fs.syncDir(this.topicsDir);
    } catch (err) {
      for (const p of state.parts) if (p instanceof Partition) await p.close().catch(() => undefined);
      await removeTree(this.fs, dir).catch(() => undefined);
      throw err;
    }
    this.topics.set(name, state);
    return this.describe(state);
  }

  async deleteTopic(name: string): Promise<void> {
    this.ensureOpen();
    const state = this.state(name);
    if (state.desc.internal && name === GROUP_OFFSETS_TOPIC) throw new SluiceError('INVALID_ARGUMENT', `${name} is internal and cannot be deleted`, { details: { topic: name } });
    this.topics.delete(name);
    for (const p of state.parts) if (p instanceof Partition) await p.close().catch(() => undefined);
    const trash = `${this.dataDir}/trash`;
    await this.fs.mkdir(trash);
    const target = `${trash}/${name}-${this.clock()}`;
    await this.fs.rename(`${this.topicsDir}/${name}`, target);
    await this.fs.syncDir(this.topicsDir);
    await removeTree(this.fs, target);
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  private state(name: string): TopicState {
    const s = this.topics.get(name);
    if (!s) throw new SluiceError('UNKNOWN_TOPIC', `unknown topic ${name}`, { details: { topic: name } });
    return s;
  }

  private describe(s: TopicState): TopicDescription {
    return { name: s.desc.name, partitions: s.desc.partitions, config: { ...s.desc.config }, internal: s.desc.internal };
  }

  describeTopic(name: string): TopicDescription {
    return this.describe(this.state(name));
  }

  listTopics(): TopicDescription[] {
    return [...this.topics.values()].map((s) => this.describe(s)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async alterTopicConfig(name: string, changes: Partial<TopicConfig>): Promise<TopicConfig> {
    this.ensureOpen();
    const s = this.state(name);
    const next: TopicConfig = { ...s.desc.config, ...validateTopicConfig(changes) };
    const desc = { ...s.desc, config: next };
    await writeFileAtomic(this.fs, `${this.topicsDir}/${name}/topic.json`, Buffer.from(JSON.stringify(desc)));
    s.desc.config = next;
    return { ...next };
  }

  partition(topic: string, index: number): Partition {
    this.ensureOpen();
    const s = this.state(topic);
    if (!Number.isSafeInteger(index) || index < 0 || index >= s.parts.length) {
      throw new SluiceError('PARTITION_OUT_OF_RANGE', `topic ${topic} has ${s.parts.length} partitions; ${index} is out of range`, {
        details: { topic, partition: index, partitions: s.parts.length },
      });
    }
    const p = s.parts[index]!;
    if (p instanceof SluiceError) throw p;
    return p;
  }

  /** Where a partition's files live (for verify/repair tooling). */
  partitionDir(topic: string, index: number): string {
    return `${this.topicsDir}/${topic}/${index}`;
  }

  /**
   * Repairs a partition that refused to open: cuts it at its first bad batch (only with
   * confirm: true) and opens it again. The report lists what was dropped.
   */
  async repair(topic: string, index: number, options: { confirm: boolean }): Promise<RepairReport> {
    this.ensureOpen();
    const s = this.state(topic);
    const cur = s.parts[index];
    if (cur === undefined) throw new SluiceError('PARTITION_OUT_OF_RANGE', `topic ${topic} has no partition ${index}`, { details: { topic, partition: index } });
    if (cur instanceof Partition) await cur.close();
    const report = await repairPartition({ dataDir: this.dataDir, topic, partition: index, confirm: options.confirm, fs: this.fs });
    try {
      const p = await this.openPartition(s, index);
      s.parts[index] = p;
      this.recoveryReport.failed = this.recoveryReport.failed.filter((f) => f.topic !== topic || f.partition !== index);
    } catch (err) {
      s.parts[index] = toSluiceError(err, 'IO_ERROR');
    }
    return report;
  }

  async flush(): Promise<void> {
    for (const s of this.topics.values()) for (const p of s.parts) if (p instanceof Partition) await p.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A pass in progress fails fast once its partitions are closed (it never holds them).
    const cleaning = this.cleaner?.stop();
    let first: unknown;
    try {
      await this.closePartitions();
    } catch (err) {
      first = err;
    }
    await cleaning;
    try {
      await this.lock?.release();
    } catch (err) {
      first ??= err;
    }
    if (first !== undefined) throw toSluiceError(first, 'IO_ERROR');
  }

  private async closePartitions(): Promise<void> {
    let first: unknown;
    for (const s of this.topics.values()) {
      for (const p of s.parts) {
        if (!(p instanceof Partition)) continue;
        try {
          await p.close();
        } catch (err) {
          first ??= err;
        }
      }
    }
    if (first !== undefined) throw toSluiceError(first, 'IO_ERROR');
  }
}
