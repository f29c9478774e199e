// Time constants shared by every part of the engine. Timestamps and watermarks are ms
// numbers; -Infinity means "no timestamp yet / no watermark yet" and +Infinity is the final
// watermark a bounded source sends at its end (it fires every remaining event-time timer).
// May import nothing.

export const MIN_WATERMARK = Number.NEGATIVE_INFINITY;
export const MAX_WATERMARK = Number.POSITIVE_INFINITY;
/** Timestamp of a record that has none (e.g. an in-memory collection without an extractor). */
export const NO_TIMESTAMP = Number.NEGATIVE_INFINITY;
