// Append-only progress for CI logs and pipes, like `kubectl rollout status`: one timestamped line per pod state
// change, a summary line when the counts change (or every so often), new diagnoses once, and a final line.
// Never an escape code: external text is cleaned of control characters too.

import { formatCount, formatDuration } from '../kruise/duration';
import type { DiagnosisKind, PodRestartState, RestartProgress } from '../kruise/progress';
import type { StagedProgress } from '../kruise/staged-progress';
import { clean } from './frame';

export interface LineWriter {
  write(chunk: string): unknown;
}

export interface LineReporterOptions {
  /** Repeat the summary at least this often while nothing changes, so a quiet log still shows life (default 30). */
  summaryEverySeconds?: number;
}

function timestamp(ms: number): string {
  const date = new Date(Number.isFinite(ms) ? ms : 0);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** How a line names the workload's kind: `cloneset`, `statefulset`, `daemonset` (the resource's singular). */
function kindOf(p: RestartProgress): string {
  return (p.cloneSet.kind ?? 'CloneSet').toLowerCase();
}

/** `cloneset web: 3/10 restarted, 2 restarting, 5 pending, unavailable 2/2`, plus what is non-zero. */
export function summaryLine(p: RestartProgress): string {
  const s = p.summary;
  const name = clean(p.cloneSet.name);
  if (p.mode === 'none') return `${kindOf(p)} ${name}: no restart recorded, ${formatCount(s.total)} pods, unavailable ${formatCount(s.unavailable)}/${formatCount(s.budget)}`;
  const parts = [
    `${formatCount(s.restarted + s.recreated)}/${formatCount(s.total - s.skipped)} restarted`,
    `${formatCount(s.restarting)} restarting`,
    `${formatCount(s.pending)} pending`,
  ];
  if (s.failed > 0) parts.push(`${formatCount(s.failed)} failed`);
  if (s.recreated > 0) parts.push(`${formatCount(s.recreated)} recreated`);
  if (s.skipped > 0) parts.push(`${formatCount(s.skipped)} skipped`);
  parts.push(`unavailable ${formatCount(s.unavailable)}/${formatCount(s.budget)}`);
  if (p.eta !== null && p.eta !== undefined) parts.push(`ETA ${formatDuration(p.eta)}`);
  const stage = (p as StagedProgress).stage;
  const state =
    p.state === 'interrupted'
      ? ` (interrupted: resume with: ${clean(p.resume)})`
      : p.state === 'paused' && stage
        ? ` (waiting for --continue: ${clean(stage.next)})`
        : p.state === 'paused'
          ? ' (paused)'
          : '';
  const where = stage ? `, stage ${stage.number} of ${stage.of} (${clean(stage.name)})` : '';
  return `${kindOf(p)} ${name}${where}: ${parts.join(', ')}${state}`;
}

function summaryKey(p: RestartProgress): string {
  const s = p.summary;
  return [p.state, s.total, s.restarted, s.restarting, s.pending, s.failed, s.skipped, s.recreated, s.unavailable, s.budget].join('/');
}

export class LineReporter {
  private pods: Map<string, PodRestartState> | undefined;
  private diagnoses = new Set<DiagnosisKind>();
  private lastSummaryKey: string | undefined;
  private lastSummaryAt = Number.NEGATIVE_INFINITY;
  private finished = false;
  private readonly summaryEveryMs: number;

  constructor(
    private readonly out: LineWriter,
    options: LineReporterOptions = {},
  ) {
    this.summaryEveryMs = Math.max(0, options.summaryEverySeconds ?? 30) * 1000;
  }

  /** Report what changed since the previous call. `now` defaults to the progress's observedAt. */
  update(progress: RestartProgress, now: number = Date.parse(progress.observedAt)): void {
    if (this.finished) return;
    this.report(progress, now, false);
  }

  /** Report the last changes and the final one-line verdict. Later calls do nothing. */
  finish(progress: RestartProgress, now: number = Date.parse(progress.observedAt)): void {
    if (this.finished) return;
    this.report(progress, now, true);
    this.line(now, clean(progress.message));
    this.finished = true;
  }

  private line(now: number, text: string): void {
    this.out.write(`${timestamp(now)} ${text}\n`);
  }

  private report(progress: RestartProgress, now: number, final: boolean): void {
    const first = this.pods === undefined;
    const previous = this.pods ?? new Map<string, PodRestartState>();
    const current = new Map<string, PodRestartState>();
    if (first) {
      const what =
        progress.mode === 'none'
          ? 'no restart recorded'
          : `restart ${clean(progress.run) || '?'} (${progress.mode}) started ${clean(progress.startedAt) || '?'}`;
      this.line(now, `${kindOf(progress)} ${clean(progress.cloneSet.namespace)}/${clean(progress.cloneSet.name)}: ${what}`);
    }
    for (const pod of progress.pods) {
      current.set(pod.name, pod.state);
      const before = previous.get(pod.name);
      const reason = pod.reason && (pod.state !== 'pending' || before !== undefined) ? ` (${clean(pod.reason)})` : '';
      if (first) {
        // On the first look only what needs attention; thousands of "restarted" lines would bury it.
        if (pod.state === 'failed' || pod.state === 'restarting') this.line(now, `pod ${clean(pod.name)}: ${pod.state}${reason}`);
      } else if (before === undefined) {
        this.line(now, `pod ${clean(pod.name)}: (new) -> ${pod.state}${reason}`);
      } else if (before !== pod.state) {
        this.line(now, `pod ${clean(pod.name)}: ${before} -> ${pod.state}${reason}`);
      }
    }
    for (const [name, state] of previous) {
      if (!current.has(name)) this.line(now, `pod ${clean(name)}: ${state} -> (gone)`);
    }
    this.pods = current;

    const kinds = new Set<DiagnosisKind>();
    for (const d of progress.diagnoses) {
      kinds.add(d.kind);
      if (!this.diagnoses.has(d.kind)) this.line(now, `${d.severity}: ${clean(d.message)}`);
    }
    this.diagnoses = kinds;

    const key = summaryKey(progress);
    const due = now - this.lastSummaryAt >= this.summaryEveryMs;
    if (key !== this.lastSummaryKey || (due && !final)) {
      this.line(now, summaryLine(progress));
      this.lastSummaryKey = key;
      this.lastSummaryAt = now;
    }
  }
}
