// The dead-letter writer lives in the engine (src/engine/sources/dead-letters.ts), where the
// engine's topic source and every connector source share it; connectors cannot be imported by
// the engine. This file only keeps the old import path working (src/index.ts) until the public
// API points at the engine's file; it holds no code of its own.
// May import: engine/sources/dead-letters.ts.
export { DeadLetterWriter, DLQ_HEADERS, DEAD_LETTERS_METRIC } from '../../engine/sources/dead-letters.js';
export type { DeadLetter, DeadLetterWriterOptions, CounterRegistry } from '../../engine/sources/dead-letters.js';
