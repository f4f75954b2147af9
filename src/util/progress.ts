/**
 * A progress bar on stderr with count, rate and ETA. Redraws in place on a TTY; elsewhere
 * (CI logs, pipes) prints a plain line at most every few seconds so logs stay readable.
 */
export interface ProgressOptions {
  /** What is counted, e.g. "users", "prompts". */
  unit?: string;
  /** Where to draw; stderr by default. */
  stream?: NodeJS.WriteStream;
  /** Disable output entirely (tests, --json). */
  silent?: boolean;
}

export class Progress {
  private done = 0;
  private readonly start = performance.now();
  private lastDraw = 0;
  private readonly counters = new Map<string, number>();
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private finished = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  /** Advances by n units and optionally adds to named counters (shown as rates). */
  tick(n = 1, counters?: Record<string, number>): void {
    this.done += n;
    if (counters) for (const [k, v] of Object.entries(counters)) this.counters.set(k, (this.counters.get(k) ?? 0) + v);
    this.draw(false);
  }

  /** Sets the absolute count (for work resumed part-way). */
  set(done: number): void {
    this.done = done;
    this.draw(false);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.draw(true);
    if (this.tty && !this.options.silent) this.stream.write('\n');
  }

  /** The line as it would be drawn now (exposed for tests). */
  line(): string {
    const seconds = (performance.now() - this.start) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const unit = this.options.unit ?? 'it';
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const eta = rate > 0 && this.done < this.total ? (this.total - this.done) / rate : 0;
    const extra = [...this.counters].map(([k, v]) => `${formatRate(seconds > 0 ? v / seconds : 0)} ${k}/s`);
    return [
      `${this.label} [${bar}] ${this.done}/${this.total} ${(frac * 100).toFixed(1)}%`,
      `${formatRate(rate)} ${unit}/s`,
      ...extra,
      this.done >= this.total ? `${formatDuration(seconds)} total` : `ETA ${formatDuration(eta)}`,
    ].join(' | ');
  }

  private draw(force: boolean): void {
    if (this.options.silent) return;
    const now = performance.now();
    const interval = this.tty ? 100 : 5000;
    if (!force && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    this.stream.write(this.tty ? `\r${this.line()}\x1b[K` : `${this.line()}\n`);
  }
}

function formatRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
