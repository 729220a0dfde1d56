// A small virtual terminal for tests: replays what the plugin wrote (text, CR, LF as a tty's onlcr makes it, CSI
// cursor moves, erase, insert and delete lines, SGR colours) into a grid of cells, with scrollback. Anything else it
// refuses, so a test learns when the plugin starts writing sequences nobody checked.
interface Cell {
  ch: string;
  sgr: string;
}

/** Enough of a VT100/xterm for what the view writes: text, CR, LF (as a tty's onlcr makes it), CSI A-G, J, K, L, M, m. */
export class VirtualTerminal {
  screen: Cell[][];
  scrollback: string[] = [];
  row = 0;
  col = 0;
  private sgr = '';

  constructor(
    public columns: number,
    public rows: number,
  ) {
    this.screen = Array.from({ length: rows }, () => this.blankRow());
  }

  private blankRow(): Cell[] {
    return Array.from({ length: this.columns }, () => ({ ch: ' ', sgr: '' }));
  }

  private lineFeed(): void {
    if (this.row === this.rows - 1) {
      this.scrollback.push(this.screen.shift()!.map((c) => c.ch).join('').trimEnd());
      this.screen.push(this.blankRow());
    } else this.row++;
  }

  write(data: string): void {
    for (let i = 0; i < data.length; i++) {
      const ch = data[i];
      if (ch === '\x1b' && data[i + 1] === '[') {
        // eslint-disable-next-line no-control-regex
        const m = /^\x1b\[([?\d;]*)([A-Za-z])/.exec(data.slice(i));
        if (!m) throw new Error(`unknown escape at ${JSON.stringify(data.slice(i, i + 10))}`);
        this.csi(m[1], m[2]);
        i += m[0].length - 1;
      } else if (ch === '\n') {
        this.col = 0;
        this.lineFeed();
      } else if (ch === '\r') this.col = 0;
      else {
        if (this.col >= this.columns) {
          this.col = 0;
          this.lineFeed();
        }
        this.screen[this.row][this.col++] = { ch, sgr: this.sgr };
      }
    }
  }

  private csi(params: string, final: string): void {
    const n = Math.max(1, Number(params || 1));
    switch (final) {
      case 'A':
        this.row = Math.max(0, this.row - n);
        break;
      case 'B':
        this.row = Math.min(this.rows - 1, this.row + n);
        break;
      case 'G':
        this.col = Math.min(this.columns - 1, n - 1);
        break;
      case 'E':
        this.row = Math.min(this.rows - 1, this.row + n);
        this.col = 0;
        break;
      case 'F':
        this.row = Math.max(0, this.row - n);
        this.col = 0;
        break;
      case 'K':
        if (params === '' || params === '0') for (let c = this.col; c < this.columns; c++) this.screen[this.row][c] = { ch: ' ', sgr: '' };
        else throw new Error(`CSI ${params}K not expected`);
        break;
      case 'J':
        if (params !== '' && params !== '0') throw new Error(`CSI ${params}J not expected`);
        for (let c = this.col; c < this.columns; c++) this.screen[this.row][c] = { ch: ' ', sgr: '' };
        for (let r = this.row + 1; r < this.rows; r++) this.screen[r] = this.blankRow();
        break;
      case 'L':
        // Insert lines at the cursor row: rows below move down, the bottom ones fall off the screen.
        for (let k = 0; k < n; k++) {
          this.screen.splice(this.row, 0, this.blankRow());
          this.screen.pop();
        }
        this.col = 0;
        break;
      case 'M':
        // Delete lines at the cursor row: rows below move up, blank rows come in at the bottom.
        for (let k = 0; k < n; k++) {
          this.screen.splice(this.row, 1);
          this.screen.push(this.blankRow());
        }
        this.col = 0;
        break;
      case 'm':
        this.sgr = applySgr(this.sgr, params);
        break;
      case 'h':
      case 'l':
        break; // cursor visibility
      default:
        throw new Error(`CSI ${params}${final} not expected`);
    }
  }

  /** A wider terminal: nothing re-wraps, rows get longer. */
  widen(columns: number): void {
    for (const row of this.screen) while (row.length < columns) row.push({ ch: ' ', sgr: '' });
    this.columns = columns;
  }

  snapshot(): { screen: string[]; colours: string[]; scrollback: string[]; cursor: [number, number] } {
    return {
      screen: this.screen.map((r) => r.map((c) => c.ch).join('')),
      colours: this.screen.map((r) => r.map((c) => c.sgr).join('|')),
      scrollback: [...this.scrollback],
      cursor: [this.row, this.col],
    };
  }
}

/** The attributes SGR codes set, as one canonical string: the same look gives the same string. */
function applySgr(current: string, params: string): string {
  const state = new Map(current ? current.split(',').map((kv) => kv.split('=') as [string, string]) : []);
  const codes = params === '' ? [0] : params.split(';').map(Number);
  for (const code of codes) {
    if (code === 0) state.clear();
    else if (code === 1) state.set('bold', '1');
    else if (code === 2) state.set('dim', '1');
    else if (code === 22) {
      state.delete('bold');
      state.delete('dim');
    }
    else if (code === 3) state.set('italic', '1');
    else if (code === 23) state.delete('italic');
    else if (code === 4) state.set('underline', '1');
    else if (code === 24) state.delete('underline');
    else if (code === 7) state.set('inverse', '1');
    else if (code === 27) state.delete('inverse');
    else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) state.set('fg', String(code));
    else if (code === 39) state.delete('fg');
    else if ((code >= 40 && code <= 47) || (code >= 100 && code <= 107)) state.set('bg', String(code));
    else if (code === 49) state.delete('bg');
    else throw new Error(`SGR ${code} not expected`);
  }
  return [...state.entries()].sort().map(([k, v]) => `${k}=${v}`).join(',');
}
