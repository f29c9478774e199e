// How a batch of records crosses to another worker thread. Structured clone (what postMessage
// does on its own) costs 0.4-1 µs for every small object, which alone made parallelism 2
// slower than 1. Most streams carry records of one shape (the same keys, the same types), so
// a batch is sent as columns instead: one Float64Array per number field, one Uint8Array per
// boolean field, an array of strings per string field (transferred or cheaply cloned), and
// only fields of other types as cloned arrays. The encoder and decoder for a shape are
// generated once and cached, so a record costs a few property reads on one side and one
// object literal on the other. A batch whose records do not all share the first one's exact
// keys (in order) and field types falls back to structured clone, so nothing is ever lost:
// what arrives equals what structured clone would deliver (own enumerable properties, plain
// objects, prototypes dropped).
// May import: nothing outside this file.

/** A field's column kind: number, string, boolean, or anything else (cloned as is). */
type Leaf = 'n' | 's' | 'b' | 'a';
/** An object's fields in key order. */
interface ObjectShape {
  readonly keys: readonly string[];
  readonly fields: readonly Shape[];
}
type Shape = Leaf | ObjectShape;

export type Column = Float64Array | Uint8Array | unknown[];

/** A batch as it travels: columns with the shape's signature, or the values as they are. */
export type EncodedBatch =
  | { readonly sig: string; readonly cols: readonly Column[] }
  | { readonly sig: undefined; readonly values: readonly unknown[] };

interface Codec {
  readonly sig: string;
  /** Fills fresh columns from the values; undefined when a record does not fit the shape. */
  readonly encode: (values: readonly unknown[]) => Column[] | undefined;
  readonly decode: (cols: readonly Column[], n: number) => unknown[];
}

/** Beyond this many columns a record is unusual enough to just clone. */
const MAX_COLUMNS = 64;
/** Generated codecs kept per thread (shapes seen on the wire); the oldest are dropped. */
const MAX_CODECS = 256;
const codecs = new Map<string, Codec>();

/** Prototypes whose instances structured clone treats specially: never read as records. */
const SPECIAL = new Set<unknown>([
  Array.prototype, Date.prototype, RegExp.prototype, Map.prototype, Set.prototype, WeakMap.prototype, WeakSet.prototype,
  Error.prototype, Promise.prototype, ArrayBuffer.prototype, SharedArrayBuffer.prototype, DataView.prototype,
  Object.getPrototypeOf(Uint8Array.prototype), String.prototype, Number.prototype, Boolean.prototype, BigInt.prototype, Symbol.prototype,
]);

/** An object read field by field: its own enumerable keys, nothing special in its prototype chain. */
function isRecordObject(v: object): boolean {
  if (ArrayBuffer.isView(v)) return false;
  for (let p: unknown = Object.getPrototypeOf(v); p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (SPECIAL.has(p)) return false;
  }
  return true;
}

function shapeOf(v: unknown, budget: { cols: number }): Shape {
  switch (typeof v) {
    case 'number':
      budget.cols++;
      return 'n';
    case 'string':
      budget.cols++;
      return 's';
    case 'boolean':
      budget.cols++;
      return 'b';
    case 'object': {
      if (v === null || !isRecordObject(v)) break;
      const keys: string[] = [];
      // for-in, as the generated check walks it: own and inherited enumerable keys.
      for (const k in v) keys.push(k);
      if (keys.length === 0 || keys.some((k) => k === '__proto__' || !Object.hasOwn(v, k))) break;
      return { keys, fields: keys.map((k) => shapeOf((v as Record<string, unknown>)[k], budget)) };
    }
  }
  budget.cols++;
  return 'a';
}

function signature(s: Shape): string {
  return typeof s === 'string' ? s : `{${s.keys.map((k, i) => `${JSON.stringify(k)}:${signature(s.fields[i] as Shape)}`).join(',')}}`;
}

/** A signature back to its shape (the receiving thread builds its decoder from it). */
function parseSignature(sig: string): Shape {
  let at = 0;
  const parse = (): Shape => {
    const c = sig[at];
    if (c !== '{') {
      at++;
      return c as Leaf;
    }
    at++;
    const keys: string[] = [];
    const fields: Shape[] = [];
    while (sig[at] !== '}') {
      if (sig[at] === ',') at++;
      // A JSON string: find its closing quote (skipping escaped characters).
      let end = at + 1;
      while (sig[end] !== '"') end += sig[end] === '\\' ? 2 : 1;
      keys.push(JSON.parse(sig.slice(at, end + 1)) as string);
      at = end + 2; // past the quote and the colon
      fields.push(parse());
    }
    at++;
    return { keys, fields };
  };
  return parse();
}

interface Generated {
  /** Per object position: the last prototype found fit to be read as a record (a batch has one or two). */
  protos: string[];
  check: string[];
  read: string[];
  /** The expression that rebuilds the value from column `c{i}[i]`. */
  build: string;
  kinds: Leaf[];
}

/** Generates the per-record check and column writes for `s` read from expression `v`, and its rebuild. */
function generate(s: Shape, v: string, g: Generated, depth: number): string {
  if (typeof s === 'string') {
    const c = g.kinds.length;
    g.kinds.push(s);
    const type = s === 'n' ? 'number' : s === 's' ? 'string' : s === 'b' ? 'boolean' : undefined;
    if (type !== undefined) g.check.push(`if (typeof ${v} !== '${type}') return undefined;`);
    g.read.push(s === 'b' ? `c${c}[i] = ${v} ? 1 : 0;` : `c${c}[i] = ${v};`);
    return s === 'b' ? `c${c}[i] === 1` : s === 'n' ? `num(c${c}[i])` : `c${c}[i]`;
  }
  const o = `o${depth}_${g.check.length}`;
  const p = `p${g.protos.length}`;
  g.protos.push(p);
  const keys = JSON.stringify(s.keys);
  g.check.push(
    `const ${o} = ${v};`,
    `if (typeof ${o} !== 'object' || ${o} === null || Array.isArray(${o})) return undefined;`,
    // Typed arrays, String objects, a Date with properties added...: their keys may match the
    // shape, but structured clone delivers them as what they are.
    `{ const pr = Object.getPrototypeOf(${o}); if (pr !== ${p}) { if (!isRecord(${o})) return undefined; ${p} = pr; } }`,
    `{ const K = ${keys}; let j = 0; for (const k in ${o}) { if (k !== K[j++]) return undefined; } if (j !== K.length) return undefined; }`,
  );
  const parts = s.keys.map((k, i) => `${JSON.stringify(k)}: ${generate(s.fields[i] as Shape, `${o}[${JSON.stringify(k)}]`, g, depth + 1)}`);
  return `{ ${parts.join(', ')} }`;
}

/**
 * A number read from a Float64Array is a double. Integers are given back as int32 values where
 * they fit (never -0), as the sender had them: code downstream that saw small integers would
 * otherwise meet doubles (boxed, and a reason for V8 to deoptimise it) only on this thread.
 */
function smallIntOrDouble(x: number): number {
  const i = x | 0;
  return i === x && (i !== 0 || 1 / x > 0) ? i : x;
}

function compile(shape: Shape, sig: string): Codec {
  const g: Generated = { protos: [], check: [], read: [], build: '', kinds: [] };
  g.build = generate(shape, 'v', g, 0);
  const alloc = g.kinds.map((k, c) => `const c${c} = ${k === 'n' ? 'new Float64Array(n)' : k === 'b' ? 'new Uint8Array(n)' : 'new Array(n)'};`);
  const cols = g.kinds.map((_, c) => `c${c}`).join(', ');
  const encode = (
    new Function(
      'isRecord',
      `return function encode(values) {
         const n = values.length; ${alloc.join(' ')}
         ${g.protos.map((p) => `let ${p};`).join(' ')}
         for (let i = 0; i < n; i++) { const v = values[i]; ${g.check.join(' ')} ${g.read.join(' ')} }
         return [${cols}];
       };`,
    ) as (isRecord: (o: object) => boolean) => Codec['encode']
  )(isRecordObject);
  const decode = (
    new Function(
      'num',
      `return function decode(cols, n) {
         ${g.kinds.map((_, c) => `const c${c} = cols[${c}];`).join(' ')}
         const out = new Array(n);
         for (let i = 0; i < n; i++) out[i] = ${g.build};
         return out;
       };`,
    ) as (num: (x: number) => number) => Codec['decode']
  )(smallIntOrDouble);
  return { sig, encode, decode };
}

function codecFor(sig: string, shape: () => Shape): Codec {
  let c = codecs.get(sig);
  if (c === undefined) {
    if (codecs.size >= MAX_CODECS) codecs.delete(codecs.keys().next().value as string);
    codecs.set(sig, (c = compile(shape(), sig)));
  }
  return c;
}

/** Encodes a batch for another thread; `transfer` collects the buffers to hand over with it. */
export function encodeBatch(values: readonly unknown[], transfer: ArrayBuffer[]): EncodedBatch {
  const budget = { cols: 0 };
  const shape = values.length < 2 ? undefined : shapeOf(values[0], budget);
  // A lone record, a record of no known shape, or one of only 'anything' fields: clone it.
  if (shape === undefined || shape === 'a' || budget.cols > MAX_COLUMNS) return { sig: undefined, values };
  const sig = signature(shape);
  const cols = codecFor(sig, () => shape).encode(values);
  if (cols === undefined) return { sig: undefined, values };
  for (const c of cols) if (!Array.isArray(c)) transfer.push(c.buffer as ArrayBuffer);
  return { sig, cols };
}

export function decodeBatch(b: EncodedBatch, n: number): unknown[] {
  if (b.sig === undefined) return b.values as unknown[];
  const sig = b.sig;
  return codecFor(sig, () => parseSignature(sig)).decode(b.cols, n);
}

/** Timestamps as a transferable column. */
export function encodeTimestamps(ts: readonly number[], transfer: ArrayBuffer[]): Float64Array {
  const out = new Float64Array(ts.length);
  for (let i = 0; i < ts.length; i++) out[i] = ts[i] as number;
  transfer.push(out.buffer);
  return out;
}

export function decodeTimestamps(ts: Float64Array): number[] {
  const out = new Array<number>(ts.length);
  for (let i = 0; i < ts.length; i++) out[i] = ts[i] as number;
  return out;
}
