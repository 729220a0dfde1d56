// Pace: how fast pods finish, so the ETA and the stall threshold follow the workload's own speed (a CloneSet whose
// pods take 5 minutes each is not stalled at 61 s), and when anything last moved.

import type { ProgressHistory } from './document';
import type { Evaluated } from './verdict';

const DEFAULT_STALL_SECONDS = 60;

/** The latest moment anything moved: a state change seen by this process, or the newest evidence timestamp. */
export function lastProgress(
  evaluated: Evaluated[],
  sameRun: ProgressHistory | undefined,
  statesChanged: boolean,
  startedAt: number | undefined,
  now: number,
): number | undefined {
  let latest = startedAt;
  const bump = (t: number | undefined) => {
    if (t !== undefined && t <= now && (latest === undefined || t > latest)) latest = t;
  };
  if (sameRun) {
    bump(sameRun.lastChangeAt);
    if (statesChanged) bump(now);
  }
  for (const e of evaluated) if (e.verdict.evidenceSince !== undefined && e.pod.state !== 'pending') bump(e.verdict.evidenceSince);
  return latest;
}

/**
 * Seconds left at the pace so far (pods finished per second of the run, on the plugin's clock at both ends); null
 * until one pod is done, once nothing remains, and while nothing moves (paused, interrupted): a guess would only grow.
 */
export function etaSeconds(a: { done: number; remaining: number; startedAt?: number; now: number; moving: boolean }): number | null {
  const elapsedMs = a.startedAt !== undefined ? a.now - a.startedAt : undefined;
  if (!a.moving || a.done <= 0 || elapsedMs === undefined || elapsedMs <= 0 || a.remaining <= 0) return null;
  return Math.ceil((a.remaining * elapsedMs) / a.done / 1000);
}

/**
 * How long without progress is a stall: the caller's threshold (default 60 s) or three times the observed time per
 * pod, whichever is longer. The pace is measured up to the last progress, or a stall would keep stretching its own
 * threshold.
 */
export function stallAfterMs(a: { stallAfterSeconds?: number; done: number; budget: number; startedAt?: number; lastProgressAt?: number }): number {
  const activeMs = a.startedAt !== undefined && a.lastProgressAt !== undefined ? a.lastProgressAt - a.startedAt : 0;
  const perPodMs = a.done > 0 && activeMs > 0 ? (activeMs * Math.max(1, a.budget)) / a.done : 0;
  const seconds = typeof a.stallAfterSeconds === 'number' && Number.isFinite(a.stallAfterSeconds) ? a.stallAfterSeconds : DEFAULT_STALL_SECONDS;
  return Math.max(seconds * 1000, 3 * perPodMs);
}
