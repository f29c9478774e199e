// A one-line progress bar for long CLI operations (producing a large file, verifying or
// repairing a log). Draws on stderr only when stderr is a terminal, so piped output and
// test captures stay clean; redraws at most ten times a second so it never slows the work.
// May import: node built-ins only.

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): boolean;
}

export class Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly started = Date.now();
  readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: ProgressStream = process.stderr,
    private readonly unit: 'bytes' | 'items' = 'bytes',
  ) {
    this.enabled = stream.isTTY === true && total > 0;
  }

  /** Sets the amount done so far (same unit as total). */
  update(done: number): void {
    this.done = done;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw();
  }

  finish(): void {
    if (!this.enabled) return;
    this.done = this.total;
    this.draw();
    this.stream.write('\n');
  }

  /** The line the bar would draw (exposed so it can be tested without a terminal). */
  render(width = this.stream.columns ?? 80): string {
    const frac = Math.min(1, this.total > 0 ? this.done / this.total : 1);
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000);
    const amount = this.unit === 'bytes' ? `${human(this.done)}/${human(this.total)} ${human(this.done / secs)}/s` : `${this.done}/${this.total}`;
    const pct = `${Math.floor(frac * 100)}%`.padStart(4);
    const fixed = `${this.label} [] ${pct} ${amount}`;
    const barWidth = Math.max(5, Math.min(40, width - fixed.length - 1));
    const filled = Math.round(frac * barWidth);
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${pct} ${amount}`;
  }

  private draw(): void {
    this.stream.write(`\r${this.render()}\x1b[K`);
  }
}

function human(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}
