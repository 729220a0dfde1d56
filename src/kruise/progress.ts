// The progress model: a CloneSet, its pods and (for CRR runs) the run's ContainerRecreateRequests in, one
// `RestartProgress` out. `status`, `inplace` and `crr` all render this one value; it is also the `-o json|yaml`
// document. Pure: no I/O, no clock (the caller passes `now`), never throws on odd objects.
//
// This module composes the parts, each one concept (as argo-rollouts' info/ keeps rollout, replica set and pod apart):
// - progress/inplace-pod.ts, progress/crr-pod.ts: one pod's verdict in an in-place restart or a crr run;
// - progress/completion.ts: the workload-level completion rule and the run's one-word state;
// - progress/summary.ts, progress/diagnoses.ts: the counts, the one-line message, what needs a human;
// - progress/pace.ts, progress/history.ts: ETA and stall threshold, and what one evaluation remembers for the next;
// - progress/document.ts: the document's types (a public contract); progress/readers.ts: tolerant readers.

import { formatCount } from './duration';
import type { Pod } from './types';
import { subjectOf, workloadOf } from './workload';
import { cloneSetProgress, completion, inPlaceStatusGap, resumeCommand, runState } from './progress/completion';
import { crrVerdicts } from './progress/crr-pod';
import { diagnose } from './progress/diagnoses';
import type { ProgressHistory, ProgressInput, RestartProgress } from './progress/document';
import { datePods, observe, rememberComparison } from './progress/history';
import { hasInPlaceUpdateHook, inPlaceVerdicts, type InPlaceContext } from './progress/inplace-pod';
import { etaSeconds, lastProgress, stallAfterMs as stallThreshold } from './progress/pace';
import { basePod, containerProgress, factsOf, inNameOrder, isoSeconds, num, parseTime, podName, sameRevision, sortedNames, str, targetNames } from './progress/readers';
import { countUnavailable, emptySummary, summarize, tally } from './progress/summary';
import type { Evaluated } from './progress/verdict';

export type {
  CloneSetProgress,
  ContainerProgress,
  Diagnosis,
  DiagnosisKind,
  PodBaseline,
  PodProgress,
  PodRestartState,
  ProgressHistory,
  ProgressInput,
  ProgressSummary,
  RestartMode,
  RestartProgress,
  RestartState,
  Severity,
} from './progress/document';
export { inPlaceStatusGap } from './progress/completion';
export { observe } from './progress/history';
export { baselineOf } from './progress/inplace-pod';
export { sameRevision, shortHash } from './progress/readers';

/** Evaluate a restart. See `RestartProgress` for the document it returns. */
export function buildProgress(input: ProgressInput): RestartProgress {
  const { cloneSet, record, now } = input;
  const kind = input.kind ?? workloadOf(cloneSet);
  const pods = (Array.isArray(input.pods) ? input.pods : []).filter((p): p is Pod => Boolean(p && p.metadata));
  const cs = cloneSetProgress(cloneSet, kind);
  const observedAt = isoSeconds(now);
  const unavailable = countUnavailable(cs.replicas, pods);
  let byNameCache: Map<string, Pod> | undefined;
  const byNameMap = (): Map<string, Pod> => {
    if (!byNameCache) {
      byNameCache = new Map<string, Pod>();
      for (const pod of pods) byNameCache.set(podName(pod), pod);
    }
    return byNameCache;
  };

  if (!record || (record.mode !== 'inplace' && record.mode !== 'crr')) {
    const summary = emptySummary(cs.maxUnavailable);
    const byName = byNameMap();
    const podList = sortedNames(byName).map((name) => {
      const pod = byName.get(name) as Pod;
      const containers = containerProgress(pod, targetNames(undefined, pod));
      return { ...basePod(pod, containers, cs.updateRevision), state: 'skipped' as const, reason: 'no restart recorded' };
    });
    summary.total = podList.length;
    summary.skipped = podList.length;
    summary.unavailable = unavailable;
    return {
      state: 'none',
      complete: false,
      failed: false,
      mode: 'none',
      observedAt,
      cloneSet: cs,
      summary,
      pods: podList,
      diagnoses: [],
      eta: null,
      message: `${subjectOf(kind, cs.name)}: no restart recorded (${formatCount(podList.length)} ${podList.length === 1 ? 'pod' : 'pods'})`,
    };
  }

  const run = str(record.run);
  const startedAt = parseTime(record.startedAt);
  const budget = record.mode === 'crr' && num(record.maxUnavailable) !== undefined ? (record.maxUnavailable as number) : cs.maxUnavailable;
  let evaluated: Evaluated[];
  let statusGap: string | undefined;

  if (record.mode === 'inplace') {
    const revisionChanged = Boolean(cs.updateRevision) && (record.fromRevision === undefined || cs.updateRevision !== record.fromRevision);
    const onNewRevision = (p: Pod) => {
      const f = factsOf(p);
      return !f.terminating && sameRevision(f.revisionHash, cs.updateRevision);
    };
    const ctx: InPlaceContext = {
      record,
      baseline: input.baseline,
      updateRevision: cs.updateRevision,
      revisionChanged,
      startedAt,
      partitionReached: revisionChanged && kind.partitionReached(cloneSet, pods, onNewRevision),
      paused: cs.paused,
      kind: cs.kind,
      inPlaceHook: hasInPlaceUpdateHook(cloneSet),
    };
    evaluated = inPlaceVerdicts(ctx, inNameOrder(pods, byNameMap));
    statusGap = inPlaceStatusGap(cloneSet, record, kind);
  } else {
    evaluated = crrVerdicts(record, input.crrs, byNameMap(), cs.updateRevision);
  }

  const sameRunHistory = input.history && input.history.run === run ? input.history : undefined;
  const statesChanged = datePods(evaluated, sameRunHistory, now);
  const podStates = evaluated.map((e) => e.pod);
  const summary = tally(podStates, budget, unavailable);
  const { complete, failed: anyFailed } = completion(record, podStates, summary.failed, statusGap);
  const state = runState(input, record, cs, summary, complete, anyFailed);

  const done = summary.restarted + summary.recreated;
  const rollout = kind.rollout(cloneSet);
  const remaining =
    record.mode === 'inplace'
      ? Math.max(0, Math.min(summary.pending + summary.restarting, rollout.podsToUpdate - done))
      : summary.pending + summary.restarting;
  const eta = complete ? null : etaSeconds({ done, remaining, startedAt, now, moving: state !== 'paused' && state !== 'interrupted' });
  const lastProgressAt = lastProgress(evaluated, sameRunHistory, statesChanged, startedAt, now);
  const stallAfterMs = stallThreshold({ stallAfterSeconds: num(input.stallAfterSeconds), done, budget, startedAt, lastProgressAt });

  const diagnoses = diagnose({ input, kind, cs, record, evaluated, summary, complete, anyFailed, statusGap, stallAfterMs, lastProgressAt, pods });
  const resume = state === 'interrupted' ? resumeCommand(cs, run ?? '') : undefined;
  if (state === 'interrupted') {
    // The stall is explained by the run itself: nobody drives it.
    const stalled = diagnoses.findIndex((d) => d.kind === 'stalled');
    if (stalled >= 0) diagnoses.splice(stalled, 1);
    const beat = str(record.heartbeatAt) ?? str(record.startedAt) ?? '?';
    diagnoses.unshift({
      kind: 'interrupted',
      severity: 'error',
      message: `crr run ${run ?? '?'} is interrupted: no process has driven it since ${beat}, and no new pod restarts until it is resumed: ${resume}`,
    });
  }

  const progress: RestartProgress = {
    state,
    complete,
    failed: anyFailed,
    mode: record.mode,
    run,
    startedAt: startedAt !== undefined ? isoSeconds(startedAt) : str(record.startedAt),
    observedAt,
    lastProgressAt: lastProgressAt !== undefined ? isoSeconds(lastProgressAt) : undefined,
    cloneSet: cs,
    summary,
    pods: podStates,
    diagnoses,
    eta,
    ...(record.mode === 'crr' && str(record.heartbeatAt) ? { heartbeatAt: str(record.heartbeatAt) } : {}),
    ...(resume ? { resume } : {}),
    message: '',
  };
  progress.message = summarize(progress, statusGap, { subject: subjectOf(kind, cs.name), unpause: kind.unpauseCommand(cloneSet), pausedField: kind.fields.paused });
  rememberComparison(progress, input.history, statesChanged);
  return progress;
}

/** `buildProgress` then `observe`, for callers that loop. */
export function track(input: ProgressInput): { progress: RestartProgress; history: ProgressHistory } {
  const progress = buildProgress(input);
  return { progress, history: observe(input.history, progress, input.now) };
}
