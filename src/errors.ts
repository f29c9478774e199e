// The one error type of Sluice. Every failure a user can meet carries a stable code from
// the list below (so callers branch on codes, not on message text) and says whether
// retrying the same operation can help.
//
// To add a code: append it to ERROR_CODES with a short comment; codes are never renamed
// or removed once released.

export const ERROR_CODES = {
  // configuration and input
  INVALID_ARGUMENT: { retriable: false },
  INVALID_CONFIG: { retriable: false },
  INVALID_TOPIC_NAME: { retriable: false },
  UNKNOWN_TOPIC: { retriable: false },
  TOPIC_EXISTS: { retriable: false },
  PARTITION_OUT_OF_RANGE: { retriable: false },
  OFFSET_OUT_OF_RANGE: { retriable: false },
  // codec: bytes that do not decode
  TRUNCATED_INPUT: { retriable: false },
  INVALID_VARINT: { retriable: false },
  CORRUPT_BATCH: { retriable: false },
  UNSUPPORTED_MAGIC: { retriable: false },
  UNSUPPORTED_COMPRESSION: { retriable: false },
  COMPRESSION_FAILED: { retriable: false },
  BATCH_TOO_LARGE: { retriable: false },
  // storage
  IO_ERROR: { retriable: true },
  DISK_FULL: { retriable: true },
  LOG_CORRUPTED: { retriable: false },
  LOG_CLOSED: { retriable: false },
  /** Another process (or another open Log) owns the data directory (src/log/data-dir-lock.ts). */
  DATA_DIR_LOCKED: { retriable: false },
  // idempotent and transactional producers
  DUPLICATE_SEQUENCE: { retriable: false },
  OUT_OF_ORDER_SEQUENCE: { retriable: false },
  PRODUCER_FENCED: { retriable: false },
  // waits and limits
  TIMEOUT: { retriable: true },
  LIMIT_EXCEEDED: { retriable: true },
  // engine
  JOB_FAILED: { retriable: false },
  STATE_ERROR: { retriable: false },
  CHECKPOINT_FAILED: { retriable: true },
  /** The async I/O operator's function failed (after its retries) for an element (engine/operators/async-io.ts). */
  ASYNC_IO_FAILED: { retriable: false },
  // connectors, formats and schemas
  CONNECTION_FAILED: { retriable: true },
  DESERIALIZATION_FAILED: { retriable: false },
  SCHEMA_INVALID: { retriable: false },
  SCHEMA_NOT_FOUND: { retriable: false },
  SCHEMA_INCOMPATIBLE: { retriable: false },
  // protocol
  MALFORMED_FRAME: { retriable: false },
  UNSUPPORTED_VERSION: { retriable: false },
  // a bug in Sluice, not in the input
  INTERNAL: { retriable: false },
} as const satisfies Record<string, { retriable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface SluiceErrorOptions {
  cause?: unknown;
  /** Overrides the code's default when a specific occurrence is (or is not) worth retrying. */
  retriable?: boolean;
  /** Structured facts about the failure (topic, partition, offset, bytes dropped, ...). */
  details?: Record<string, unknown>;
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code].retriable;
    this.details = options.details;
  }
}

export function isSluiceError(err: unknown, code?: ErrorCode): err is SluiceError {
  return err instanceof SluiceError && (code === undefined || err.code === code);
}

/** Wraps an unknown thrown value, keeping a SluiceError as it is. */
export function toSluiceError(err: unknown, code: ErrorCode = 'INTERNAL'): SluiceError {
  if (err instanceof SluiceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SluiceError(code, message, { cause: err });
}
