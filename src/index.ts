// Public API of the `sluice` package: named exports only. Grouped by layer, in the order
// data flows (codec -> log -> broker; engine -> connectors; schema and observe on top).

// Errors
export { SluiceError, isSluiceError, toSluiceError, ERROR_CODES } from './errors.js';
export type { ErrorCode, SluiceErrorOptions } from './errors.js';

// Codec: Kafka RecordBatch v2 and compression
export {
  encodeBatch,
  decodeBatch,
  decodeBatches,
  validateBatch,
  scanBatches,
  readBatchHeader,
} from './codec/record-batch.js';
export type { BatchHeader, EncodeBatchOptions } from './codec/record-batch.js';
export type { Record, RecordHeader, RecordInput } from './codec/record.js';
export { compress, decompress, CompressionCodes } from './codec/compression.js';
export type { CompressionName } from './codec/compression.js';
export { encodeControlBatch, decodeControlRecord } from './codec/control-record.js';

// Log: the durable partitioned log
export { Log } from './log/log.js';
export type { LogOptions, TopicDescription, LogRecoveryReport, CreateTopicOptions } from './log/log.js';
export { Partition } from './log/partition.js';
export type {
  AppendResult,
  ReadResult,
  PartitionRecoveryReport,
  SegmentInfo,
  TransactionMarker,
  Isolation,
} from './log/partition.js';
export {
  DEFAULT_TOPIC_CONFIG,
  topicConfigFromKafka,
  topicConfigToKafka,
  validateTopicName,
} from './log/topic-config.js';
export type { TopicConfig } from './log/topic-config.js';
export type { FlushPolicy } from './log/flush-policy.js';
export type { GroupOffsetStore } from './log/group-offsets.js';
export { verifyLog, verifyPartition, repairPartition } from './log/verify.js';
export type { VerifyReport, RepairReport } from './log/verify.js';
export type { FileSystem, FileHandle } from './log/fs/file-system.js';
export { NodeFileSystem } from './log/fs/node-file-system.js';
export { MemoryFileSystem } from './log/fs/memory-file-system.js';
export { LogCleaner } from './log/cleaner.js';
export type { CleanerPass } from './log/cleaner.js';
export { partitionForKey, murmur2 } from './log/partitioner.js';

// Broker: the Kafka wire protocol over the log
export { Broker, DEFAULT_PORT, DEFAULT_MAX_REQUEST_BYTES } from './broker/server.js';
export type { BrokerOptions } from './broker/server.js';
export { KafkaError, kafkaErrorCode } from './broker/protocol/error-codes.js';

// Engine: building and running pipelines
export { pipeline, Pipeline } from './engine/api/pipeline.js';
export type { JobHandle } from './engine/api/pipeline.js';
export {
  DataStream,
  KeyedStream,
  ConnectedStreams,
  BroadcastStream,
  BroadcastConnectedStream,
} from './engine/api/data-stream.js';
export type * from './engine/api/functions.js';
export { OutputTag, outputTag } from './engine/api/output-tag.js';
export { toMillis } from './engine/api/duration.js';
export type { Duration } from './engine/api/duration.js';
export { heapStateBackend, lmdbStateBackend } from './engine/api/state-backend.js';
export type { StateBackendFactory } from './engine/api/state-backend.js';
export type { PipelineOptions, RunOptions, CheckpointOptions, WorkerRunOptions, RestartStrategy } from './engine/runtime/job-options.js';
export type { JobResult } from './engine/runtime/job-runner.js';
export type { JobStatus, SubtaskStatus, CheckpointStats, CheckpointListener } from './engine/runtime/job-status.js';
export { boundedOutOfOrderness, monotonous, noWatermarks } from './engine/time/watermark-strategy.js';
export type { WatermarkStrategy, WatermarkGenerator } from './engine/time/watermark-strategy.js';
export { ManualClock, systemClock } from './engine/time/clock.js';
export type { Clock } from './engine/time/clock.js';

// Engine: sources, sinks and formats
export { fromCollection } from './engine/sources/collection-source.js';
export { generatorSource } from './engine/sources/generator-source.js';
export { topic } from './engine/sources/log-topic-source.js';
export { DeadLetterWriter, DLQ_HEADERS, DEAD_LETTERS_METRIC } from './engine/sources/dead-letters.js';
export type { DeadLetter } from './engine/sources/dead-letters.js';
export type { Source, SourceReader, SourceBatch, SourceContext } from './engine/sources/source.js';
export { collectSink } from './engine/sinks/collect-sink.js';
export { topicSink } from './engine/sinks/log-topic-sink.js';
export type { Sink, SinkWriter, SinkContext } from './engine/sinks/sink.js';
export { json } from './engine/formats/json.js';
export { string } from './engine/formats/string.js';
export { bytes } from './engine/formats/bytes.js';
export type { Format } from './engine/formats/format.js';

// Engine: operators and the test harness
export type { StreamOperator, OperatorContext, Output } from './engine/operators/operator.js';
export { OperatorHarness } from './engine/testing/operator-harness.js';
export {
  keyedProcessHarness,
  processHarness,
  keyedCoProcessHarness,
  keyedBroadcastProcessHarness,
  testHarness,
} from './engine/testing/test-harness.js';

// Engine: async I/O
export { asyncIO, asyncMap } from './engine/operators/async-io.js';
export type { AsyncWaitOptions } from './engine/operators/async-io.js';
export type {
  AsyncFunction,
  AsyncIoOptions,
  AsyncRetryOptions,
  AsyncFailure,
  BackoffOptions,
  TimeoutHandler,
} from './engine/operators/async-io-options.js';

// Engine: keyed state
export {
  valueStateDescriptor,
  listStateDescriptor,
  mapStateDescriptor,
  reducingStateDescriptor,
  aggregatingStateDescriptor,
} from './engine/state/descriptors.js';
export { keyGroupFor, keyGroupRangeFor, subtaskForKey, keyHash, DEFAULT_MAX_PARALLELISM } from './engine/state/key-group.js';
export { createHeapKeyedStateBackend } from './engine/state/heap-backend.js';
export { createLmdbKeyedStateBackend } from './engine/state/lmdb-backend.js';
export type { LmdbKeyedStateBackendOptions } from './engine/state/lmdb-backend.js';
export { DEFAULT_NAMESPACE } from './engine/state/types.js';
export type {
  AggregateFunction,
  ReduceFunction,
  StateTtlConfig,
  ValueState,
  ListState,
  MapState,
  ReducingState,
  AggregatingState,
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
  KeyedStateBackend,
  KeyedStateBackendOptions,
  KeyGroupRange,
  KeyGroupSnapshot,
  StateKey,
  OperatorStateStore,
  OperatorListState,
  OperatorStateMode,
} from './engine/state/types.js';

// Engine: windows and aggregations
export { TimeWindow, GlobalWindow } from './engine/windowing/window.js';
export type { Window } from './engine/windowing/window.js';
export {
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  GlobalWindows,
  tumbling,
  sliding,
  session,
  globalWindow,
} from './engine/windowing/assigners.js';
export type { WindowAssigner, MergingWindowAssigner } from './engine/windowing/window-assigner.js';
export { TriggerResult } from './engine/windowing/trigger.js';
export type { Trigger, TriggerContext, OnMergeContext, TriggerStateDescriptor } from './engine/windowing/trigger.js';
export {
  EventTimeTrigger,
  ProcessingTimeTrigger,
  CountTrigger,
  ContinuousEventTimeTrigger,
  ContinuousProcessingTimeTrigger,
  EarlyFiringEventTimeTrigger,
  PurgingTrigger,
} from './engine/windowing/triggers.js';
export { WindowedStream } from './engine/windowing/windowed-stream.js';
export type { ProcessWindowFunction, ProcessWindowContext, WindowResult } from './engine/windowing/window-function.js';
export { count, sum, min, max, minBy, maxBy, average } from './engine/aggregations/basic.js';
export { distinctCount } from './engine/aggregations/distinct-count.js';
export { approxDistinctCount } from './engine/aggregations/approx-distinct-count.js';
export { topN } from './engine/aggregations/top-n.js';
export { aggregates, reducing } from './engine/aggregations/combine.js';

// Engine: joins
export { intervalJoin, IntervalJoin, IntervalJoined } from './engine/joins/interval-join.js';
export type { JoinOperatorOptions } from './engine/joins/interval-join.js';
export { IntervalJoinOperator } from './engine/joins/interval-join-operator.js';
export type { ProcessJoinFunction, ProcessJoinFunctionObject, IntervalJoinContext } from './engine/joins/interval-join-operator.js';
export { windowJoin, windowCoGroup } from './engine/joins/window-join.js';
export type { TaggedUnion, CoGroupFunction, JoinFunction, FlatJoinFunction, WindowJoinContext } from './engine/joins/window-join.js';
export { temporalJoin, lookupJoin, TemporalJoinBuilder } from './engine/joins/temporal-join.js';
export type { TemporalJoinFunction, TemporalJoinContext } from './engine/joins/temporal-join-operator.js';

// Schema registry and schema-aware formats
export { Registry } from './schema/registry.js';
export { RegistryServer } from './schema/http/registry-server.js';
export type { RegistryServerOptions } from './schema/http/registry-server.js';
export { LogRegistryStore, SCHEMAS_TOPIC } from './schema/store/log-registry-store.js';
export { MemoryRegistryStore } from './schema/store/registry-store.js';
export type { RegistryStore } from './schema/store/registry-store.js';
export { RegistryClient } from './schema/serdes/registry-client.js';
export { avroFormat, protobufFormat, jsonSchemaFormat } from './schema/serdes/schema-format.js';
export type { SchemaFormat, SchemaFormatOptions } from './schema/serdes/schema-format.js';
export { encodeEnvelope, decodeEnvelope, MAGIC_BYTE } from './schema/serdes/wire-format.js';
export { generateTypeScript } from './schema/codegen/typescript.js';
export type { SchemaType, CompatibilityLevel, SchemaReference, ParsedSchema } from './schema/types.js';

// Observability
export { MetricsRegistry, Counter, Gauge, Histogram } from './observe/metrics.js';

// Connectors
export { postgresSink } from './connectors/postgres/postgres-sink.js';
export type { PostgresSinkOptions } from './connectors/postgres/postgres-sink.js';
export { kafkaSource } from './connectors/kafka/kafka-source.js';
export type { KafkaSourceOptions } from './connectors/kafka/kafka-source.js';
export { kafkaSink } from './connectors/kafka/kafka-sink.js';
export type { KafkaSinkOptions } from './connectors/kafka/kafka-sink.js';
export { fileSource } from './connectors/file/file-source.js';
export type { FileSourceOptions } from './connectors/file/file-source.js';
export { fileSink } from './connectors/file/file-sink.js';
export type { FileSinkOptions } from './connectors/file/file-sink.js';
export { parseCsv, CsvReader, formatCsvRow } from './connectors/file/csv.js';
export { startHttpIngest } from './connectors/http/http-ingest.js';
export type { HttpIngestOptions, HttpIngestServer } from './connectors/http/http-ingest.js';
export { WebSocketBroadcast } from './connectors/websocket/websocket-broadcast.js';
export type { WebSocketBroadcastOptions } from './connectors/websocket/websocket-broadcast.js';
export { consoleSink } from './connectors/console/console-sink.js';
export { seededGenerator } from './connectors/generator/seeded-generator.js';
export { registerKafkajsCodecs } from './connectors/kafka/kafka-client.js';
