// When a restart is over, and how it stands in one word: the workload-level completion rule (the workload's own
// status must agree with the pods: section 0 of kruise-semantics.md), the run's state, and what resumes it. What the
// status must say is the workload kind's business (workload/).

import { crrRunAbandoned } from '../record';
import type { CloneSet, RestartRecord } from '../types';
import { CLONESET, typedTarget, type InPlaceWorkload } from '../workload';
import type { CloneSetProgress, PodRestartState, ProgressInput, ProgressSummary, RestartState } from './document';
import { num, str } from './readers';

/** The workload as the document shows it: the strategy, budget and partition resolved as its controller does. */
export function cloneSetProgress(cloneSet: CloneSet, kind: InPlaceWorkload = CLONESET): CloneSetProgress {
  const rollout = kind.rollout(cloneSet);
  return {
    kind: kind.resource.kind,
    namespace: str(cloneSet.metadata?.namespace) ?? '',
    name: str(cloneSet.metadata?.name) ?? '',
    strategy: rollout.strategy,
    replicas: rollout.desired,
    currentRevision: rollout.currentRevision,
    updateRevision: rollout.updateRevision,
    maxUnavailable: rollout.maxUnavailable,
    partition: rollout.partition,
    paused: rollout.paused,
    observedGeneration: rollout.observedGeneration,
    generation: rollout.generation,
  };
}

/**
 * The workload's status alone against the restart (for a CloneSet, section 0's five-point rule). Necessary, not
 * sufficient: per-pod evidence decides the rest. Returns the first unmet point, in words, or undefined when all hold.
 */
export function inPlaceStatusGap(cloneSet: CloneSet, record: RestartRecord, kind: InPlaceWorkload = CLONESET): string | undefined {
  return kind.statusGap(cloneSet, record.fromRevision, Array.isArray(record.pods) ? record.pods.length : undefined);
}

export function resumeCommand(cs: CloneSetProgress, run: string): string {
  // The workload as the command line names it: a bare name is a CloneSet.
  return `kubectl kruise-restart crr ${typedTarget(cs.kind, cs.name)} -n ${cs.namespace} --resume ${run}`;
}

/**
 * The one-word state. A crr run is driven by a process: unfinished, with pods still to start, and no heartbeat for
 * HEARTBEAT_STALE_MS (server clock), nobody will start them. Requests already created finish on their own, so a run
 * with nothing left but in-flight pods still moves.
 */
export function runState(input: ProgressInput, record: RestartRecord, cs: CloneSetProgress, summary: ProgressSummary, complete: boolean, failed: boolean): RestartState {
  if (failed) return 'failed';
  if (complete) return 'complete';
  if (record.mode === 'inplace' && cs.paused && summary.pending > 0) return 'paused';
  if (record.mode === 'crr' && !input.driving && summary.pending > 0 && crrRunAbandoned(record, input.now + (num(input.serverClockOffsetMs) ?? 0))) {
    return 'interrupted';
  }
  return 'in-progress';
}

/**
 * Failed as soon as one pod will not get there on its own or the run recorded itself as failed; complete when every
 * pod is restarted, recreated or skipped and, for an in-place restart, the workload's status agrees (no statusGap):
 * the controller's counts alone say "done" too early, the pods alone miss a controller that has not caught up.
 */
export function completion(
  record: RestartRecord,
  pods: readonly { state: PodRestartState }[],
  failedPods: number,
  statusGap: string | undefined,
): { complete: boolean; failed: boolean } {
  const failed = failedPods > 0 || record.finished === 'failed';
  const allDone = pods.every((p) => p.state === 'restarted' || p.state === 'recreated' || p.state === 'skipped');
  return { failed, complete: !failed && allDone && (record.mode === 'crr' || statusGap === undefined) };
}
