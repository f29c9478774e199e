// Shared plumbing for every benchmark program: flags (--quick, --json), median-of-N
// timing, and one output format. Human output is a readable line per figure; --json
// prints one JSON object per figure: {"bench","case","metric","value","unit"} plus
// "baseline" and "ratio" when the figure is compared with a baseline measured in the
// same run. May import only node built-ins.
import { performance } from 'node:perf_hooks';
import { cpus } from 'node:os';

export interface BenchFlags {
  quick: boolean;
  json: boolean;
}

export function parseBenchFlags(argv: string[] = process.argv.slice(2)): BenchFlags {
  const unknown = argv.filter((a) => a !== '--quick' && a !== '--json');
  if (unknown.length > 0) {
    console.error(`unknown benchmark flag(s): ${unknown.join(' ')} (expected --quick, --json)`);
    process.exit(2);
  }
  return { quick: argv.includes('--quick'), json: argv.includes('--json') };
}

export interface Figure {
  bench: string;
  case: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Runs `fn` `runs` times (after `warmup` unmeasured runs) and returns the median wall time
 * in milliseconds. `fn` returns nothing or a promise; setup belongs outside it or in `before`.
 */
export async function medianMs(
  fn: () => unknown,
  options: { runs: number; warmup?: number; before?: () => unknown; after?: () => unknown },
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < (options.warmup ?? 0) + options.runs; i++) {
    await options.before?.();
    const t0 = performance.now();
    await fn();
    const dt = performance.now() - t0;
    await options.after?.();
    if (i >= (options.warmup ?? 0)) times.push(dt);
  }
  return median(times);
}

/** Prints figures as they are measured, in the format the flags ask for. */
export class Reporter {
  readonly figures: Figure[] = [];
  constructor(
    readonly bench: string,
    readonly flags: BenchFlags,
  ) {}

  header(): void {
    if (this.flags.json) return;
    console.log(`# ${this.bench}${this.flags.quick ? ' (quick)' : ''}: node ${process.version}, ${cpus().length} CPUs, ${new Date().toISOString()}`);
  }

  /** Reports one figure; with `baseline`, the ratio value / baseline is computed and shown. */
  report(caseName: string, metric: string, value: number, unit: string, baseline?: number): Figure {
    const f: Figure = { bench: this.bench, case: caseName, metric, value: round(value), unit };
    if (baseline !== undefined) {
      f.baseline = round(baseline);
      f.ratio = baseline === 0 ? 0 : round(value / baseline, 3);
    }
    this.figures.push(f);
    if (this.flags.json) {
      console.log(JSON.stringify(f));
    } else {
      const base = f.baseline === undefined ? '' : `   baseline ${fmt(f.baseline)} ${unit}   ratio ${f.ratio}`;
      console.log(`${caseName.padEnd(44)} ${metric.padEnd(12)} ${fmt(f.value).padStart(14)} ${unit}${base}`);
    }
    return f;
  }
}

function round(v: number, digits = 2): number {
  const m = 10 ** digits;
  return Math.round(v * m) / m;
}

function fmt(v: number): string {
  return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
