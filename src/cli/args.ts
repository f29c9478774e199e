// Small argument helpers shared by the verbs: strict node:util parseArgs, typed integer /
// timestamp / enum parsing with INVALID_ARGUMENT errors that name the flag, the --data-dir
// option every verb takes, and opening the log without creating it by accident.
// May import: ../errors.ts, ../log/log.ts, ./verb.ts, node built-ins.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { SluiceError } from '../errors.js';
import { defaultDataDir } from './verb.js';
import { Log } from '../log/log.js';

export const DATA_DIR_OPTION = { 'data-dir': { type: 'string' } } as const;

export const DATA_DIR_HELP = `  --data-dir DIR         where the log lives (default $SLUICE_DATA_DIR or ./.sluice-data)`;

type VerbParseConfig<O> = { args: string[]; options: O; strict: true; allowPositionals: true };

/** Strict parse: unknown flags and missing values are ERR_PARSE_ARGS errors (main.ts prints help). */
export function parseVerbArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<VerbParseConfig<O>>> {
  return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
}

export function dataDirFrom(values: { 'data-dir'?: string | boolean | undefined | (string | boolean)[] }): string {
  const v = values['data-dir'];
  return typeof v === 'string' && v !== '' ? v : defaultDataDir();
}

function invalid(message: string, details: Record<string, unknown>): SluiceError {
  return new SluiceError('INVALID_ARGUMENT', message, { details });
}

/** A whole number from a flag value; INVALID_ARGUMENT naming the flag otherwise. */
export function intArg(value: string | undefined, flag: string, range: { min?: number; max?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (!/^-?\d+$/.test(trimmed)) throw invalid(`${flag} must be a whole number, got '${value}'`, { flag, value });
  const n = Number(trimmed);
  const min = range.min ?? Number.MIN_SAFE_INTEGER;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw invalid(`${flag} must be between ${min} and ${max}, got ${value}`, { flag, value });
  }
  return n;
}

/** Milliseconds since the epoch from either a number of ms or an ISO-8601 date. */
export function timestampArg(value: string, flag: string): number {
  const t = value.trim();
  if (/^-?\d+$/.test(t)) return intArg(t, flag, { min: 0 })!;
  // Only accept things that look like dates: Date.parse is lenient with arbitrary text.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(t) ? Date.parse(t) : Number.NaN;
  if (Number.isNaN(ms)) throw invalid(`${flag} must be milliseconds since the epoch or an ISO-8601 date, got '${value}'`, { flag, value });
  return ms;
}

export function enumArg<T extends string>(value: string | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalid(`${flag} must be one of ${allowed.join(', ')}, got '${value}'`, { flag, value });
  }
  return value as T;
}

/** Exactly `count` positionals, or INVALID_ARGUMENT describing what was expected. */
export function positionals(list: string[], names: string[]): string[] {
  if (list.length !== names.length) {
    const want = names.map((n) => `<${n}>`).join(' ');
    throw invalid(`expected ${want}, got ${list.length === 0 ? 'nothing' : list.map((s) => `'${s}'`).join(' ')}`, { positionals: list });
  }
  return list;
}

/** `key=value` pairs from repeated --config flags. */
export function keyValueArgs(values: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of values ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw invalid(`${flag} takes name=value, got '${kv}'`, { flag, value: kv });
    out[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
  }
  return out;
}

/**
 * Opens the log for a verb. Unless `create` is set, a data directory that holds no log yet
 * is an error rather than silently created: a mistyped --data-dir must not leave files behind.
 */
export async function openLog(dataDir: string, options: { create?: boolean } = {}): Promise<Log> {
  if (!options.create && !existsSync(`${dataDir}/topics`)) {
    throw new SluiceError('UNKNOWN_TOPIC', `no log in ${dataDir} (create a topic first with 'sluice topics create', or pass --data-dir)`, {
      details: { dataDir },
    });
  }
  return Log.open({ dataDir });
}

/** Runs `fn` with an open log and always closes it (flushing what was written). */
export async function withLog<T>(dataDir: string, options: { create?: boolean }, fn: (log: Log) => Promise<T>): Promise<T> {
  const log = await openLog(dataDir, options);
  try {
    return await fn(log);
  } finally {
    await log.close();
  }
}
