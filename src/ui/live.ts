// The live view on a terminal: redraws the latest frame in place, throttled, and again when the terminal is resized.
// Holds no business rules: it only decides when to draw and how to erase the previous frame.

import type { RestartProgress } from '../kruise/progress';
import { renderFrame } from './frame';
import { CURSOR, displayWidth } from './text';

/** The part of a tty WriteStream the view uses (process.stdout fits). */
export interface TerminalStream {
  write(chunk: string): unknown;
  columns?: number;
  rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
  removeListener?(event: 'resize', listener: () => void): unknown;
}

/** Timers and clock, injectable so tests drive redraws without waiting. */
export interface Scheduler {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const systemScheduler: Scheduler = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export interface LiveViewOptions {
  color: boolean;
  wide?: boolean;
  /** Minimum time between two redraws (default 150 ms). */
  intervalMs?: number;
  scheduler?: Scheduler;
}

export class LiveView {
  private latest: RestartProgress | undefined;
  private timer: unknown;
  private timerPending = false;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  /** Display widths of the lines on screen, to know how many rows they take after a resize re-wrapped them. */
  private onScreen: number[] = [];
  private started = false;
  private stopped = false;
  private readonly scheduler: Scheduler;
  private readonly intervalMs: number;
  private readonly onResize = () => this.schedule();

  constructor(
    private readonly stream: TerminalStream,
    private readonly options: LiveViewOptions,
  ) {
    this.scheduler = options.scheduler ?? systemScheduler;
    this.intervalMs = options.intervalMs ?? 150;
  }

  /** Show this progress soon: now if the last redraw is old enough, else at the end of the interval. */
  update(progress: RestartProgress): void {
    if (this.stopped) return;
    this.latest = progress;
    this.schedule();
  }

  /** Draw the final frame (this progress, or the latest) and leave it on screen; restore the cursor. Idempotent. */
  stop(final?: RestartProgress): void {
    if (this.stopped) return;
    if (final) this.latest = final;
    this.cancelTimer();
    if (this.latest) this.draw();
    this.stopped = true;
    if (this.started) {
      this.stream.write(CURSOR.show);
      if (this.stream.off) this.stream.off('resize', this.onResize);
      else this.stream.removeListener?.('resize', this.onResize);
    }
  }

  private schedule(): void {
    if (this.stopped || this.timerPending || !this.latest) return;
    const wait = this.lastDrawAt + this.intervalMs - this.scheduler.now();
    if (wait <= 0) {
      this.draw();
      return;
    }
    this.timerPending = true;
    this.timer = this.scheduler.setTimeout(() => {
      this.timerPending = false;
      this.timer = undefined;
      if (!this.stopped) this.draw();
    }, wait);
  }

  private cancelTimer(): void {
    if (this.timerPending) this.scheduler.clearTimeout(this.timer);
    this.timerPending = false;
    this.timer = undefined;
  }

  private draw(): void {
    if (!this.latest) return;
    const columns = Math.max(1, this.stream.columns ?? 80);
    const rows = Math.max(1, this.stream.rows ?? 24);
    // One column and one row spare: a line that fills the last column, or a frame as tall as the screen, makes many
    // terminals wrap or scroll, and the next redraw would then erase the wrong rows.
    const frame = renderFrame(this.latest, { columns: Math.max(1, columns - 1), rows: Math.max(1, rows - 1), color: this.options.color, wide: this.options.wide, now: this.scheduler.now() });
    let out = '';
    if (!this.started) {
      this.started = true;
      out += CURSOR.hide;
      this.stream.on?.('resize', this.onResize);
    }
    const previousRows = this.onScreen.reduce((sum, width) => sum + Math.max(1, Math.ceil(width / columns)), 0);
    if (previousRows > 0) out += CURSOR.up(previousRows) + CURSOR.clearDown;
    out += `${frame}\n`;
    this.stream.write(out);
    this.onScreen = frame.split('\n').map((line) => displayWidth(line));
    this.lastDrawAt = this.scheduler.now();
  }
}
