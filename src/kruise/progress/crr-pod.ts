// One pod's verdict in a crr run (a ContainerRecreateRequest per pod, paced by the plugin): not started, queued,
// recreating, restarted and Ready again, or failed, from the pod, its newest request of the run and what the run
// itself recorded.

import { requestPodGone } from '../crr-plan';
import { currentRequests } from '../crr-run';
import { KRUISE, PLUGIN, type ContainerRecreateRequest, type Pod, type RestartRecord } from '../types';
import type { PodProgress } from './document';
import {
  basePod,
  compareNames,
  condition,
  containerProgress,
  isActive,
  isPodReady,
  isTerminating,
  labels,
  num,
  parseTime,
  sortedNames,
  str,
  targetNames,
  waitingContainer,
} from './readers';
import type { Concern, Evaluated, Verdict } from './verdict';

function crrFinished(crr: ContainerRecreateRequest): boolean {
  return Boolean(crr.status?.completionTime) || crr.status?.phase === 'Completed';
}

/** The client rule of section 3.3: `Completed` is not success; every container must have Succeeded. */
export function crrFailure(crr: ContainerRecreateRequest): string | undefined {
  const message = str(crr.status?.message);
  if (message) return message;
  const tolerateFailed = crr.spec?.strategy?.failurePolicy === 'Ignore';
  const states = Array.isArray(crr.status?.containerRecreateStates) ? crr.status.containerRecreateStates : [];
  const wanted = Array.isArray(crr.spec?.containers) ? crr.spec.containers : [];
  for (const container of wanted) {
    const name = str(container?.name) ?? '?';
    const state = states.find((s) => s && s.name === name);
    if (!state) return `container ${name}: no recreate state reported`;
    if (state.phase === 'Succeeded') continue;
    if (state.phase === 'Failed' && tolerateFailed) continue;
    const detail = str(state.message);
    return detail ? `container ${name}: ${detail}` : `container ${name} ended ${state.phase || 'without a phase'}`;
  }
  return undefined;
}

function crrContainerSummary(crr: ContainerRecreateRequest): string {
  const states = Array.isArray(crr.status?.containerRecreateStates) ? crr.status.containerRecreateStates : [];
  return states
    .filter((s) => s && typeof s.name === 'string')
    .map((s) => `${s.name} ${s.phase || 'Pending'}`)
    .join(', ');
}

/** Containers kruise-daemon reports missing from the node's runtime (their state stays Pending with this message). */
function crrMissingContainers(crr: ContainerRecreateRequest): string[] {
  const states = Array.isArray(crr.status?.containerRecreateStates) ? crr.status.containerRecreateStates : [];
  return states.filter((s) => s && typeof s.name === 'string' && (s.phase ?? 'Pending') === 'Pending' && s.message === 'not found container on Node').map((s) => s.name);
}

export function crrVerdict(record: RestartRecord, podName: string, pod: Pod | undefined, crr: ContainerRecreateRequest | undefined): Verdict {
  const outcomes = record.outcomes && typeof record.outcomes === 'object' ? record.outcomes : {};
  const outcome = Object.prototype.hasOwnProperty.call(outcomes, podName) ? outcomes[podName] : undefined;
  if (outcome?.state === 'failed') {
    return { state: 'failed', reason: String(outcome.reason), concerns: [{ kind: 'crr-failed', whenStuck: false }], crrPhase: str(crr?.status?.phase), crr: str(crr?.metadata?.name) };
  }
  if (outcome?.state === 'skipped' && (!crr || !pod)) return { state: 'skipped', reason: String(outcome.reason), concerns: [], crrPhase: str(crr?.status?.phase), crr: str(crr?.metadata?.name) };
  if (!crr) {
    if (!pod) return { state: 'skipped', reason: 'pod gone', concerns: [] };
    if (isTerminating(pod) || !isActive(pod)) return { state: 'skipped', reason: isTerminating(pod) ? 'pod terminating' : `pod inactive (phase ${pod.status?.phase})`, concerns: [] };
    if (record.finished === 'completed') {
      return { state: 'restarted', reason: 'CRR already cleaned up; the run recorded completion', concerns: [] };
    }
    return {
      state: 'pending',
      reason: record.finished === 'failed' ? 'the run ended before this pod' : undefined,
      evidenceSince: parseTime(record.startedAt),
      concerns: [],
    };
  }
  const name = str(crr.metadata?.name);
  const phase = str(crr.status?.phase) ?? '';
  const created = parseTime(crr.metadata?.creationTimestamp);
  const node = str(pod?.spec?.nodeName) ?? labels(crr)[KRUISE.crrNodeNameLabel];
  if (!crrFinished(crr)) {
    let reason: string;
    const concerns: Concern[] = [];
    if (!pod) reason = 'pod gone; waiting for Kruise to complete the CRR';
    else if (phase === '') {
      reason = `waiting for kruise-daemon on node ${node ?? '?'} to pick it up`;
      concerns.push({ kind: 'daemon-not-acting', whenStuck: true });
    } else if (phase === 'Pending') reason = 'queued behind another CRR on this pod';
    else if (crrMissingContainers(crr).length > 0) {
      // crr_daemon_util.go: the state stays Pending and the request Recreating until activeDeadlineSeconds.
      const deadline = num(crr.spec?.activeDeadlineSeconds);
      reason = `kruise-daemon finds no container ${crrMissingContainers(crr).join(', ')} on node ${node ?? '?'} (not found container on Node): the request stays Recreating ${deadline !== undefined ? `until its deadline (activeDeadlineSeconds ${deadline})` : 'forever (no activeDeadlineSeconds)'}`;
      concerns.push({ kind: 'container-missing', whenStuck: false });
    } else {
      const containers = crrContainerSummary(crr);
      reason = containers ? `recreating: ${containers}` : 'recreating';
      // Succeeded needs the new container Ready: a long Recreating is usually a container that does not get Ready.
      concerns.push(isPodReady(pod) ? { kind: 'daemon-not-acting', whenStuck: true } : { kind: 'not-ready', whenStuck: true, detail: waitingContainer(pod, targetNames(record, pod)) });
    }
    return { state: 'restarting', reason, evidenceSince: created, concerns, crrPhase: phase, crr: name };
  }
  const completedAt = parseTime(crr.status?.completionTime);
  const failure = crrFailure(crr);
  // Deleted under its request (scaled down, evicted): Kruise ends it "pod has gone"; a pod that is no more did not fail.
  if (failure && requestPodGone(crr, pod)) return { state: 'skipped', reason: 'pod gone during its restart (deleted, e.g. scaled down)', evidenceSince: completedAt, concerns: [], crrPhase: phase, crr: name };
  if (failure) {
    const concerns: Concern[] = [{ kind: 'crr-failed', whenStuck: false }];
    let reason = failure;
    if (failure.includes('daemon has not responded')) {
      reason = `${failure} (is kruise-daemon running on node ${node ?? '?'}?)`;
      concerns.push({ kind: 'daemon-not-acting', whenStuck: false });
    }
    return { state: 'failed', reason, evidenceSince: completedAt, concerns, crrPhase: phase, crr: name };
  }
  if (!pod) return { state: 'skipped', reason: 'pod gone after its restart', evidenceSince: completedAt, concerns: [], crrPhase: phase, crr: name };
  if (!isPodReady(pod)) {
    const waiting = waitingContainer(pod, targetNames(record, pod));
    return {
      state: 'restarting',
      reason: `restarted; waiting for Ready${waiting ? ` (${waiting})` : ''}`,
      evidenceSince: completedAt,
      concerns: [{ kind: 'not-ready', whenStuck: true, detail: waiting }],
      crrPhase: phase,
      crr: name,
    };
  }
  const readySince = parseTime(condition(pod, 'Ready')?.lastTransitionTime);
  const since = readySince !== undefined && completedAt !== undefined ? Math.max(readySince, completedAt) : (completedAt ?? readySince);
  return { state: 'restarted', evidenceSince: since, concerns: [], crrPhase: phase, crr: name };
}

/** The newest CRR of the run for each pod (a resumed run may have retried a pod). */
export function crrsByPod(crrs: ContainerRecreateRequest[] | undefined, run: string): Map<string, ContainerRecreateRequest> {
  const byPod = new Map<string, ContainerRecreateRequest>();
  if (!Array.isArray(crrs)) return byPod;
  for (const crr of crrs) {
    if (!crr || labels(crr)[PLUGIN.runLabel] !== run) continue;
    const pod = str(crr.spec?.podName);
    if (!pod) continue;
    const previous = byPod.get(pod);
    const created = parseTime(crr.metadata?.creationTimestamp) ?? 0;
    if (!previous || created >= (parseTime(previous.metadata?.creationTimestamp) ?? 0)) byPod.set(pod, crr);
  }
  return byPod;
}

/**
 * Every selected pod's verdict, by name. The run's own pod list decides which pods count (a resume neither skips nor
 * adds pods); a run recorded without one takes the workload's pods.
 */
export function crrVerdicts(record: RestartRecord, crrs: ContainerRecreateRequest[] | undefined, byName: Map<string, Pod>, updateRevision: string | undefined): Evaluated[] {
  // A pod retried by a resume of a failed run is judged by its current attempt's request alone.
  const byPod = crrsByPod(Array.isArray(crrs) ? currentRequests(record, crrs) : crrs, str(record.run) ?? '');
  const selected = Array.isArray(record.pods) ? record.pods.filter((p) => typeof p === 'string') : sortedNames(byName);
  const evaluated: Evaluated[] = [];
  for (const name of [...new Set(selected)].sort(compareNames)) {
    const pod = byName.get(name);
    const crr = byPod.get(name);
    const verdict = crrVerdict(record, name, pod, crr);
    const containers = pod ? containerProgress(pod, targetNames(record, pod)) : [];
    const base: PodProgress = pod
      ? basePod(pod, containers, updateRevision)
      : { name, ready: false, revision: 'old', restarts: 0, containers: [], state: verdict.state };
    if (!pod && crr) base.node = labels(crr)[KRUISE.crrNodeNameLabel];
    evaluated.push({ pod: { ...base, state: verdict.state }, verdict });
  }
  return evaluated;
}
