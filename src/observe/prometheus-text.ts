// A strict reader of the Prometheus text exposition format (0.0.4), used by tests to prove
// that /metrics is valid and by tools that want the numbers back: every sample belongs to a
// family declared with # TYPE before it, names and labels are well formed, values parse,
// no series repeats, and histograms have cumulative buckets ending in le="+Inf" equal to _count.
// May import: errors.
import { SluiceError } from '../errors.js';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | undefined;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function bad(line: number, msg: string): never {
  throw new SluiceError('INVALID_ARGUMENT', `exposition line ${line}: ${msg}`);
}

function parseValue(s: string, line: number): number {
  if (s === 'NaN') return NaN;
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) bad(line, `bad value '${s}'`);
  return Number(s);
}

/** Parses and validates; throws INVALID_ARGUMENT naming the first offending line. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  if (text.length > 0 && !text.endsWith('\n')) bad(0, 'the exposition must end with a newline');
  const lines = text.split('\n');
  lines.pop();
  const familyOf = (sample: string): Family | undefined => {
    const f = families.get(sample);
    if (f) return f;
    for (const suffix of ['_bucket', '_sum', '_count']) {
      if (sample.endsWith(suffix)) {
        const h = families.get(sample.slice(0, -suffix.length));
        if (h && (h.type === 'histogram' || h.type === 'summary')) return h;
      }
    }
    return undefined;
  };
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (raw === '') bad(n, 'empty line');
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // other comments are allowed
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) bad(n, `bad metric name '${name}'`);
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) bad(n, `bad type '${rest}'`);
        const existing = families.get(name);
        if (existing && existing.samples.length > 0) bad(n, `TYPE of ${name} after its samples`);
        if (existing && existing.type !== 'untyped') bad(n, `second TYPE for ${name}`);
        families.set(name, { name, type: rest as Family['type'], help: existing?.help, samples: existing?.samples ?? [] });
      } else {
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) bad(n, 'bad escape in HELP');
        const f = families.get(name);
        if (f) {
          if (f.help !== undefined) bad(n, `second HELP for ${name}`);
          f.help = rest;
        } else families.set(name, { name, type: 'untyped', help: rest, samples: [] });
      }
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(raw);
    if (!m) bad(n, `not a sample: '${raw}'`);
    const name = m[1]!;
    const labels: Record<string, string> = {};
    if (m[3] !== undefined && m[3] !== '') {
      let rest = m[3];
      while (rest.length > 0) {
        const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
        if (!lm) bad(n, `bad label set '{${m[3]}}'`);
        const lname = lm[1]!;
        if (!LABEL.test(lname)) bad(n, `bad label name '${lname}'`);
        if (lname in labels) bad(n, `label ${lname} twice`);
        labels[lname] = lm[2]!.replace(/\\(["\\n])/g, (_s, c: string) => (c === 'n' ? '\n' : c));
        rest = rest.slice(lm[0].length);
      }
    }
    const value = parseValue(m[4]!, n);
    const fam = familyOf(name);
    if (!fam) bad(n, `sample ${name} has no # TYPE before it`);
    if (fam.type === 'counter' && !(value >= 0)) bad(n, `counter ${name} is ${value}`);
    const id = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (seen.has(id)) bad(n, `series ${id} appears twice`);
    seen.add(id);
    fam.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { buckets: [] }));
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new SluiceError('INVALID_ARGUMENT', `${f.name}_bucket without le`);
      g.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
    } else if (s.name === `${f.name}_count`) g.count = s.value;
    else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else throw new SluiceError('INVALID_ARGUMENT', `histogram ${f.name} has a plain sample ${s.name}`);
  }
  for (const [key, g] of groups) {
    const last = g.buckets[g.buckets.length - 1];
    if (!last || last[0] !== Infinity) throw new SluiceError('INVALID_ARGUMENT', `histogram ${f.name}${key} has no le="+Inf" bucket`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (g.buckets[i]![0] <= g.buckets[i - 1]![0]) throw new SluiceError('INVALID_ARGUMENT', `histogram ${f.name}${key}: le not increasing`);
      if (g.buckets[i]![1] < g.buckets[i - 1]![1]) throw new SluiceError('INVALID_ARGUMENT', `histogram ${f.name}${key}: buckets not cumulative`);
    }
    if (g.count === undefined || g.sum === undefined) throw new SluiceError('INVALID_ARGUMENT', `histogram ${f.name}${key} lacks _count or _sum`);
    if (g.count !== last[1]) throw new SluiceError('INVALID_ARGUMENT', `histogram ${f.name}${key}: +Inf bucket ${last[1]} != _count ${g.count}`);
  }
}

/** The value of one series, or undefined. */
export function sampleValue(families: Map<string, Family>, family: string, name: string, labels: Record<string, string>): number | undefined {
  const f = families.get(family);
  const s = f?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}
