// The restart in numbers (pods by state, unavailability against the budget) and in one line.

import { formatCount, formatDuration } from '../duration';
import type { Pod } from '../types';
import type { PodRestartState, ProgressSummary, RestartProgress } from './document';
import { factsOf } from './readers';

export function emptySummary(budget: number): ProgressSummary {
  return { total: 0, restarted: 0, restarting: 0, pending: 0, failed: 0, skipped: 0, recreated: 0, unavailable: 0, budget };
}

/** The counts of the restart's pods by state, against the budget the restart paces with. */
export function tally(pods: readonly { state: PodRestartState }[], budget: number, unavailable: number): ProgressSummary {
  const summary = emptySummary(budget);
  summary.total = pods.length;
  summary.unavailable = unavailable;
  // Counted in locals: summary[state] += 1 is a megamorphic keyed store, slow over thousands of pods.
  let restarted = 0, restarting = 0, pending = 0, failed = 0, skipped = 0, recreated = 0;
  for (const p of pods) {
    const state = p.state;
    if (state === 'restarted') restarted++;
    else if (state === 'restarting') restarting++;
    else if (state === 'pending') pending++;
    else if (state === 'failed') failed++;
    else if (state === 'skipped') skipped++;
    else recreated++;
  }
  Object.assign(summary, { restarted, restarting, pending, failed, skipped, recreated });
  return summary;
}

/** Pods of the workload not Running or not Ready now, plus pods missing against the desired count. */
export function countUnavailable(desired: number, pods: Pod[]): number {
  let active = 0;
  let down = 0;
  for (const p of pods) {
    const f = factsOf(p);
    if (f.terminating || !f.active) continue;
    active++;
    if (f.down) down++;
  }
  return down + Math.max(0, desired - active);
}

/** The one-line human summary, like `kubectl rollout status`. */
export function summarize(p: RestartProgress, statusGap: string | undefined, workload: { subject: string; unpause: string; pausedField: string }): string {
  const s = p.summary;
  const subject = workload.subject;
  const target = s.total - s.skipped;
  const done = s.restarted + s.recreated;
  const doneText =
    s.recreated > 0
      ? `${formatCount(done)} of ${formatCount(target)} pods done (${formatCount(s.restarted)} restarted, ${formatCount(s.recreated)} recreated)`
      : `${formatCount(s.restarted)} of ${formatCount(target)} pods restarted`;
  const skipped = s.skipped > 0 ? `, ${formatCount(s.skipped)} skipped` : '';
  if (p.failed) {
    const firstFailed = p.pods.find((pod) => pod.state === 'failed');
    const why = firstFailed ? ` (${firstFailed.name}: ${firstFailed.reason ?? 'failed'})` : '';
    return `${subject}: restart failed: ${formatCount(s.failed)} of ${formatCount(target)} pods failed${why}; ${doneText}`;
  }
  if (p.complete) return `${subject}: restart complete: ${doneText}${skipped}`;
  if (p.state === 'paused') {
    const moving = s.restarting > 0 ? `, ${formatCount(s.restarting)} finishing` : '';
    return `${subject}: restart paused (${workload.pausedField}): ${doneText}${moving}, ${formatCount(s.pending)} waiting${skipped}; unpause with: ${workload.unpause}`;
  }
  if (p.state === 'interrupted') {
    return `${subject}: crr run ${p.run ?? '?'} interrupted (no process drives it): ${doneText}${s.pending > 0 ? `, ${formatCount(s.pending)} not started` : ''}${skipped}; resume with: ${p.resume}`;
  }
  const parts = [doneText];
  if (s.restarting > 0) parts.push(`${formatCount(s.restarting)} restarting`);
  if (s.pending > 0) parts.push(`${formatCount(s.pending)} pending`);
  let line = `Waiting for ${subject} restart to finish: ${parts.join(', ')}${skipped}`;
  if (statusGap && s.pending + s.restarting === 0) line += ` (${statusGap})`;
  if (p.eta !== null) line += `, about ${formatDuration(p.eta)} left`;
  return line;
}
