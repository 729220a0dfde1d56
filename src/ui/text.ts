// Terminal text primitives: display width, ANSI-aware truncation and the few SGR colours the renderers use.
// Pure string functions; nothing here writes.

const ESC = '\x1b';
// CSI sequences (SGR colours, cursor movement) are the only escapes the renderers emit or expect in cells.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex
const ANSI_AT_START = /^\x1b\[[0-9;?]*[ -/]*[@-~]/;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

function isZeroWidth(cp: number): boolean {
  return (
    cp <= 0x1f ||
    (cp >= 0x7f && cp <= 0x9f) ||
    (cp >= 0x300 && cp <= 0x36f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0xfeff
  );
}

/** East Asian Wide/Fullwidth and emoji: two cells, as terminals (and string-width, which cli-table3 uses) count them. */
function isWide(cp: number): boolean {
  return (
    cp >= 0x1100 &&
    (cp <= 0x115f ||
      cp === 0x2329 ||
      cp === 0x232a ||
      (cp >= 0x2e80 && cp <= 0x3247 && cp !== 0x303f) ||
      (cp >= 0x3250 && cp <= 0x4dbf) ||
      (cp >= 0x4e00 && cp <= 0xa4c6) ||
      (cp >= 0xa960 && cp <= 0xa97c) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe10 && cp <= 0xfe19) ||
      (cp >= 0xfe30 && cp <= 0xfe6b) ||
      (cp >= 0xff01 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x1b000 && cp <= 0x1b001) ||
      (cp >= 0x1f200 && cp <= 0x1f251) ||
      (cp >= 0x1f300 && cp <= 0x1faff) ||
      (cp >= 0x20000 && cp <= 0x3fffd))
  );
}

function charWidth(cp: number): number {
  if (isZeroWidth(cp)) return 0;
  return isWide(cp) ? 2 : 1;
}

/** Columns the text occupies on a terminal, escape sequences excluded. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of stripAnsi(text)) width += charWidth(ch.codePointAt(0) ?? 0);
  return width;
}

/**
 * Cuts `text` to at most `width` columns, ending with `…` when something was cut. Escape sequences are kept (they
 * take no room) and a reset is appended after a cut so a colour never bleeds into the next line.
 */
export function truncateEnd(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  let sawEscape = false;
  let rest = text;
  while (rest.length > 0) {
    const escape = ANSI_AT_START.exec(rest);
    if (escape) {
      out += escape[0];
      sawEscape = true;
      rest = rest.slice(escape[0].length);
      continue;
    }
    const cp = rest.codePointAt(0) ?? 0;
    const ch = String.fromCodePoint(cp);
    const w = charWidth(cp);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
    rest = rest.slice(ch.length);
  }
  return `${out}…${sawEscape ? `${ESC}[0m` : ''}`;
}

/** Plain-text middle cut (`web-very-lo…abc12`): pod and node names differ in their tails. */
export function truncateMiddle(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  if (width <= 2) return truncateEnd(text, width);
  const chars = [...stripAnsi(text)];
  const keepTail = Math.floor((width - 1) / 2);
  const keepHead = width - 1 - keepTail;
  let head = '';
  let headWidth = 0;
  for (const ch of chars) {
    const w = charWidth(ch.codePointAt(0) ?? 0);
    if (headWidth + w > keepHead) break;
    head += ch;
    headWidth += w;
  }
  let tail = '';
  let tailWidth = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const w = charWidth(chars[i].codePointAt(0) ?? 0);
    if (tailWidth + w > keepTail) break;
    tail = chars[i] + tail;
    tailWidth += w;
  }
  return `${head}…${tail}`;
}

export function padEnd(text: string, width: number): string {
  const gap = width - displayWidth(text);
  return gap > 0 ? text + ' '.repeat(gap) : text;
}

export type Tone = 'green' | 'yellow' | 'red' | 'cyan' | 'magenta' | 'gray' | 'bold' | 'dim';

const SGR: Record<Tone, [number, number]> = {
  green: [32, 39],
  yellow: [33, 39],
  red: [31, 39],
  cyan: [36, 39],
  magenta: [35, 39],
  gray: [90, 39],
  bold: [1, 22],
  dim: [2, 22],
};

/** A painter that is the identity when colour is off, so layout code never branches on colour. */
export type Paint = (tone: Tone, text: string) => string;

export function painter(color: boolean): Paint {
  if (!color) return (_tone, text) => text;
  return (tone, text) => (text === '' ? text : `${ESC}[${SGR[tone][0]}m${text}${ESC}[${SGR[tone][1]}m`);
}

export const CURSOR = {
  hide: `${ESC}[?25l`,
  show: `${ESC}[?25h`,
  /** To the start of the line `n` lines up. */
  up: (n: number) => (n > 0 ? `${ESC}[${n}F` : '\r'),
  clearDown: `${ESC}[0J`,
} as const;
