// The live view on a terminal: redraws the latest frame in place, throttled, and again when the terminal is resized.
// Holds no business rules: it only decides when to draw and how to erase the previous frame.

import type { RestartProgress } from '../kruise/progress';
import { renderFrame } from './frame';
import { CURSOR, displayWidth } from './text';

const CLEAR_LINE_END = '\x1b[K';
const down = (n: number) => (n > 1 ? `\x1b[${n}E` : '\x1b[E');
const up = (n: number) => (n > 1 ? `\x1b[${n}F` : '\x1b[F');

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
  /** The lines on screen, and the width they were drawn for: a redraw at the same width rewrites only what changed. */
  private onScreen: string[] = [];
  private drawnSize = '';
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
    const lines = frame.split('\n');
    // A resize (either way) redraws it all: the terminal may have re-wrapped or scrolled the old lines.
    const size = `${columns}x${rows}`;
    out += size === this.drawnSize ? changedLines(this.onScreen, lines) : wholeFrame(this.onScreen, lines, columns);
    if (out) this.stream.write(out);
    this.onScreen = lines;
    this.drawnSize = size;
    this.lastDrawAt = this.scheduler.now();
  }
}

/**
 * After a resize the terminal may have re-wrapped the old lines: move up over as many rows as they take now, clear
 * everything below and draw the whole frame.
 */
function wholeFrame(previous: string[], lines: string[], columns: number): string {
  const previousRows = previous.reduce((sum, line) => sum + Math.max(1, Math.ceil(displayWidth(line) / columns)), 0);
  return `${previousRows > 0 ? CURSOR.up(previousRows) + CURSOR.clearDown : ''}${lines.join('\n')}\n`;
}

// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/y;

/** Where each visible character of a line starts in its text, and the colour codes met before it. */
function cells(line: string): { at: number[]; chars: string[]; codesBefore: number[] } {
  const at: number[] = [];
  const chars: string[] = [];
  const codesBefore: number[] = [];
  let codes = 0;
  for (let i = 0; i < line.length; ) {
    SGR.lastIndex = i;
    const code = SGR.exec(line);
    if (code) {
      codes = i + code[0].length;
      i = codes;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i) as number);
    at.push(i);
    chars.push(ch);
    codesBefore.push(codes);
    i += ch.length;
  }
  return { at, chars, codesBefore };
}

/**
 * One line rewritten in place, from its first changed column on (an age ticking, a count going up): the cursor jumps
 * there (CSI G), the line's colour codes up to that point are replayed so the rest keeps its colours, and the rest is
 * written. Only for lines whose characters are one column each; otherwise the whole line.
 */
function rewrite(before: string, after: string): string {
  const a = cells(before);
  const b = cells(after);
  let same = 0;
  while (same < a.chars.length && same < b.chars.length && a.chars[same] === b.chars[same] && codesUpTo(before, a, same) === codesUpTo(after, b, same)) same++;
  const narrow = displayWidth(b.chars.slice(0, same).join('')) === same;
  if (same < 8 || !narrow) return after + CLEAR_LINE_END;
  const start = same < b.chars.length ? b.at[same] : after.length;
  return `\x1b[${same + 1}G${codesUpTo(after, b, same)}${after.slice(start)}${CLEAR_LINE_END}`;
}

/** The colour codes of a line before its `index`th character (all of them past the last character). */
function codesUpTo(line: string, c: { codesBefore: number[]; at: number[] }, index: number): string {
  const end = index < c.at.length ? c.codesBefore[index] : line.length;
  let codes = '';
  for (let i = 0; i < end; ) {
    SGR.lastIndex = i;
    const code = SGR.exec(line);
    if (code) {
      codes += code[0];
      i += code[0].length;
    } else i++;
  }
  return codes;
}

/** Which lines of `before` stay in `after`, in order (longest common subsequence): index pairs. */
function commonLines(before: string[], after: string[]): [number, number][] {
  const n = before.length;
  const m = after.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = before[i] === after[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const pairs: [number, number][] = [];
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (before[i] === after[j]) pairs.push([i++, j++]);
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) i++;
    else j++;
  }
  return pairs;
}

/**
 * The same size as the frame on screen: change only what differs. Lines that stay but move (the pod table shifts
 * when pods change state) are moved by the terminal, deleting and inserting lines (CSI M, CSI L), not written again;
 * lines that differ in place are rewritten. Cursor moves are relative to the line below the frame, where every draw
 * leaves it, so a terminal that scrolled since is no matter. With 5 of 5,000 pods changed, that is a few lines, not
 * a screen.
 */
function changedLines(previous: string[], lines: string[]): string {
  let out = '';
  let row = previous.length;
  const moveTo = (target: number) => {
    if (target < row) out += up(row - target);
    else if (target > row) out += down(target - row);
    else out += '\r';
    row = target;
  };
  // Room first: a frame that grows gets blank lines below the old one (scrolling the terminal if it must), so the
  // lines inserted below never push anything off the bottom of the screen.
  const old = [...previous];
  if (lines.length > old.length) {
    out += '\n'.repeat(lines.length - old.length);
    while (old.length < lines.length) old.push('');
    row = old.length;
  }
  const pairs = commonLines(old, lines);
  // Hunks between kept lines: old [a, a2) became new [b, b2).
  const hunks: { a: number; a2: number; b: number; b2: number }[] = [];
  let a = 0;
  let b = 0;
  for (const [i, j] of [...pairs, [old.length, lines.length] as [number, number]]) {
    if (i > a || j > b) hunks.push({ a, a2: i, b, b2: j });
    a = i + 1;
    b = j + 1;
  }
  // Pass 1, top down: rewrite in place what pairs up, delete the old lines left over (everything below moves up).
  let removed = 0;
  const inserts: { at: number; lines: string[] }[] = [];
  for (const h of hunks) {
    const replaced = Math.min(h.a2 - h.a, h.b2 - h.b);
    for (let k = 0; k < replaced; k++) {
      moveTo(h.a - removed + k);
      out += rewrite(old[h.a + k], lines[h.b + k]);
    }
    const extra = h.a2 - h.a - replaced;
    if (extra > 0) {
      moveTo(h.a - removed + replaced);
      out += `\x1b[${extra}M`;
      removed += extra;
    }
    if (h.b2 - h.b > replaced) inserts.push({ at: h.b + replaced, lines: lines.slice(h.b + replaced, h.b2) });
  }
  // Pass 2, top down: every new line above an insert is in place by now, so it goes at its own row.
  for (const insert of inserts) {
    moveTo(insert.at);
    out += `\x1b[${insert.lines.length}L`;
    insert.lines.forEach((line, k) => {
      if (k > 0) moveTo(insert.at + k);
      out += line + CLEAR_LINE_END;
    });
  }
  moveTo(lines.length);
  if (old.length > lines.length) out += CURSOR.clearDown;
  return out === '\r' ? '' : out;
}
