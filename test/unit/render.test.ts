import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { buildProgress, type RestartProgress } from '../../src/kruise/progress';
import type { Pod } from '../../src/kruise/types';
import { colorEnabled, liveViewSupported } from '../../src/ui/color';
import { formatDocument } from '../../src/ui/document';
import { podTable, podsByAttention, renderFrame } from '../../src/ui/frame';
import { LineReporter } from '../../src/ui/lines';
import { LiveView, type Scheduler } from '../../src/ui/live';
import { displayWidth, truncateEnd, truncateMiddle } from '../../src/ui/text';
import {
  cloneSet,
  crr,
  crrRecord,
  inplaceRecord,
  ms,
  notRestartedPod,
  oldPod,
  recreatedPod,
  restartedPod,
  restartingPod,
  stripAnsi,
  succeededCrr,
} from './fixtures';

// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b/;

let big: RestartProgress | undefined;
function bigProgress(): RestartProgress {
  if (big) return big;
  const pods: Pod[] = [];
  for (let i = 0; i < 5000; i++) {
    const name = `web-${String(i).padStart(4, '0')}-x7k2p`;
    if (i < 4900) pods.push(restartedPod(name, { node: `ip-10-0-${i % 250}-${i % 7}.eu-west-1.compute.internal` }));
    else if (i < 4960) pods.push(oldPod(name));
    else if (i < 4990) pods.push(restartingPod(name));
    else pods.push(notRestartedPod(name));
  }
  big = buildProgress({ cloneSet: cloneSet({ pods, maxUnavailable: '1%' }), pods, record: inplaceRecord(), now: ms(900) });
  return big;
}

function smallInplace(): RestartProgress {
  const pods = [restartedPod('web-a'), restartingPod('web-b'), oldPod('web-c'), notRestartedPod('web-d'), recreatedPod('web-e')];
  return buildProgress({ cloneSet: cloneSet({ pods }), pods, record: inplaceRecord(), now: ms(120) });
}

function smallCrr(): RestartProgress {
  const pods = [oldPod('web-a'), oldPod('web-b'), oldPod('web-c')];
  const crrs = [succeededCrr('web-a', 20), crr({ pod: 'web-b', phase: 'Recreating', states: [{ phase: 'Recreating' }] })];
  return buildProgress({ cloneSet: cloneSet({ pods }), pods, record: crrRecord(['web-a', 'web-b', 'web-c']), crrs, now: ms(40) });
}

function assertFits(frame: string, columns: number, rows: number) {
  const lines = frame.split('\n');
  assert.ok(lines.length <= rows, `${lines.length} lines > ${rows}`);
  for (const line of lines) assert.ok(displayWidth(stripAnsi(line)) <= columns, `too wide (${displayWidth(stripAnsi(line))}): ${stripAnsi(line)}`);
}

describe('renderFrame', () => {
  it('fits a 5,000-pod restart into 40 rows x 120 columns, failed and in-flight pods first, the rest folded', () => {
    const p = bigProgress();
    for (const color of [false, true]) {
      for (const wide of [false, true]) {
        const frame = renderFrame(p, { columns: 120, rows: 40, color, wide, now: ms(900) });
        assertFits(frame, 120, 40);
        const plain = stripAnsi(frame);
        assert.match(plain, /… 4,9\d\d more: .*restarted/);
        const lines = plain.split('\n');
        const firstPod = lines.findIndex((l) => l.startsWith('POD'));
        assert.ok(firstPod > 0);
        assert.match(lines[firstPod + 1], /failed/);
        assert.ok(lines.some((l) => /restarting/.test(l)));
        assert.equal(ESCAPE.test(frame), color);
      }
    }
  });

  it('fits tiny and narrow terminals without throwing', () => {
    const p = bigProgress();
    for (const [columns, rows] of [[20, 3], [40, 5], [1, 1], [200, 8], [80, 2]]) {
      assertFits(renderFrame(p, { columns, rows, color: true, now: ms(900) }), columns, rows);
    }
  });

  it('shows the header, the bar with counts and ETA, and one row per pod when they fit', () => {
    const frame = renderFrame(smallInplace(), { columns: 160, rows: 40, color: false, now: ms(120) });
    const lines = frame.split('\n');
    assert.match(lines[0], /^CloneSet default\/web {2}InPlaceIfPossible {2}6b7c9d5f4 -> 7d8f9b6c5 {2}maxUnavailable 1 {2}partition 0 {2}paused: no$/);
    assert.match(lines[1], /^Restart 2026-11-26T10:00:00Z \(inplace\) started 2m ago: FAILED$/);
    assert.match(lines[2], /^\[[#x>.]+\] 2\/5 restarted {2}1 restarting {2}1 pending {2}1 failed {2}1 recreated {2}unavailable 1\/1 {2}ETA 2m$/);
    const head = lines.find((l) => l.startsWith('POD'));
    assert.deepEqual(head?.split(/\s{2,}/), ['POD', 'NODE', 'READY', 'STATE', 'RESTARTS', 'AGE', 'REASON']);
    for (const name of ['web-a', 'web-b', 'web-c', 'web-d', 'web-e']) assert.ok(lines.some((l) => l.startsWith(name)), name);
    assert.ok(!frame.includes('more:'));
    assert.ok(!ESCAPE.test(frame));
  });

  it("names each kind's own paused field when the restart is paused", () => {
    const base = smallInplace();
    const paused = (kind: string) => ({ ...base, failed: false, complete: false, state: 'paused', cloneSet: { ...base.cloneSet, kind } }) as RestartProgress;
    const header = (kind: string) => renderFrame(paused(kind), { columns: 160, rows: 40, color: false, now: ms(120) }).split('\n')[1];
    assert.match(header('CloneSet'), /: paused \(spec\.updateStrategy\.paused\)$/);
    assert.match(header('StatefulSet'), /: paused \(spec\.updateStrategy\.rollingUpdate\.paused\)$/);
    assert.match(header('DaemonSet'), /: paused \(spec\.updateStrategy\.rollingUpdate\.paused\)$/);
  });

  it('adds the CRR phase in crr mode and IP, REVISION, CONTAINER IDS with wide', () => {
    const frame = renderFrame(smallCrr(), { columns: 200, rows: 40, color: false, wide: true, now: ms(40) });
    const head = frame.split('\n').find((l) => l.startsWith('POD'));
    assert.deepEqual(head?.split(/\s{2,}/), ['POD', 'NODE', 'READY', 'STATE', 'RESTARTS', 'AGE', 'CRR', 'IP', 'REVISION', 'CONTAINER IDS', 'REASON']);
    const webB = frame.split('\n').find((l) => l.startsWith('web-b'));
    assert.match(webB ?? '', /restarting .* Recreating .* 10\.0\.0\.1 .* 6b7c9d5f4 .* web-b-app-0-/);
  });

  it('drops the least useful columns before cutting pod names', () => {
    const frame = renderFrame(smallCrr(), { columns: 60, rows: 40, color: false, wide: true, now: ms(40) });
    assertFits(frame, 60, 40);
    const head = frame.split('\n').find((l) => l.startsWith('POD')) ?? '';
    assert.ok(!head.includes('CONTAINER IDS'));
    assert.ok(frame.includes('web-b'));
  });

  it('cuts long pod names in the middle, keeping their unique tail', () => {
    const pods = [oldPod('web-a-very-long-cloneset-name-for-the-payments-service-abc12')];
    const p = buildProgress({ cloneSet: cloneSet({ pods }), pods, record: inplaceRecord(), now: ms(1) });
    const frame = renderFrame(p, { columns: 50, rows: 20, color: false, now: ms(1) });
    assertFits(frame, 50, 20);
    assert.match(frame, /…[a-z-]*abc12/);
  });

  it('keeps control characters from pod data out of the frame', () => {
    const pods = [oldPod('web-a')];
    const p = buildProgress({ cloneSet: cloneSet({ pods }), pods, record: crrRecord(['web-a']), crrs: [crr({ pod: 'web-a', completed: 3, message: 'boom\x1b[2J\nline two' })], now: ms(5) });
    const frame = renderFrame(p, { columns: 120, rows: 20, color: false, now: ms(5) });
    assert.ok(!ESCAPE.test(frame));
    assert.match(frame, /boom \[2J line two/);
  });

  it('renders "no restart recorded" with the pods', () => {
    const pods = [oldPod('web-a')];
    const p = buildProgress({ cloneSet: cloneSet({ pods }), pods, now: ms(0) });
    const frame = renderFrame(p, { columns: 100, rows: 10, color: false, now: ms(0) });
    assert.match(frame, /No restart recorded/);
    assert.match(frame, /web-a/);
  });

  it('lays out long tables without cli-table3, to the same text', () => {
    const p = bigProgress();
    const some = p.pods.slice(4890, 4990);
    for (const color of [false, true]) {
      for (const wide of [false, true]) {
        const options = { columns: 140, color, wide, now: ms(900) };
        assert.deepEqual(podTable(p, some, options, 'plain'), podTable(p, some, options, 'cli-table3'));
      }
    }
  });

  it('prints every pod of a 5,000-pod restart off a terminal in well under a second', () => {
    const p = bigProgress();
    const started = Date.now();
    const frame = renderFrame(p, { columns: 200, rows: 100_000, color: false, now: ms(900) });
    assert.equal(frame.split('\n').filter((l) => l.startsWith('web-')).length, 5000);
    assert.ok(Date.now() - started < 1500, `${Date.now() - started} ms`);
  });

  it('orders pods by attention: failed, in flight (oldest first), pending, then done (newest first)', () => {
    const order = podsByAttention(smallInplace().pods).map((p) => p.state);
    assert.deepEqual(order, ['failed', 'restarting', 'pending', 'recreated', 'restarted']);
  });
});

describe('text helpers', () => {
  it('truncates by display width, keeping escapes and resetting colour', () => {
    assert.equal(truncateEnd('abcdef', 4), 'abc…');
    assert.equal(truncateEnd('abc', 4), 'abc');
    assert.equal(stripAnsi(truncateEnd('\x1b[31mabcdef\x1b[39m', 4)), 'abc…');
    assert.ok(truncateEnd('\x1b[31mabcdef\x1b[39m', 4).endsWith('\x1b[0m'));
    assert.equal(displayWidth('日本語'), 6);
    assert.equal(displayWidth(truncateEnd('日本語ポッド', 5)), 5);
    assert.equal(truncateMiddle('web-0123456789-abcde', 11), 'web-0…abcde');
  });
});

class FakeScheduler implements Scheduler {
  time = 0;
  private queue: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  setTimeout(fn: () => void, ms: number) {
    const id = this.next++;
    this.queue.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown) {
    this.queue = this.queue.filter((t) => t.id !== handle);
  }
  now() {
    return this.time;
  }
  advance(ms: number) {
    this.time += ms;
    const due = this.queue.filter((t) => t.at <= this.time);
    this.queue = this.queue.filter((t) => t.at > this.time);
    for (const t of due) t.fn();
  }
  get pending() {
    return this.queue.length;
  }
}

class FakeTty {
  columns = 100;
  rows = 30;
  writes: string[] = [];
  listeners: (() => void)[] = [];
  write(chunk: string) {
    this.writes.push(chunk);
    return true;
  }
  on(_event: 'resize', fn: () => void) {
    this.listeners.push(fn);
  }
  off(_event: 'resize', fn: () => void) {
    this.listeners = this.listeners.filter((l) => l !== fn);
  }
  resize(columns: number, rows: number) {
    this.columns = columns;
    this.rows = rows;
    for (const l of [...this.listeners]) l();
  }
}

describe('LiveView', () => {
  it('draws at once, throttles later updates to one redraw per interval, and redraws in place', () => {
    const tty = new FakeTty();
    const clock = new FakeScheduler();
    const view = new LiveView(tty, { color: false, scheduler: clock, intervalMs: 150 });
    const p = smallInplace();
    view.update(p);
    assert.equal(tty.writes.length, 1);
    assert.ok(tty.writes[0].startsWith('\x1b[?25l'), 'hides the cursor');
    clock.advance(50);
    const changed = smallCrr();
    view.update(changed);
    view.update(changed);
    assert.equal(tty.writes.length, 1, 'throttled');
    assert.equal(clock.pending, 1);
    clock.advance(100);
    assert.equal(tty.writes.length, 2);
    // In place: up into the previous frame, never a second frame below it (live-screen.test.ts checks the screen).
    assert.ok(/^.\[\d*F/.test(tty.writes[1]) && tty.writes[1].startsWith('\x1b'), 'moves up into the previous frame');
    clock.advance(1000);
    view.update(changed);
    assert.equal(tty.writes.length, 2, 'an unchanged frame writes nothing');
  });

  it('redraws on resize, counting the rows the old frame takes once re-wrapped', () => {
    const tty = new FakeTty();
    tty.columns = 200;
    const clock = new FakeScheduler();
    const view = new LiveView(tty, { color: false, scheduler: clock });
    view.update(smallInplace());
    const widths = tty.writes[0].replace('\x1b[?25l', '').split('\n').slice(0, -1).map((l) => displayWidth(l));
    clock.advance(1000);
    tty.resize(40, 30);
    assert.equal(tty.writes.length, 2);
    const expectedUp = widths.reduce((sum, w) => sum + Math.max(1, Math.ceil(w / 40)), 0);
    assert.ok(tty.writes[1].startsWith(`\x1b[${expectedUp}F`));
    const frame = tty.writes[1].slice(tty.writes[1].indexOf('\x1b[0J') + 4);
    for (const line of frame.split('\n')) assert.ok(displayWidth(line) < 40);
  });

  it('stop() draws the final frame, leaves it, restores the cursor and stops listening', () => {
    const tty = new FakeTty();
    const clock = new FakeScheduler();
    const view = new LiveView(tty, { color: true, scheduler: clock });
    view.update(smallInplace());
    clock.advance(10);
    const done = smallCrr();
    view.stop(done);
    assert.equal(clock.pending, 0);
    const last = tty.writes.join('');
    assert.ok(last.endsWith('\x1b[?25h'));
    assert.match(stripAnsi(tty.writes[tty.writes.length - 2]), /\(crr\)/);
    assert.equal(tty.listeners.length, 0);
    view.update(smallInplace());
    view.stop();
    assert.ok(tty.writes.join('').endsWith('\x1b[?25h'));
  });

  it('keeps frames within the terminal', () => {
    const tty = new FakeTty();
    tty.columns = 120;
    tty.rows = 40;
    const view = new LiveView(tty, { color: true, scheduler: new FakeScheduler() });
    view.update(bigProgress());
    const frame = tty.writes[0].replace('\x1b[?25l', '');
    assertFits(frame.replace(/\n$/, ''), 120, 40);
  });
});

describe('LineReporter', () => {
  it('writes one timestamped line per pod state change, a summary on change, diagnoses once and a final line', () => {
    const out: string[] = [];
    const reporter = new LineReporter({ write: (s: string) => out.push(s) }, { summaryEverySeconds: 30 });
    const cs = cloneSet({ replicas: 3 });
    const record = inplaceRecord();
    const step = (pods: Pod[], at: number) => buildProgress({ cloneSet: cloneSet({ pods }), pods, record, now: ms(at) });

    reporter.update(step([restartingPod('web-a'), oldPod('web-b'), oldPod('web-c')], 12));
    reporter.update(step([restartingPod('web-a'), oldPod('web-b'), oldPod('web-c')], 14));
    reporter.update(step([restartedPod('web-a'), restartingPod('web-b'), oldPod('web-c')], 20));
    reporter.update(step([restartedPod('web-a'), restartingPod('web-b'), oldPod('web-c')], 60));
    const final = step([restartedPod('web-a'), restartedPod('web-b'), restartedPod('web-c')], 70);
    reporter.finish(final);
    reporter.finish(final);
    assert.ok(cs);
    const text = out.join('');
    assert.ok(!ESCAPE.test(text));
    assert.deepEqual(text.trimEnd().split('\n'), [
      '2026-11-26T10:00:12Z cloneset default/web: restart 2026-11-26T10:00:00Z (inplace) started 2026-11-26T10:00:00Z',
      '2026-11-26T10:00:12Z pod web-a: restarting (waiting for kruise-daemon to restart app)',
      '2026-11-26T10:00:12Z cloneset web: 0/3 restarted, 1 restarting, 2 pending, unavailable 1/1',
      '2026-11-26T10:00:20Z pod web-a: restarting -> restarted',
      '2026-11-26T10:00:20Z pod web-b: pending -> restarting (waiting for kruise-daemon to restart app)',
      '2026-11-26T10:00:20Z cloneset web: 1/3 restarted, 1 restarting, 1 pending, unavailable 1/1, ETA 40s',
      '2026-11-26T10:01:00Z cloneset web: 1/3 restarted, 1 restarting, 1 pending, unavailable 1/1, ETA 2m',
      '2026-11-26T10:01:10Z pod web-b: restarting -> restarted',
      '2026-11-26T10:01:10Z pod web-c: pending -> restarted',
      '2026-11-26T10:01:10Z cloneset web: 3/3 restarted, 0 restarting, 0 pending, unavailable 0/1',
      '2026-11-26T10:01:10Z cloneset web: restart complete: 3 of 3 pods restarted',
    ]);
  });

  it('reports pods that appear and vanish, and new diagnoses once', () => {
    const out: string[] = [];
    const reporter = new LineReporter({ write: (s: string) => out.push(s) });
    const record = inplaceRecord();
    const a = [oldPod('web-a'), notRestartedPod('web-b')];
    const b = [recreatedPod('web-n'), notRestartedPod('web-b')];
    reporter.update(buildProgress({ cloneSet: cloneSet({ pods: a }), pods: a, record, now: ms(30) }));
    reporter.update(buildProgress({ cloneSet: cloneSet({ pods: b }), pods: b, record, now: ms(40) }));
    const text = out.join('');
    assert.match(text, /pod web-b: failed \(not restarted/);
    assert.match(text, /pod web-n: \(new\) -> recreated/);
    assert.match(text, /pod web-a: pending -> \(gone\)/);
    assert.equal(text.match(/error: Kruise updated web-b/g)?.length, 1);
    assert.equal(text.match(/warning: web-n was recreated/g)?.length, 1);
  });
});

describe('formatDocument (the RestartProgress document)', () => {
  it('writes the stable JSON fields', () => {
    const doc = JSON.parse(formatDocument(smallCrr(), 'json'));
    for (const key of ['complete', 'failed', 'mode', 'run', 'startedAt', 'observedAt', 'cloneSet', 'summary', 'pods', 'diagnoses', 'message']) {
      assert.ok(key in doc, key);
    }
    assert.deepEqual(Object.keys(doc.summary), ['total', 'restarted', 'restarting', 'pending', 'failed', 'skipped', 'recreated', 'unavailable', 'budget']);
    for (const key of ['namespace', 'name', 'strategy', 'replicas', 'currentRevision', 'updateRevision', 'maxUnavailable', 'partition', 'paused', 'observedGeneration', 'generation']) {
      assert.ok(key in doc.cloneSet, key);
    }
    const pod = doc.pods.find((p: { name: string }) => p.name === 'web-b');
    assert.equal(pod.state, 'restarting');
    assert.equal(pod.ready, true);
    assert.equal(pod.crrPhase, 'Recreating');
    assert.equal(pod.crr, 'web-b-abcd');
    assert.deepEqual(Object.keys(pod.containers[0]), ['name', 'restartCount', 'containerID', 'ready', 'startedAt']);
    assert.equal(doc.mode, 'crr');
  });

  it('writes the same document as YAML', () => {
    const p = smallInplace();
    const fromYaml = yaml.load(formatDocument(p, 'yaml'));
    assert.deepEqual(fromYaml, JSON.parse(formatDocument(p, 'json')));
  });
});

describe('colorEnabled', () => {
  const tty = { isTTY: true };
  it('is on for a terminal with no opt-out', () => {
    assert.equal(colorEnabled(tty, { env: { TERM: 'xterm-256color' } }), true);
  });
  it('is off with NO_COLOR set to any value, even empty', () => {
    assert.equal(colorEnabled(tty, { env: { NO_COLOR: '1' } }), false);
    assert.equal(colorEnabled(tty, { env: { NO_COLOR: '' } }), false);
  });
  it('is off with --no-color, TERM=dumb, or off a terminal', () => {
    assert.equal(colorEnabled(tty, { noColor: true, env: {} }), false);
    assert.equal(colorEnabled(tty, { env: { TERM: 'dumb' } }), false);
    assert.equal(colorEnabled({ isTTY: false }, { env: {} }), false);
    assert.equal(colorEnabled({}, { env: {} }), false);
  });
  it('allows the live view on a terminal even without colour, but not on TERM=dumb', () => {
    assert.equal(liveViewSupported(tty, { NO_COLOR: '1' }), true);
    assert.equal(liveViewSupported(tty, { TERM: 'dumb' }), false);
    assert.equal(liveViewSupported({ isTTY: false }, {}), false);
  });
});
