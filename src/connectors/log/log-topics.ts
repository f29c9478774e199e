// Topics of the embedded log as connectors: the engine owns the source and sink (they are
// part of its exactly-once core), this file only gives them their place among connectors so
// users find every connector under one roof. One implementation, re-exported.
// May import: engine/sources, engine/sinks.
export { topic } from '../../engine/sources/log-topic-source.js';
export type { TopicSourceOptions } from '../../engine/sources/log-topic-source.js';
export { topicSink } from '../../engine/sinks/log-topic-sink.js';
export type { TopicSinkOptions } from '../../engine/sinks/log-topic-sink.js';
