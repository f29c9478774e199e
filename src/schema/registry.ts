// The schema registry's state machine, independent of HTTP: subjects, versions, global ids,
// compatibility configuration and modes, rebuilt on open by replaying the store's entries.
// Every mutation is written to the store first and applied after, one at a time (a queue),
// so ids stay unique and monotonic and a crash never leaves memory ahead of disk.
// Errors are RegistryError carrying Confluent's error_code; the HTTP layer only serialises.
import { Errors, RegistryError, SchemaInvalidError } from './registry-error.js';
import { compatibilityMessages, parseSchema } from './providers.js';
import type { RegistryStore, StoredEntry } from './store/registry-store.js';
import {
  DEFAULT_COMPATIBILITY,
  isCompatibilityLevel,
  isSchemaType,
  type CompatibilityLevel,
  type ParsedSchema,
  type ResolvedReference,
  type SchemaReference,
  type SchemaType,
} from './types.js';

export type RegistryMode = 'READWRITE' | 'READONLY' | 'IMPORT';
const MODES: readonly RegistryMode[] = ['READWRITE', 'READONLY', 'IMPORT'];

interface StoredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}
interface VersionEntry {
  version: number;
  id: number;
  deleted: boolean;
}

/** What GET /subjects/{s}/versions/{v} and lookups answer. */
export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
  deleted: boolean;
}

export interface RegisterRequest {
  schema: string;
  schemaType?: SchemaType;
  references?: SchemaReference[];
  /** IMPORT mode only: keep this id and version. */
  id?: number;
  version?: number;
}

const MAX_VERSION = 2 ** 31 - 1;

function schemaKey(subject: string, version: number): string {
  return JSON.stringify({ keytype: 'SCHEMA', subject, version, magic: 1 });
}
function configKey(subject: string | null): string {
  return JSON.stringify({ keytype: 'CONFIG', subject, magic: 0 });
}
function modeKey(subject: string | null): string {
  return JSON.stringify({ keytype: 'MODE', subject, magic: 0 });
}
const ID_KEY = JSON.stringify({ keytype: 'ID', magic: 0 });

/** Parses a path version: a number in [1, 2^31-1], "latest" or -1 (latest). */
export function parseVersion(v: string): number | 'latest' {
  if (v === 'latest' || v === '-1') return 'latest';
  if (!/^\d{1,10}$/.test(v)) throw Errors.invalidVersion(v);
  const n = Number(v);
  if (n < 1 || n > MAX_VERSION) throw Errors.invalidVersion(v);
  return n;
}

export class Registry {
  private readonly schemas = new Map<number, StoredSchema>();
  private readonly subjects = new Map<string, VersionEntry[]>();
  private readonly configs = new Map<string | null, CompatibilityLevel>();
  private readonly modes = new Map<string | null, RegistryMode>();
  private readonly parsed = new Map<number, ParsedSchema>();
  /** type + canonical form + references -> id: "the same schema" gets the same id. */
  private readonly contentIndex = new Map<string, number>();
  private maxId = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly store: RegistryStore) {}

  static async open(store: RegistryStore): Promise<Registry> {
    const r = new Registry(store);
    for (const e of await store.load()) r.apply(e);
    r.rebuildContentIndex();
    return r;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.store.close();
  }

  // ---- replay -------------------------------------------------------------------------------

  private apply(e: StoredEntry): void {
    let key: { keytype?: string; subject?: string | null; version?: number };
    try {
      key = JSON.parse(e.key) as typeof key;
    } catch {
      return; // not ours: ignore rather than refuse to start
    }
    const value = e.value === null ? null : (JSON.parse(e.value) as Record<string, unknown>);
    switch (key.keytype) {
      case 'SCHEMA': {
        const subject = String(key.subject);
        const version = Number(key.version);
        const list = this.subjects.get(subject) ?? [];
        const i = list.findIndex((x) => x.version === version);
        if (value === null) {
          if (i >= 0) list.splice(i, 1);
          if (list.length === 0) this.subjects.delete(subject);
          else this.subjects.set(subject, list);
          return;
        }
        const id = Number(value.id);
        const entry: VersionEntry = { version, id, deleted: value.deleted === true };
        if (i >= 0) list[i] = entry;
        else {
          list.push(entry);
          list.sort((a, b) => a.version - b.version);
        }
        this.subjects.set(subject, list);
        if (!this.schemas.has(id)) {
          const schemaType = isSchemaType(value.schemaType) ? value.schemaType : 'AVRO';
          this.schemas.set(id, {
            id,
            schemaType,
            schema: String(value.schema),
            references: Array.isArray(value.references) ? (value.references as SchemaReference[]) : [],
          });
        }
        this.maxId = Math.max(this.maxId, id);
        return;
      }
      case 'CONFIG': {
        const subject = key.subject ?? null;
        const level = value?.compatibilityLevel;
        if (value === null || !isCompatibilityLevel(level)) this.configs.delete(subject);
        else this.configs.set(subject, level);
        return;
      }
      case 'MODE': {
        const subject = key.subject ?? null;
        const mode = value?.mode as RegistryMode | undefined;
        if (value === null || mode === undefined || !MODES.includes(mode)) this.modes.delete(subject);
        else this.modes.set(subject, mode);
        return;
      }
      case 'ID':
        if (value && typeof value.maxId === 'number') this.maxId = Math.max(this.maxId, value.maxId);
        return;
      default:
        return;
    }
  }

  private rebuildContentIndex(): void {
    // Ids no version points to any more (hard-deleted) are forgotten; the id counter is not.
    const live = new Set<number>();
    for (const list of this.subjects.values()) for (const v of list) live.add(v.id);
    for (const id of [...this.schemas.keys()]) if (!live.has(id)) this.schemas.delete(id);
    this.contentIndex.clear();
    for (const s of this.schemas.values()) {
      try {
        this.contentIndex.set(this.contentKey(this.parseStored(s)), s.id);
      } catch {
        // a stored schema that no longer parses (e.g. a provider got stricter) keeps its id and text
      }
    }
  }

  private contentKey(p: ParsedSchema, references: readonly SchemaReference[] = []): string {
    return `${p.type}\u0000${p.canonical}\u0000${JSON.stringify(references.map((r) => [r.name, r.subject, r.version]))}`;
  }

  private parseStored(s: StoredSchema): ParsedSchema {
    let p = this.parsed.get(s.id);
    if (!p) {
      p = parseSchema(s.schemaType, s.schema, this.resolveReferences(s.references));
      this.parsed.set(s.id, p);
    }
    return p;
  }

  private resolveReferences(refs: readonly SchemaReference[], depth = 0): ResolvedReference[] {
    if (depth > 32) throw new SchemaInvalidError('references nest too deeply (a cycle?)');
    return refs.map((ref) => {
      if (ref === null || typeof ref !== 'object' || typeof ref.name !== 'string' || typeof ref.subject !== 'string')
        throw new SchemaInvalidError('a reference needs name, subject and version');
      const list = (this.subjects.get(ref.subject) ?? []).filter((v) => !v.deleted);
      const entry = ref.version === -1 ? list[list.length - 1] : list.find((v) => v.version === Number(ref.version));
      if (!entry) throw new SchemaInvalidError(`reference ${ref.name}: subject '${ref.subject}' version ${ref.version} not found`);
      const s = this.schemas.get(entry.id);
      if (!s) throw new SchemaInvalidError(`reference ${ref.name}: schema ${entry.id} not found`);
      return { name: ref.name, schema: s.schema, schemaType: s.schemaType, references: this.resolveReferences(s.references, depth + 1) };
    });
  }

  // ---- writes ---------------------------------------------------------------------------------

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(entries: StoredEntry[]): Promise<void> {
    try {
      await this.store.append(entries);
    } catch (err) {
      throw Errors.storeError(err instanceof Error ? err.message : String(err));
    }
    for (const e of entries) this.apply(e);
  }

  private checkWritable(subject: string | null): void {
    const mode = this.getMode(subject ?? undefined, true);
    if (mode === 'READONLY')
      throw Errors.operationNotPermitted(subject === null ? 'The registry is in read-only mode' : `Subject ${subject} is in read-only mode`);
  }

  /** Parses and validates a schema with its references; 42201 on anything invalid. */
  parseCandidate(req: RegisterRequest): { parsed: ParsedSchema; references: SchemaReference[] } {
    if (typeof req.schema !== 'string' || req.schema.trim() === '') throw Errors.invalidSchema('the schema is empty');
    const type = req.schemaType ?? 'AVRO';
    if (!isSchemaType(type)) throw Errors.invalidSchema(`unknown schemaType ${JSON.stringify(type)}`);
    const references = (req.references ?? []).map((r) => ({ name: r.name, subject: r.subject, version: r.version }));
    try {
      return { parsed: parseSchema(type, req.schema, this.resolveReferences(references)), references };
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      throw Errors.invalidSchema(err instanceof Error ? err.message : String(err));
    }
  }

  register(subject: string, req: RegisterRequest): Promise<{ id: number; version: number }> {
    return this.exclusive(async () => {
      validateSubject(subject);
      this.checkWritable(subject);
      const { parsed, references } = this.parseCandidate(req);
      const key = this.contentKey(parsed, references);
      const list = this.subjects.get(subject) ?? [];
      const live = list.filter((v) => !v.deleted);
      const existingId = this.contentIndex.get(key);
      const same = live.find((v) => v.id === existingId);
      if (same) return { id: same.id, version: same.version };
      const importing = this.getMode(subject, true) === 'IMPORT';
      if (!importing) {
        const level = this.getCompatibility(subject, true);
        const previous = live.map((v) => this.parseStored(this.schemas.get(v.id) as StoredSchema));
        const messages = compatibilityMessages(level, parsed, previous);
        if (messages.length > 0) {
          const err = Errors.incompatible(
            `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${messages.join(', ')}]`,
          );
          (err.details as Record<string, unknown>).messages = messages;
          throw err;
        }
      }
      let id: number;
      if (importing && req.id !== undefined) {
        if (!Number.isInteger(req.id) || req.id < 1) throw Errors.unprocessable('id must be a positive integer');
        const other = this.schemas.get(req.id);
        if (other && (other.schema !== parsed.text || other.schemaType !== parsed.type))
          throw Errors.operationNotPermitted(`Overwrite new schema with id ${req.id} is not permitted.`);
        id = req.id;
      } else id = existingId ?? this.maxId + 1;
      const version =
        importing && req.version !== undefined ? req.version : (list.length === 0 ? 0 : Math.max(...list.map((v) => v.version))) + 1;
      if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) throw Errors.invalidVersion(String(version));
      if (list.some((v) => v.version === version)) throw Errors.operationNotPermitted(`Version ${version} already exists in subject ${subject}`);
      const value: Record<string, unknown> = { subject, version, id, schema: parsed.text, deleted: false };
      if (parsed.type !== 'AVRO') value.schemaType = parsed.type;
      if (references.length > 0) value.references = references;
      await this.write([{ key: schemaKey(subject, version), value: JSON.stringify(value) }]);
      this.parsed.set(id, parsed);
      this.contentIndex.set(key, id);
      return { id, version };
    });
  }

  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.exclusive(async () => {
      this.checkWritable(subject);
      const list = this.subjects.get(subject);
      if (!list || list.length === 0) throw Errors.subjectNotFound(subject);
      const live = list.filter((v) => !v.deleted);
      if (!permanent) {
        if (live.length === 0) throw Errors.subjectSoftDeleted(subject);
        this.refuseIfReferenced(subject, live);
        await this.write(live.map((v) => this.versionEntry(subject, v, true)));
        return live.map((v) => v.version);
      }
      if (live.length > 0) throw Errors.subjectNotSoftDeleted(subject);
      const versions = list.map((v) => v.version);
      await this.write([
        { key: ID_KEY, value: JSON.stringify({ maxId: this.maxId }) },
        ...versions.map((v) => ({ key: schemaKey(subject, v), value: null })),
        ...(this.configs.has(subject) ? [{ key: configKey(subject), value: null }] : []),
        ...(this.modes.has(subject) ? [{ key: modeKey(subject), value: null }] : []),
      ]);
      this.forgetUnused();
      return versions;
    });
  }

  deleteVersion(subject: string, versionText: string, permanent: boolean): Promise<number> {
    return this.exclusive(async () => {
      this.checkWritable(subject);
      const list = this.subjects.get(subject);
      const requested = parseVersion(versionText);
      if (!list || list.length === 0) throw Errors.subjectNotFound(subject);
      let entry: VersionEntry | undefined;
      if (requested === 'latest') {
        const pool = permanent ? list : list.filter((v) => !v.deleted);
        entry = pool[pool.length - 1];
        if (!entry) throw Errors.versionNotFound(versionText);
      } else {
        entry = list.find((v) => v.version === requested);
        if (!entry) throw Errors.versionNotFound(requested);
      }
      if (!permanent) {
        if (entry.deleted) throw Errors.versionSoftDeleted(subject, entry.version);
        this.refuseIfReferenced(subject, [entry]);
        await this.write([this.versionEntry(subject, entry, true)]);
        return entry.version;
      }
      if (!entry.deleted) throw Errors.versionNotSoftDeleted(subject, entry.version);
      await this.write([
        { key: ID_KEY, value: JSON.stringify({ maxId: this.maxId }) },
        { key: schemaKey(subject, entry.version), value: null },
      ]);
      this.forgetUnused();
      return entry.version;
    });
  }

  private versionEntry(subject: string, v: VersionEntry, deleted: boolean): StoredEntry {
    const s = this.schemas.get(v.id) as StoredSchema;
    const value: Record<string, unknown> = { subject, version: v.version, id: v.id, schema: s.schema, deleted };
    if (s.schemaType !== 'AVRO') value.schemaType = s.schemaType;
    if (s.references.length > 0) value.references = s.references;
    return { key: schemaKey(subject, v.version), value: JSON.stringify(value) };
  }

  private refuseIfReferenced(subject: string, versions: VersionEntry[]): void {
    for (const v of versions) {
      const by = this.referencedByIds(subject, v.version);
      if (by.length > 0)
        throw Errors.referenceExists(`One or more references exist to the schema {subject=${subject},version=${v.version}} (referenced by ids ${by.join(', ')})`);
    }
  }

  private forgetUnused(): void {
    const live = new Set<number>();
    for (const list of this.subjects.values()) for (const v of list) live.add(v.id);
    for (const id of [...this.schemas.keys()]) {
      if (live.has(id)) continue;
      this.schemas.delete(id);
      this.parsed.delete(id);
    }
    for (const [k, id] of [...this.contentIndex]) if (!live.has(id)) this.contentIndex.delete(k);
  }

  // ---- reads -----------------------------------------------------------------------------------

  listSubjects(includeDeleted: boolean): string[] {
    const out: string[] = [];
    for (const [s, list] of this.subjects) if (list.some((v) => includeDeleted || !v.deleted)) out.push(s);
    return out.sort();
  }

  listVersions(subject: string, includeDeleted: boolean): number[] {
    const list = (this.subjects.get(subject) ?? []).filter((v) => includeDeleted || !v.deleted);
    if (list.length === 0) throw Errors.subjectNotFound(subject);
    return list.map((v) => v.version);
  }

  getVersion(subject: string, versionText: string, includeDeleted: boolean): SubjectVersion {
    const requested = parseVersion(versionText);
    const all = this.subjects.get(subject) ?? [];
    const list = all.filter((v) => includeDeleted || !v.deleted);
    if (all.length === 0 || (requested === 'latest' && list.length === 0)) throw Errors.subjectNotFound(subject);
    const entry = requested === 'latest' ? list[list.length - 1] : list.find((v) => v.version === requested);
    if (!entry) throw Errors.versionNotFound(requested);
    return this.describe(subject, entry);
  }

  private describe(subject: string, v: VersionEntry): SubjectVersion {
    const s = this.schemas.get(v.id) as StoredSchema;
    return { subject, version: v.version, id: v.id, schemaType: s.schemaType, schema: s.schema, references: s.references, deleted: v.deleted };
  }

  lookup(subject: string, req: RegisterRequest, includeDeleted: boolean): SubjectVersion {
    const list = (this.subjects.get(subject) ?? []).filter((v) => includeDeleted || !v.deleted);
    if (list.length === 0) throw Errors.subjectNotFound(subject);
    const { parsed, references } = this.parseCandidate(req);
    const id = this.contentIndex.get(this.contentKey(parsed, references));
    const matches = list.filter((v) => v.id === id);
    const entry = matches[matches.length - 1];
    if (!entry) throw Errors.schemaNotFound();
    return this.describe(subject, entry);
  }

  getSchema(id: number, includeDeleted = true): StoredSchema {
    const s = this.schemas.get(id);
    if (!s || this.subjectsForId(id, includeDeleted).length === 0) throw Errors.schemaNotFound(`Schema ${id} not found`);
    return s;
  }

  /** The parsed schema for an id (serdes, codegen). */
  getParsed(id: number): ParsedSchema {
    return this.parseStored(this.getSchema(id));
  }

  subjectsForId(id: number, includeDeleted: boolean): string[] {
    return this.versionsForId(id, includeDeleted).map((x) => x.subject).filter((s, i, a) => a.indexOf(s) === i);
  }

  versionsForId(id: number, includeDeleted: boolean): { subject: string; version: number }[] {
    const out: { subject: string; version: number }[] = [];
    for (const [subject, list] of [...this.subjects].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))
      for (const v of list) if (v.id === id && (includeDeleted || !v.deleted)) out.push({ subject, version: v.version });
    return out;
  }

  referencedBy(subject: string, versionText: string): number[] {
    const v = this.getVersion(subject, versionText, true);
    return this.referencedByIds(subject, v.version);
  }

  private referencedByIds(subject: string, version: number): number[] {
    const ids = new Set<number>();
    const latest = (this.subjects.get(subject) ?? []).filter((x) => !x.deleted).pop()?.version;
    for (const [s, list] of this.subjects)
      for (const v of list) {
        if (v.deleted || (s === subject && v.version === version)) continue;
        const schema = this.schemas.get(v.id);
        if (schema?.references.some((r) => r.subject === subject && (r.version === version || (r.version === -1 && latest === version))))
          ids.add(v.id);
      }
    return [...ids].sort((a, b) => a - b);
  }

  // ---- configuration ---------------------------------------------------------------------------

  /** Effective level; a subject without its own falls back to global when `fallback` is set, else 40408. */
  getCompatibility(subject: string | undefined, fallback: boolean): CompatibilityLevel {
    if (subject !== undefined) {
      const own = this.configs.get(subject);
      if (own) return own;
      if (!fallback) throw Errors.subjectConfigNotFound(subject);
    }
    return this.configs.get(null) ?? DEFAULT_COMPATIBILITY;
  }

  setCompatibility(subject: string | undefined, level: unknown): Promise<CompatibilityLevel> {
    return this.exclusive(async () => {
      const normalised = typeof level === 'string' ? level.toUpperCase() : level;
      if (!isCompatibilityLevel(normalised)) throw Errors.invalidCompatibility(level);
      if (subject !== undefined) validateSubject(subject);
      this.checkWritable(subject ?? null);
      await this.write([{ key: configKey(subject ?? null), value: JSON.stringify({ compatibilityLevel: normalised }) }]);
      return normalised;
    });
  }

  deleteCompatibility(subject: string | undefined): Promise<CompatibilityLevel> {
    return this.exclusive(async () => {
      this.checkWritable(subject ?? null);
      const key = subject ?? null;
      const previous = this.configs.get(key);
      if (subject !== undefined && previous === undefined) {
        if (!this.subjects.has(subject)) throw Errors.subjectNotFound(subject);
        throw Errors.subjectConfigNotFound(subject);
      }
      if (previous !== undefined) await this.write([{ key: configKey(key), value: null }]);
      return previous ?? DEFAULT_COMPATIBILITY;
    });
  }

  getMode(subject: string | undefined, fallback: boolean): RegistryMode {
    if (subject !== undefined) {
      const own = this.modes.get(subject);
      if (own) return own;
      if (!fallback) throw Errors.subjectModeNotFound(subject);
    }
    return this.modes.get(null) ?? 'READWRITE';
  }

  setMode(subject: string | undefined, mode: unknown): Promise<RegistryMode> {
    return this.exclusive(async () => {
      const m = typeof mode === 'string' ? mode.toUpperCase() : mode;
      if (typeof m !== 'string' || !MODES.includes(m as RegistryMode)) throw Errors.invalidMode(mode);
      if (subject !== undefined) validateSubject(subject);
      await this.write([{ key: modeKey(subject ?? null), value: JSON.stringify({ mode: m }) }]);
      return m as RegistryMode;
    });
  }

  deleteMode(subject: string): Promise<RegistryMode> {
    return this.exclusive(async () => {
      const previous = this.modes.get(subject);
      if (previous === undefined) throw Errors.subjectModeNotFound(subject);
      await this.write([{ key: modeKey(subject), value: null }]);
      return previous;
    });
  }

  // ---- compatibility test ----------------------------------------------------------------------

  /** POST /compatibility/subjects/{s}/versions[/{v}]: versionText undefined = against what the level demands. */
  testCompatibility(subject: string, versionText: string | undefined, req: RegisterRequest): { compatible: boolean; messages: string[] } {
    const { parsed } = this.parseCandidate(req);
    const level = this.getCompatibility(subject, true);
    const live = (this.subjects.get(subject) ?? []).filter((v) => !v.deleted);
    let previous: ParsedSchema[];
    if (versionText === undefined) {
      previous = live.map((v) => this.parseStored(this.schemas.get(v.id) as StoredSchema));
    } else {
      const v = this.getVersion(subject, versionText, false);
      previous = [this.parseStored(this.schemas.get(v.id) as StoredSchema)];
    }
    // a specific version is judged alone: the transitive part of the level does not widen it
    const messages = compatibilityMessages(level, parsed, previous);
    return { compatible: messages.length === 0, messages };
  }
}

function validateSubject(subject: string): void {
  // eslint-disable-next-line no-control-regex
  if (subject.length === 0 || subject.length > 4096 || /[\u0000-\u001f]/.test(subject))
    throw Errors.unprocessable('Subject name is empty, too long or contains control characters');
}
