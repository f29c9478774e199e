// How records become bytes and back for byte-oriented sources and sinks (log topics, files).
// A decode failure throws; sources catch it and route the raw record to a dead-letter output,
// so a bad record never stops a pipeline. Connectors and the schema registry add formats.
// Formats that need I/O (schema registry formats: register or look up their schema, fetch a
// writer schema they have not seen) add `open` and `decodeAsync`; the synchronous `decode`
// stays the hot path and the async one runs only when `decode` threw a retriable error.
// May import: errors only.

export interface Format<T> {
  readonly name: string;
  /** Throws SluiceError DESERIALIZATION_FAILED when the bytes are not a T (retriable: try decodeAsync). */
  decode(bytes: Buffer): T;
  /** Called as a method (`format.encode(v)`), so class-based formats keep their `this`. */
  encode(value: T): Buffer;
  /** Called once before first use by sources and sinks (e.g. register / look up a schema); see openFormat(). */
  open?(): Promise<void>;
  /** Used by sources when decode threw a retriable error (e.g. a writer schema not fetched yet). */
  decodeAsync?(bytes: Buffer): Promise<T>;
}
