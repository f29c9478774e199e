// `sluice schema register|get|list|check|delete|codegen`: a command-line client of a running
// schema registry (this one or Confluent's), through the same RegistryClient the serdes use.
// codegen writes TypeScript types for a subject's schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { SluiceError } from '../errors.js';
import { generateTypeScript } from '../schema/codegen/typescript.js';
import { RegistryClient } from '../schema/serdes/registry-client.js';
import { parseSchema } from '../schema/providers.js';
import { SCHEMA_TYPES, type SchemaReference, type SchemaType } from '../schema/types.js';
import { parseArgs } from 'node:util';
import { enumArg, positionals } from './args.js';
import type { Verb } from './verb.js';

const HELP = `Usage: sluice schema <command> [options]

Commands:
  register <subject> <file>   register a schema (file '-' = stdin); prints its id
  get <subject>               print a version (--version, default latest) as JSON
  get --id N                  print the schema with global id N
  list                        list subjects (--deleted includes soft-deleted ones)
  check <subject> <file>      test compatibility against --version (default: what the level demands)
  delete <subject>            delete a subject, or one --version; --permanent after a soft delete
  codegen <subject>           write TypeScript types for a version (--version, --out FILE, --name Root)

Options:
  --url URL            registry address (default $SLUICE_REGISTRY_URL or http://127.0.0.1:8081)
  --user NAME:PASS     basic-auth credentials
  --type TYPE          AVRO, PROTOBUF or JSON (default: PROTOBUF for .proto files, else AVRO)
  --ref NAME=SUBJECT:VERSION   a reference (repeatable)
  --version V          a version number or 'latest'
`;

function readSchemaFile(file: string): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (err) {
    throw new SluiceError('INVALID_ARGUMENT', `cannot read ${file}: ${(err as Error).message}`);
  }
}

function parseRefs(list: string[] | undefined): SchemaReference[] {
  return (list ?? []).map((r) => {
    const m = /^([^=]+)=([^:]+):(-?\d+|latest)$/.exec(r);
    if (!m) throw new SluiceError('INVALID_ARGUMENT', `--ref takes NAME=SUBJECT:VERSION, got '${r}'`);
    return { name: m[1] as string, subject: m[2] as string, version: m[3] === 'latest' ? -1 : Number(m[3]) };
  });
}

function versionArg(v: string | undefined): number | 'latest' {
  if (v === undefined || v === 'latest') return 'latest';
  if (!/^\d+$/.test(v)) throw new SluiceError('INVALID_ARGUMENT', `--version takes a number or 'latest', got '${v}'`);
  return Number(v);
}

export const schemaVerb: Verb = {
  name: 'schema',
  summary: 'register, inspect, check, delete schemas and generate TypeScript types',
  help: HELP,
  async run(argv) {
    const { values, positionals: pos } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {
      url: { type: 'string' },
      user: { type: 'string' },
      type: { type: 'string' },
      ref: { type: 'string', multiple: true },
      version: { type: 'string' },
      id: { type: 'string' },
      deleted: { type: 'boolean' },
      permanent: { type: 'boolean' },
      out: { type: 'string' },
      name: { type: 'string' },
    } });
    const [command, ...rest] = pos;
    const url = values.url ?? process.env.SLUICE_REGISTRY_URL ?? 'http://127.0.0.1:8081';
    const [username, password] = values.user === undefined ? [] : [values.user.slice(0, values.user.indexOf(':')), values.user.slice(values.user.indexOf(':') + 1)];
    const client = new RegistryClient({ url, ...(username !== undefined ? { username, password } : {}) });
    const typeFor = (file: string): SchemaType =>
      enumArg(values.type?.toUpperCase(), '--type', SCHEMA_TYPES) ?? (extname(file) === '.proto' ? 'PROTOBUF' : 'AVRO');
    const print = (v: unknown): void => console.log(typeof v === 'string' ? v : JSON.stringify(v, null, 2));
    switch (command) {
      case 'register': {
        const [subject, file] = positionals(rest, ['subject', 'file']) as [string, string];
        const id = await client.register(subject, readSchemaFile(file), typeFor(file), parseRefs(values.ref));
        print({ id });
        return 0;
      }
      case 'get': {
        if (values.id !== undefined) {
          const s = await client.getById(Number(values.id));
          print(s);
          return 0;
        }
        const [subject] = positionals(rest, ['subject']) as [string];
        print(await client.getVersion(subject, versionArg(values.version)));
        return 0;
      }
      case 'list':
        positionals(rest, []);
        print(await client.request('GET', `/subjects${values.deleted ? '?deleted=true' : ''}`));
        return 0;
      case 'check': {
        const [subject, file] = positionals(rest, ['subject', 'file']) as [string, string];
        const body: Record<string, unknown> = { schema: readSchemaFile(file), schemaType: typeFor(file) };
        const refs = parseRefs(values.ref);
        if (refs.length > 0) body.references = refs;
        const path =
          values.version === undefined
            ? `/compatibility/subjects/${encodeURIComponent(subject)}/versions?verbose=true`
            : `/compatibility/subjects/${encodeURIComponent(subject)}/versions/${versionArg(values.version)}?verbose=true`;
        const res = await client.request<{ is_compatible: boolean; messages?: string[] }>('POST', path, body);
        print(res);
        return res.is_compatible ? 0 : 3;
      }
      case 'delete': {
        const [subject] = positionals(rest, ['subject']) as [string];
        const q = values.permanent ? '?permanent=true' : '';
        const path =
          values.version === undefined
            ? `/subjects/${encodeURIComponent(subject)}${q}`
            : `/subjects/${encodeURIComponent(subject)}/versions/${versionArg(values.version)}${q}`;
        print(await client.request('DELETE', path));
        return 0;
      }
      case 'codegen': {
        const [subject] = positionals(rest, ['subject']) as [string];
        const v = await client.getVersion(subject, versionArg(values.version));
        const parsed = parseSchema(v.schemaType, v.schema, await client.resolveReferences(v.references));
        const code = generateTypeScript(parsed, values.name);
        if (values.out) writeFileSync(values.out, code);
        else process.stdout.write(code);
        return 0;
      }
      default:
        throw new SluiceError('INVALID_ARGUMENT', `unknown schema command '${command ?? ''}'\n\n${HELP}`);
    }
  },
};
