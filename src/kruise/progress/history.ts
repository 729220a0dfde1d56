// What one evaluation remembers for the next (per-pod state and since, when anything last changed), so "since" and
// stalls survive across the evaluations of a live follow; and the document entries that depend on it.

import type { PodProgress, PodRestartState, ProgressHistory, RestartProgress } from './document';
import { isoSeconds, parseTime } from './readers';
import type { Evaluated, Verdict } from './verdict';

/** When the pod entered its state: as the history remembers it, else the cluster's evidence, else now. */
export function sinceOf(verdict: Verdict, previous: ProgressHistory['pods'][string] | undefined, now: number): number {
  if (previous && previous.state === verdict.state) return previous.since;
  if (verdict.evidenceSince !== undefined && verdict.evidenceSince <= now) return verdict.evidenceSince;
  return now;
}

/** buildProgress already compared the pods with the history it was given; observe reuses that when given the same. */
const changedAgainst = new WeakMap<RestartProgress, { history: ProgressHistory | undefined; changed: boolean }>();

function changedSince(history: ProgressHistory, pods: readonly { name: string; state: PodRestartState }[]): boolean {
  const known = history.pods ?? {};
  for (const p of pods) if (known[p.name]?.state !== p.state) return true;
  return keyCount(known) !== pods.length;
}

const keyCounts = new WeakMap<object, number>();
/** History records are never edited once made (observe builds a new one on change), so their size can be remembered. */
export function keyCount(record: object): number {
  let n = keyCounts.get(record);
  if (n === undefined) {
    n = Object.keys(record).length;
    keyCounts.set(record, n);
  }
  return n;
}

/**
 * Remember what this evaluation saw, for the next one: per-pod state and since, and when anything last changed.
 * A new run starts a fresh history.
 */
export function observe(previous: ProgressHistory | undefined, progress: RestartProgress, now: number): ProgressHistory {
  const sameRun = previous && previous.run === progress.run ? previous : undefined;
  // Nothing changed (a tick, or events that moved no pod): the same record, not thousands of fresh entries.
  const known = changedAgainst.get(progress);
  const changed = sameRun ? (known && known.history === previous ? known.changed : changedSince(sameRun, progress.pods)) : true;
  if (sameRun && !changed) return { run: progress.run, firstSeenAt: sameRun.firstSeenAt, lastChangeAt: sameRun.lastChangeAt, pods: sameRun.pods ?? {} };
  const pods: ProgressHistory['pods'] = {};
  for (const pod of progress.pods) {
    const known = sameRun?.pods?.[pod.name];
    pods[pod.name] = {
      state: pod.state,
      since: known && known.state === pod.state ? known.since : (parseTime(pod.since) ?? now),
    };
  }
  const lastChangeAt = sameRun ? now : (parseTime(progress.lastProgressAt) ?? now);
  return { run: progress.run, firstSeenAt: sameRun?.firstSeenAt ?? now, lastChangeAt, pods };
}

/** Called by buildProgress with what it found, so that observe on the same history need not compare again. */
export function rememberComparison(progress: RestartProgress, history: ProgressHistory | undefined, changed: boolean): void {
  changedAgainst.set(progress, { history, changed });
}

/**
 * Date each pod against the history of the same run (a pod keeps its since while its state holds) and finish its
 * document entry. Returns whether any pod changed state, appeared or vanished since that history.
 */
export function datePods(evaluated: Evaluated[], sameRun: ProgressHistory | undefined, now: number): boolean {
  // Computed here, where each pod's entry is looked up anyway.
  let statesChanged = sameRun !== undefined && keyCount(sameRun.pods ?? {}) !== evaluated.length;
  for (const e of evaluated) {
    const previous = sameRun?.pods?.[e.pod.name];
    if (sameRun && previous?.state !== e.pod.state) statesChanged = true;
    e.sinceMs = sinceOf(e.verdict, previous, now);
    const memo = e.memo;
    // A pod object unchanged since the last evaluation, with the same since, yields the very same document entry.
    if (memo?.last && memo.lastSinceMs === e.sinceMs) {
      e.pod = memo.last;
      continue;
    }
    const pod: PodProgress = memo ? { ...e.pod } : e.pod;
    if (e.verdict.reason) pod.reason = e.verdict.reason;
    pod.since = isoSeconds(e.sinceMs);
    if (e.verdict.crrPhase !== undefined) pod.crrPhase = e.verdict.crrPhase;
    if (e.verdict.crr) pod.crr = e.verdict.crr;
    e.pod = pod;
    if (memo) {
      memo.last = pod;
      memo.lastSinceMs = e.sinceMs;
    }
  }
  return statesChanged;
}
