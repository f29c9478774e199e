// How records become bytes and back for byte-oriented sources and sinks (log topics, files).
// A decode failure throws; sources catch it and route the raw record to a dead-letter output,
// so a bad record never stops a pipeline. Connectors and the schema registry add formats.
// May import: errors only.

export interface Format<T> {
  readonly name: string;
  /** Throws SluiceError DESERIALIZATION_FAILED when the bytes are not a T. */
  decode(bytes: Buffer): T;
  encode(value: T): Buffer;
}
