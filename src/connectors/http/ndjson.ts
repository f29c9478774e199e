// Parsing an HTTP ingest body into records: one JSON value, a JSON array (its elements), or
// NDJSON (one value per non-empty line). Errors name the line so a client can fix the body.
// May import: errors only.
import { SluiceError } from '../../errors.js';

export function parseIngestBody(text: string, contentType: string): unknown[] {
  const ndjson = /ndjson|jsonl|json-seq|jsonlines/i.test(contentType);
  if (!ndjson) {
    try {
      const v: unknown = JSON.parse(text);
      return Array.isArray(v) ? v : [v];
    } catch (err) {
      // Several JSON values on separate lines sent as application/json: read them as NDJSON.
      if (!/\n\s*\S/.test(text.trim())) throw malformed(err, undefined);
    }
  }
  const out: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line.length === 0) continue;
    try {
      out.push(JSON.parse(line));
    } catch (err) {
      throw malformed(err, i + 1);
    }
  }
  if (out.length === 0) throw new SluiceError('DESERIALIZATION_FAILED', 'empty body: no records', { details: { reason: 'empty' } });
  return out;
}

function malformed(err: unknown, line: number | undefined): SluiceError {
  const msg = err instanceof Error ? err.message : String(err);
  return new SluiceError('DESERIALIZATION_FAILED', line === undefined ? `malformed JSON: ${msg}` : `malformed JSON on line ${line}: ${msg}`, {
    details: line === undefined ? {} : { line },
  });
}
