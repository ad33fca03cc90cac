/** A one-line progress display for long jobs: resources done, resources/s, time left (from bytes read). */
export interface ProgressSnapshot { resources: number; errors: number; bytesDone: number }

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  resources = 0;
  errors = 0;
  bytesDone = 0;

  constructor(private readonly totalBytes: number, private readonly write: (line: string) => void, private readonly interactive: boolean) {}

  start(intervalMs = 500): void {
    this.timer = setInterval(() => this.render(), intervalMs);
    this.timer.unref();
  }

  elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  rate(): number {
    const elapsed = this.elapsedSeconds();
    return elapsed > 0 ? this.resources / elapsed : 0;
  }

  line(): string {
    const elapsed = this.elapsedSeconds();
    const bytesPerSecond = elapsed > 0 ? this.bytesDone / elapsed : 0;
    const left = bytesPerSecond > 0 ? (this.totalBytes - this.bytesDone) / bytesPerSecond : Number.NaN;
    const percent = this.totalBytes > 0 ? Math.min(100, (100 * this.bytesDone) / this.totalBytes) : 100;
    return `${this.resources} resources, ${Math.round(this.rate())}/s, ${percent.toFixed(1)}% read, ${formatDuration(left)} left, ${this.errors} errors`;
  }

  render(): void {
    this.write(this.interactive ? `\r${this.line()}\x1b[K` : `${this.line()}\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.render();
    if (this.interactive) this.write('\n');
  }
}
