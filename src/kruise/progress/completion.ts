// When a restart is over, and how it stands in one word: the workload-level completion rule (the workload's own
// status must agree with the pods: section 0 of kruise-semantics.md), the run's state, and what resumes it.

import { desiredReplicas, expectedUpdatedReplicas as computeExpectedUpdated, resolveMaxUnavailable, resolvePartition } from '../budget';
import { crrRunAbandoned } from '../record';
import type { CloneSet, CloneSetStatus, RestartRecord } from '../types';
import type { CloneSetProgress, PodRestartState, ProgressInput, ProgressSummary, RestartState } from './document';
import { num, str } from './readers';

/**
 * A CloneSet status count Kruise declares `omitempty` (cloneset_types.go: updatedAvailableReplicas,
 * expectedUpdatedReplicas): Go leaves it out when it is 0, so once the controller has written a status (it always
 * sets observedGeneration) an absent field is 0. Before that, undefined: nothing is known yet.
 */
export function omitemptyCount(status: CloneSetStatus, field: 'updatedAvailableReplicas' | 'expectedUpdatedReplicas'): number | undefined {
  const value = num(status[field]);
  if (value !== undefined) return value;
  return num(status.observedGeneration) !== undefined ? 0 : undefined;
}

/** The CloneSet as the document shows it: the strategy, budget and partition resolved as the controller does. */
export function cloneSetProgress(cloneSet: CloneSet): CloneSetProgress {
  const status = cloneSet.status ?? {};
  return {
    namespace: str(cloneSet.metadata?.namespace) ?? '',
    name: str(cloneSet.metadata?.name) ?? '',
    strategy: str(cloneSet.spec?.updateStrategy?.type) ?? 'ReCreate',
    replicas: desiredReplicas(cloneSet),
    currentRevision: str(status.currentRevision),
    updateRevision: str(status.updateRevision),
    maxUnavailable: resolveMaxUnavailable(cloneSet),
    partition: resolvePartition(cloneSet),
    paused: cloneSet.spec?.updateStrategy?.paused === true,
    observedGeneration: num(status.observedGeneration),
    generation: num(cloneSet.metadata?.generation),
  };
}

/**
 * Section 0's five-point rule on the CloneSet status alone. Necessary, not sufficient: per-pod evidence decides the
 * rest. Returns the first unmet point, in words, or undefined when all hold.
 */
export function inPlaceStatusGap(cloneSet: CloneSet, record: RestartRecord): string | undefined {
  const status = cloneSet.status ?? {};
  const replicas = desiredReplicas(cloneSet);
  const generation = num(cloneSet.metadata?.generation) ?? 0;
  const observed = num(status.observedGeneration);
  if (observed === undefined || observed < generation) return `the controller has not observed generation ${generation} yet`;
  const updateRevision = str(status.updateRevision);
  if (!updateRevision || (record.fromRevision !== undefined && updateRevision === record.fromRevision)) {
    return 'the controller has not produced the new revision yet';
  }
  if (num(status.replicas) !== replicas) return `${num(status.replicas) ?? 0} of ${replicas} replicas exist`;
  const updated = num(status.updatedReplicas) ?? 0;
  const partition = resolvePartition(cloneSet);
  const expected = omitemptyCount(status, 'expectedUpdatedReplicas') ?? computeExpectedUpdated(cloneSet);
  if (!(updated === replicas || (partition > 0 && updated >= expected))) {
    return `${updated} of ${partition > 0 ? expected : replicas} replicas updated`;
  }
  // Absent is 0 here, never "unknown": falling back to updatedReadyReplicas said "done" before minReadySeconds passed.
  const available = omitemptyCount(status, 'updatedAvailableReplicas') ?? 0;
  if (available !== updated) return `${available} of ${updated} updated replicas available`;
  return undefined;
}

export function resumeCommand(cs: CloneSetProgress, run: string): string {
  return `kubectl kruise-restart crr ${cs.name} -n ${cs.namespace} --resume ${run}`;
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
