// Owns the one-line progress display of a long import: lines read and the rate, redrawn in
// place on stderr at most 10 times a second, and only when stderr is a terminal (a pipe or a
// log file gets no progress noise). Warnings printed meanwhile clear the line first.

const REDRAW_MS = 100;

export interface ProgressTarget {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export class ImportProgress {
  readonly #out: ProgressTarget;
  readonly #enabled: boolean;
  readonly #now: () => number;
  #label = '';
  #startedAt = 0;
  #lastDraw = 0;
  #shown = false;

  constructor(out: ProgressTarget = process.stderr, now: () => number = () => performance.now()) {
    this.#out = out;
    this.#enabled = out.isTTY === true;
    this.#now = now;
  }

  /** Starts counting for one input. */
  start(label: string): void {
    this.#label = label;
    this.#startedAt = this.#now();
    this.#lastDraw = this.#startedAt;
  }

  /** Called per line read; draws only when the last draw is 100 ms old. */
  update(lines: number): void {
    if (!this.#enabled) return;
    const now = this.#now();
    if (now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    const seconds = (now - this.#startedAt) / 1000;
    const rate = seconds > 0 ? Math.round(lines / seconds) : 0;
    this.#out.write(`\r\x1b[K${this.#label}: ${lines.toLocaleString('en-US')} lines read, ${rate.toLocaleString('en-US')} lines/s`);
    this.#shown = true;
  }

  /** Shows a line at once (e.g. the store's turn after the last line is read); TTY only. */
  status(text: string): void {
    if (!this.#enabled) return;
    this.#out.write(`\r\x1b[K${text}`);
    this.#shown = true;
  }

  /** Removes the progress line (before a warning, and at the end). */
  clear(): void {
    if (!this.#shown) return;
    this.#out.write('\r\x1b[K');
    this.#shown = false;
  }
}
