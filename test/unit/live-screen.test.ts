// The live view redraws only the lines that changed. A small virtual terminal replays every byte it wrote and the
// screen (characters and colours, scrollback included) must equal that of a terminal that got the latest frame drawn
// whole; also when the frame started low on a screen that then scrolled, when the frame grows or shrinks, and after
// a resize. It also counts the bytes: a few changed pods cost a few lines, not a screen.
import assert from 'node:assert/strict';
import { buildProgress, type RestartProgress } from '../../src/kruise/progress';
import type { Pod } from '../../src/kruise/types';
import { renderFrame } from '../../src/ui/frame';
import { LiveView, type Scheduler } from '../../src/ui/live';
import { displayWidth } from '../../src/ui/text';
import { cloneSet, inplaceRecord, ms, oldPod, restartedPod, restartingPod } from './fixtures';
import { VirtualTerminal } from '../vterm';

class Clock implements Scheduler {
  time = 0;
  setTimeout(): unknown {
    return undefined;
  }
  clearTimeout(): void {}
  now(): number {
    return this.time;
  }
}

/** A terminal showing the view: it forwards writes and resizes to a virtual terminal. */
class Tty {
  written: string[] = [];
  private listeners: (() => void)[] = [];
  constructor(readonly vt: VirtualTerminal) {}
  get columns() {
    return this.vt.columns;
  }
  get rows() {
    return this.vt.rows;
  }
  write(chunk: string) {
    this.written.push(chunk);
    this.vt.write(chunk);
    return true;
  }
  on(_event: 'resize', fn: () => void) {
    this.listeners.push(fn);
  }
  off(_event: 'resize', fn: () => void) {
    this.listeners = this.listeners.filter((l) => l !== fn);
  }
  resized() {
    for (const l of [...this.listeners]) l();
  }
}

const PRIOR = Array.from({ length: 12 }, (_, i) => `$ earlier shell output, line ${i + 1}\n`).join('');

/**
 * The oracle: the same terminal history, every frame drawn whole as the view always used to (up over the old frame,
 * clear to the end of the screen, the new frame).
 */
class WholeRedraws {
  readonly vt: VirtualTerminal;
  private previous: string[] = [];
  constructor(columns: number, rows: number, prior = PRIOR) {
    this.vt = new VirtualTerminal(columns, rows);
    this.vt.write(prior);
  }
  draw(frame: string): void {
    const rows = this.previous.reduce((sum, line) => sum + Math.max(1, Math.ceil(displayWidth(line) / this.vt.columns)), 0);
    this.vt.write(`${rows > 0 ? `\x1b[${rows}F\x1b[0J` : ''}${frame}\n`);
    this.previous = frame.split('\n');
  }
}

/**
 * A restart of `n` pods at `step`, 20 pods in flight: each step moves `perStep` pods one state on, alternately old
 * to restarting and restarting to restarted, so exactly `perStep` pods change between two steps.
 */
function restart(n: number, step: number, perStep: number): { pods: Pod[]; progress: RestartProgress } {
  const pods: Pod[] = [];
  const started = 20 + perStep * Math.ceil(step / 2);
  const finished = perStep * Math.floor(step / 2);
  for (let i = 0; i < n; i++) {
    const name = `web-${String(i).padStart(4, '0')}-x7k2p`;
    if (i < finished) pods.push(restartedPod(name));
    else if (i < started) pods.push(restartingPod(name));
    else pods.push(oldPod(name));
  }
  const progress = buildProgress({ cloneSet: cloneSet({ pods, maxUnavailable: '1%' }), pods, record: inplaceRecord(), now: ms(100 + step) });
  return { pods, progress };
}

function frameOf(progress: RestartProgress, tty: { columns: number; rows: number }, now: number, color: boolean): string {
  return renderFrame(progress, { columns: tty.columns - 1, rows: tty.rows - 1, color, now });
}

describe('LiveView redraws only what changed, and the screen is what a whole redraw shows', () => {
  for (const color of [false, true]) {
    it(`follows a restart on a 120x40 terminal that scrolled first${color ? ', in colour' : ''}`, () => {
      const vt = new VirtualTerminal(120, 40);
      vt.write(PRIOR);
      const tty = new Tty(vt);
      const oracle = new WholeRedraws(120, 40);
      const clock = new Clock();
      const view = new LiveView(tty, { color, scheduler: clock, intervalMs: 150 });
      const bytes: number[] = [];
      for (let step = 0; step < 30; step++) {
        clock.time += 150;
        const { progress } = restart(5000, step, 5);
        const before = tty.written.length;
        view.update(progress);
        bytes.push(tty.written.slice(before).join('').length);
        oracle.draw(frameOf(progress, tty, clock.time, color));
        assert.deepEqual(vt.snapshot(), oracle.vt.snapshot(), `step ${step}`);
      }
      view.stop();
      const steady = bytes.slice(1).sort((a, b) => a - b)[bytes.length >> 1];
      // 5 pods changed per frame: a quarter of a screen at most (the goal of issue 17).
      assert.ok(steady <= 120 * 40 * 0.25, `median ${steady} bytes per frame`);
    });
  }

  it('grows and shrinks the frame in place (more pods in flight, then fewer)', () => {
    const vt = new VirtualTerminal(100, 30);
    vt.write(PRIOR);
    const tty = new Tty(vt);
    const oracle = new WholeRedraws(100, 30);
    const clock = new Clock();
    const view = new LiveView(tty, { color: true, scheduler: clock });
    for (const n of [3, 6, 12, 40, 12, 2, 1, 25]) {
      clock.time += 1000;
      const { progress } = restart(n, 1, 1);
      view.update(progress);
      oracle.draw(frameOf(progress, tty, clock.time, true));
      assert.deepEqual(vt.snapshot(), oracle.vt.snapshot(), `${n} pods`);
    }
  });

  it('redraws it all after a resize, and in place again after that', () => {
    const vt = new VirtualTerminal(80, 30);
    vt.write(PRIOR);
    const tty = new Tty(vt);
    const oracle = new WholeRedraws(80, 30);
    const clock = new Clock();
    const view = new LiveView(tty, { color: true, scheduler: clock });
    const steps = [restart(200, 3, 5).progress, restart(200, 3, 5).progress, restart(200, 4, 5).progress, restart(200, 5, 5).progress];
    for (const [k, progress] of steps.entries()) {
      clock.time += 1000;
      const before = tty.written.length;
      if (k === 1) {
        vt.widen(130);
        oracle.vt.widen(130);
        tty.resized();
      } else view.update(progress);
      oracle.draw(frameOf(progress, tty, clock.time, true));
      assert.deepEqual(vt.snapshot(), oracle.vt.snapshot(), `step ${k}`);
      const wrote = tty.written.slice(before).join('');
      const whole = frameOf(progress, tty, clock.time, true).length;
      if (k >= 2) assert.ok(!wrote.includes('\x1b[0J') && wrote.length < whole / 2, `in place again (${wrote.length} of ${whole} bytes)`);
    }
  });
});
