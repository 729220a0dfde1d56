// One frame of the live view: header, progress bar, the diagnoses that matter, and a pod table that fits the terminal.
// Pure: a RestartProgress and the terminal's size in, a string out.

import Table from 'cli-table3';
import { formatCount, formatDuration } from '../kruise/duration';
import type { Diagnosis, PodProgress, PodRestartState, RestartProgress } from '../kruise/progress';
import type { StagedProgress } from '../kruise/staged-progress';
import { workloadByKind } from '../kruise/workload';
import { displayWidth, padEnd, painter, truncateEnd, truncateMiddle, type Paint, type Tone } from './text';

/** The header's name for each kind (the API kinds of Advanced workloads are StatefulSet and DaemonSet). */
const KIND_TITLES: Record<string, string> = { CloneSet: 'CloneSet', StatefulSet: 'Advanced StatefulSet', DaemonSet: 'Advanced DaemonSet' };

export interface FrameOptions {
  /** Terminal width: no line is wider (escape codes excluded). */
  columns: number;
  /** Terminal height: the frame has at most this many lines. */
  rows: number;
  color: boolean;
  wide?: boolean;
  /** The caller's clock (ms), for ages. */
  now: number;
  /** Diagnosis lines shown at most (default 3). */
  maxDiagnoses?: number;
}

const GAP = 2;

/** The order pods are shown in when they do not all fit: what needs attention first. */
const STATE_ORDER: PodRestartState[] = ['failed', 'restarting', 'pending', 'recreated', 'restarted', 'skipped'];

const STATE_TONE: Record<PodRestartState, Tone | undefined> = {
  failed: 'red',
  restarting: 'cyan',
  pending: undefined,
  recreated: 'magenta',
  restarted: 'green',
  skipped: 'gray',
};

const SEVERITY_TONE: Record<Diagnosis['severity'], Tone> = { error: 'red', warning: 'yellow', info: 'dim' };

/** External text (pod names, CRR messages) must not move the cursor or break the table: no control characters. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;
export function clean(text: string | undefined): string {
  return typeof text === 'string' ? text.replace(CONTROL, ' ') : '';
}

function short(revision: string | undefined): string {
  if (!revision) return '?';
  const parts = revision.split('-');
  return parts[parts.length - 1] || revision;
}

function sinceSeconds(since: string | undefined, now: number): number | undefined {
  const t = since ? Date.parse(since) : NaN;
  return Number.isFinite(t) ? Math.max(0, (now - t) / 1000) : undefined;
}

function shortContainerId(id: string | undefined): string {
  if (!id) return '-';
  const bare = id.includes('://') ? id.slice(id.indexOf('://') + 3) : id;
  return bare.slice(0, 12);
}

// ---------------------------------------------------------------------------------------------------------------
// Header, bar and diagnoses.
// ---------------------------------------------------------------------------------------------------------------

function headerLine(p: RestartProgress, paint: Paint): string {
  const cs = p.cloneSet;
  const parts = [
    `${paint('bold', KIND_TITLES[cs.kind ?? 'CloneSet'] ?? clean(cs.kind ?? 'CloneSet'))} ${clean(cs.namespace) || '?'}/${clean(cs.name) || '?'}`,
    clean(cs.strategy),
    `${clean(short(cs.currentRevision))} -> ${clean(short(cs.updateRevision))}`,
    `maxUnavailable ${formatCount(cs.maxUnavailable)}`,
    `partition ${formatCount(cs.partition)}`,
    cs.paused ? paint('yellow', 'paused: yes') : 'paused: no',
  ];
  return parts.join('  ');
}

/** `stage 1 of 2 (canary)` for a staged restart. */
function stageOf(p: RestartProgress): string | undefined {
  const stage = (p as StagedProgress).stage;
  return stage ? `stage ${stage.number} of ${stage.of} (${clean(stage.name)})` : undefined;
}

function runLine(p: RestartProgress, paint: Paint, now: number): string {
  if (p.mode === 'none') return `No restart recorded for this ${KIND_TITLES[p.cloneSet.kind ?? 'CloneSet'] ?? 'workload'}.`;
  const age = sinceSeconds(p.startedAt, now);
  const stalled = p.diagnoses.some((d) => d.kind === 'stalled');
  const status = p.failed
    ? paint('red', 'FAILED')
    : p.complete
      ? paint('green', 'complete')
      : p.state === 'interrupted'
        ? paint('red', `interrupted: resume with: ${clean(p.resume)}`)
        : p.state === 'paused' && stageOf(p)
          ? paint('yellow', `${stageOf(p)}: waiting for --continue`)
          : p.state === 'paused'
          ? paint('yellow', `paused (${workloadByKind(p.cloneSet.kind ?? 'CloneSet')?.fields.paused ?? 'spec.updateStrategy.paused'})`)
          : stalled
            ? paint('yellow', 'stalled')
            : paint('cyan', 'in progress');
  const started = age !== undefined ? ` started ${formatDuration(age)} ago` : '';
  const stage = stageOf(p) && p.state !== 'paused' ? `, ${stageOf(p)}` : '';
  return `Restart ${clean(p.run) || '?'} (${p.mode})${started}${stage}: ${status}`;
}

function bar(p: RestartProgress, width: number, paint: Paint, color: boolean): string {
  const s = p.summary;
  const total = Math.max(0, s.total - s.skipped);
  const segments: [number, string, Tone | undefined][] = color
    ? [
        [s.restarted + s.recreated, '█', 'green'],
        [s.failed, '█', 'red'],
        [s.restarting, '▒', 'cyan'],
        [s.pending, '░', 'gray'],
      ]
    : [
        [s.restarted + s.recreated, '#', undefined],
        [s.failed, 'x', undefined],
        [s.restarting, '>', undefined],
        [s.pending, '.', undefined],
      ];
  let out = '';
  let cumulative = 0;
  let drawn = 0;
  for (const [count, glyph, tone] of segments) {
    cumulative += count;
    const upTo = total > 0 ? Math.floor((cumulative / total) * width) : width;
    const cells = Math.max(0, upTo - drawn);
    drawn += cells;
    if (cells > 0) out += tone ? paint(tone, glyph.repeat(cells)) : glyph.repeat(cells);
  }
  if (drawn < width) out += (color ? paint('gray', '░') : '.').repeat(width - drawn);
  return `[${out}]`;
}

function countsLine(p: RestartProgress, paint: Paint, color: boolean, columns: number): string {
  const s = p.summary;
  const target = s.total - s.skipped;
  const done = s.restarted + s.recreated;
  const parts: string[] = [];
  if (p.mode === 'none') {
    parts.push(`${formatCount(s.total)} pods`);
  } else {
    parts.push(`${formatCount(done)}/${formatCount(target)} restarted`);
    parts.push(`${formatCount(s.restarting)} restarting`);
    parts.push(`${formatCount(s.pending)} pending`);
    if (s.failed > 0) parts.push(paint('red', `${formatCount(s.failed)} failed`));
    if (s.recreated > 0) parts.push(paint('magenta', `${formatCount(s.recreated)} recreated`));
    if (s.skipped > 0) parts.push(`${formatCount(s.skipped)} skipped`);
  }
  const over = s.unavailable > s.budget;
  parts.push((over ? (t: string) => paint('yellow', t) : (t: string) => t)(`unavailable ${formatCount(s.unavailable)}/${formatCount(s.budget)}`));
  if (p.eta !== null && p.eta !== undefined) parts.push(`ETA ${formatDuration(p.eta)}`);
  const counts = parts.join('  ');
  if (p.mode === 'none') return counts;
  const room = columns - displayWidth(counts) - 1;
  const barWidth = Math.min(30, Math.max(10, room - 2));
  return room - 2 >= 10 ? `${bar(p, barWidth, paint, color)} ${counts}` : counts;
}

function diagnosisLines(p: RestartProgress, paint: Paint, max: number): string[] {
  const rank = (d: Diagnosis) => (d.kind === 'stalled' ? 0 : d.severity === 'error' ? 1 : d.severity === 'warning' ? 2 : 3);
  return [...p.diagnoses]
    .sort((a, b) => rank(a) - rank(b))
    .slice(0, Math.max(0, max))
    .map((d) => paint(SEVERITY_TONE[d.severity], `${d.severity}: ${clean(d.message)}`));
}

// ---------------------------------------------------------------------------------------------------------------
// The pod table.
// ---------------------------------------------------------------------------------------------------------------

interface Column {
  head: string;
  text: (pod: PodProgress) => string;
  tone?: (pod: PodProgress) => Tone | undefined;
  min: number;
  cut: 'end' | 'middle';
  /** Gives up width before any column is dropped. */
  flex?: boolean;
  /** Lower shrinks first. */
  shrink: number;
  /** Lower is dropped first when shrinking is not enough; absent: never dropped. */
  drop?: number;
}

function columnsFor(p: RestartProgress, wide: boolean, now: number, visible: PodProgress[]): Column[] {
  const cols: Column[] = [
    { head: 'POD', text: (x) => clean(x.name), min: 12, cut: 'middle', shrink: 4 },
    { head: 'NODE', text: (x) => clean(x.node) || '-', min: 8, cut: 'middle', flex: true, shrink: 3, drop: 6 },
    { head: 'READY', text: (x) => (x.ready ? 'yes' : 'no'), tone: (x) => (x.ready ? undefined : 'yellow'), min: 5, cut: 'end', shrink: 9, drop: 9 },
    { head: 'STATE', text: (x) => x.state, tone: (x) => STATE_TONE[x.state], min: 10, cut: 'end', shrink: 9 },
    { head: 'RESTARTS', text: (x) => formatCount(x.restarts), min: 8, cut: 'end', shrink: 9, drop: 7 },
    {
      head: 'AGE',
      text: (x) => {
        const age = sinceSeconds(x.since, now);
        return age === undefined ? '-' : formatDuration(age);
      },
      min: 5,
      cut: 'end',
      shrink: 9,
      drop: 8,
    },
  ];
  if (p.mode === 'crr') {
    cols.push({ head: 'CRR', text: (x) => (x.crrPhase === undefined ? '-' : x.crrPhase === '' ? 'Created' : clean(x.crrPhase)), min: 7, cut: 'end', shrink: 9, drop: 5 });
  }
  if (wide) {
    cols.push({ head: 'IP', text: (x) => clean(x.ip) || '-', min: 7, cut: 'end', shrink: 5, drop: 3 });
    cols.push({ head: 'REVISION', text: (x) => clean(short(x.revisionHash)), min: 8, cut: 'end', shrink: 6, drop: 2 });
    cols.push({
      head: 'CONTAINER IDS',
      text: (x) => (x.containers.length ? x.containers.map((c) => shortContainerId(c.containerID)).join(',') : '-'),
      min: 12,
      cut: 'end',
      flex: true,
      shrink: 2,
      drop: 1,
    });
  }
  if (visible.some((x) => x.reason)) {
    cols.push({ head: 'REASON', text: (x) => clean(x.reason), tone: (x) => (x.state === 'failed' ? 'red' : undefined), min: 12, cut: 'end', flex: true, shrink: 1, drop: 4 });
  }
  return cols;
}

/**
 * Column widths that fit `columns`. First the flexible columns (reason, container IDs, node) give up width down to
 * their minimum; if that is not enough the least useful column is dropped and the widths start over; with nothing
 * left to drop, every column shrinks to its minimum (the line cut in renderFrame is the last resort).
 */
function fitColumns(cols: Column[], texts: string[][], columns: number): { cols: Column[]; widths: number[]; texts: string[][] } {
  let active = cols.map((c, i) => ({ c, i }));
  let widths: number[] = [];
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP * Math.max(0, widths.length - 1);
  const shrink = (which: (c: Column) => boolean) => {
    let excess = total() - columns;
    const order = active.map((a, k) => ({ k, a })).filter(({ a }) => which(a.c)).sort((x, y) => x.a.c.shrink - y.a.c.shrink);
    for (const { k, a } of order) {
      if (excess <= 0) return;
      const floor = Math.max(a.c.min, displayWidth(a.c.head));
      const cut = Math.min(Math.max(0, widths[k] - floor), excess);
      widths[k] -= cut;
      excess -= cut;
    }
  };
  for (;;) {
    widths = active.map(({ c, i }) => Math.max(displayWidth(c.head), ...texts.map((row) => displayWidth(row[i]))));
    if (total() <= columns) break;
    shrink((c) => c.flex === true);
    if (total() <= columns) break;
    const droppable = active.filter((a) => a.c.drop !== undefined).sort((x, y) => (x.c.drop as number) - (y.c.drop as number));
    if (droppable.length === 0) {
      shrink(() => true);
      break;
    }
    active = active.filter((a) => a !== droppable[0]);
  }
  return { cols: active.map((a) => a.c), widths, texts: texts.map((row) => active.map((a) => row[a.i])) };
}

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
};

/**
 * The pod table as lines: cells already cut to fit, padded to the column widths (borderless, like kubectl). `auto` is the
 * plain padder; `cli-table3` lays out the same text with that library, as a reference for tests.
 */
export function podTable(
  p: RestartProgress,
  visible: PodProgress[],
  options: Pick<FrameOptions, 'columns' | 'color' | 'wide' | 'now'>,
  engine: 'auto' | 'cli-table3' | 'plain' = 'auto',
): string[] {
  const paint = painter(options.color);
  const all = columnsFor(p, options.wide === true, options.now, visible);
  const rawTexts = visible.map((pod) => all.map((c) => c.text(pod)));
  const { cols, widths, texts } = fitColumns(all, rawTexts, options.columns);
  const head = cols.map((c, k) => paint('bold', truncateEnd(c.head, widths[k])));
  const rows = visible.map((pod, r) =>
    cols.map((c, k) => {
      const text = c.cut === 'middle' ? truncateMiddle(texts[r][k], widths[k]) : truncateEnd(texts[r][k], widths[k]);
      const tone = c.tone?.(pod);
      return tone ? paint(tone, text) : text;
    }),
  );
  // cli-table3 costs ~10 ms for a screenful of rows and gives the same text as the plain layout: it stays only as the
  // reference the plain layout is tested against.
  const useLibrary = engine === 'cli-table3';
  if (!useLibrary) {
    return [head, ...rows].map((cells) => cells.map((cell, k) => padEnd(cell, widths[k])).join(' '.repeat(GAP)).replace(/\s+$/, ''));
  }
  const t = new Table({
    head,
    chars: BORDERLESS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': GAP, compact: true },
    wordWrap: false,
  });
  for (const row of rows) t.push(row);
  return t
    .toString()
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''));
}

function foldLine(hidden: PodProgress[]): string {
  const counts = new Map<PodRestartState, number>();
  for (const pod of hidden) counts.set(pod.state, (counts.get(pod.state) ?? 0) + 1);
  const parts = STATE_ORDER.filter((s) => counts.has(s)).map((s) => `${formatCount(counts.get(s) ?? 0)} ${s}`);
  return `… ${formatCount(hidden.length)} more: ${parts.join(', ')}`;
}

/**
 * Failed first, then in flight (longest first), pending, then done (most recent first). With `first`, only that many
 * pods are put in order; the rest follow in no particular order (a frame only counts them, by state).
 */
export function podsByAttention(pods: PodProgress[], first = Number.POSITIVE_INFINITY): PodProgress[] {
  const groups = new Map<PodRestartState, PodProgress[]>();
  for (const pod of pods) {
    const list = groups.get(pod.state);
    if (list) list.push(pod);
    else groups.set(pod.state, [pod]);
  }
  const byName = (a: PodProgress, b: PodProgress) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const ordered: PodProgress[] = [];
  for (const state of STATE_ORDER) {
    const list = groups.get(state);
    if (!list) continue;
    if (ordered.length >= first) {
      for (const pod of list) ordered.push(pod);
      continue;
    }
    if (state === 'restarting' || state === 'restarted' || state === 'recreated') {
      // Each time parsed once, not once per comparison: thousands of pods make tens of thousands of comparisons.
      const keyed = list.map((pod) => {
        const t = pod.since ? Date.parse(pod.since) : NaN;
        return { pod, t: Number.isFinite(t) ? t : 0 };
      });
      const sign = state === 'restarting' ? 1 : -1;
      keyed.sort((a, b) => sign * (a.t - b.t) || byName(a.pod, b.pod));
      for (const k of keyed) ordered.push(k.pod);
    } else {
      list.sort(byName);
      for (const pod of list) ordered.push(pod);
    }
  }
  return ordered;
}

/**
 * The whole frame, as lines joined by `\n` (no trailing newline). At most `rows` lines, none wider than `columns`.
 */
export function renderFrame(progress: RestartProgress, options: FrameOptions): string {
  const columns = Math.max(1, Math.floor(options.columns || 80));
  const rows = Math.max(1, Math.floor(options.rows || 24));
  const paint = painter(options.color);
  const fixed = [headerLine(progress, paint), runLine(progress, paint, options.now), countsLine(progress, paint, options.color, columns)];
  let diagnoses = diagnosisLines(progress, paint, options.maxDiagnoses ?? 3);
  const ordered = podsByAttention(progress.pods, Math.max(0, rows));

  // Rows left for the table after its header; diagnoses give way first so a few pods stay visible.
  const room = () => rows - fixed.length - diagnoses.length - 1;
  const wanted = Math.min(ordered.length, 3);
  while (diagnoses.length > 0 && room() < wanted) diagnoses = diagnoses.slice(0, -1);

  const lines = [...fixed, ...diagnoses];
  const space = room();
  if (ordered.length === 0) {
    lines.push('No pods.');
  } else if (space >= 1) {
    const fits = ordered.length <= space;
    const shown = fits ? ordered : ordered.slice(0, Math.max(0, space - 1));
    if (shown.length > 0) lines.push(...podTable(progress, shown, { ...options, columns }));
    if (!fits) lines.push(foldLine(ordered.slice(shown.length)));
  }
  return lines
    .slice(0, rows)
    .map((line) => truncateEnd(line, columns))
    .join('\n');
}
