// One pod's verdict in an in-place restart (the trigger annotation bumped, Kruise restarting containers in place):
// has this pod verifiably restarted, is it on the way, held, recreated instead, or will it never get there?
//
// Why so much per-pod evidence: Kruise flips a pod's revision label the moment it starts an in-place update, so the
// workload's updated count says "done" while containers are still restarting (the early-done trap), and with the
// InPlaceUpdateEnvFromMetadata gate off Kruise finishes the "update" without restarting anything. Only the
// containers' start times against the update's timestamp prove a restart happened.

import { KRUISE, type CloneSet, type Pod, type RestartRecord } from '../types';
import { unreadableEnv } from '../trigger';
import type { ContainerProgress, PodBaseline } from './document';
import {
  annotations,
  basePod,
  condition,
  containerProgress,
  containerStatuses,
  factsOf,
  isActive,
  isPodReady,
  isTerminating,
  labels,
  latestStart,
  num,
  parseTime,
  podName,
  sameRevision,
  str,
  targetNames,
  waitingContainer,
} from './readers';
import type { Concern, Evaluated, Verdict } from './verdict';
import { kindTitle } from '../workload';

const LIFECYCLE_TIMESTAMP_ANNOTATION = 'lifecycle.apps.kruise.io/timestamp';
const INPLACE_GRACE_ANNOTATION = 'apps.kruise.io/inplace-update-grace';
const SPECIFIED_DELETE_LABEL = 'apps.kruise.io/specified-delete';
/** Tolerance when a cluster timestamp is compared with the plugin's clock. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Why Kruise can update a pod to the new revision without planning a container restart: the env gate is off (the
 * KruiseDaemon gate off turns it off too), or the template had no annotations before the trigger, so the revision
 * diff was one whole-map `add /metadata/annotations` that Kruise copies as plain metadata (inplace_update_defaults.go).
 */
export const NO_RESTART_PLANNED =
  'the InPlaceUpdateEnvFromMetadata (or KruiseDaemon) feature gate is off, or the template had no annotations before this restart (Kruise then copies the first annotations to the pods as plain metadata: the next restart works)';

interface InPlaceUpdateState {
  revision?: string;
  updateTimestamp?: string;
  updateEnvFromMetadata?: boolean;
}

function inPlaceUpdateState(pod: Pod): InPlaceUpdateState | undefined {
  const raw = annotations(pod)[KRUISE.inPlaceUpdateStateAnnotation];
  if (typeof raw !== 'string' || raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  return {
    revision: str(record.revision),
    updateTimestamp: str(record.updateTimestamp),
    updateEnvFromMetadata: typeof record.updateEnvFromMetadata === 'boolean' ? record.updateEnvFromMetadata : undefined,
  };
}

/** What `baseline` needs from pods read before a restart: their UIDs and target containers as they were. */
export function baselineOf(pods: Pod[]): PodBaseline {
  const baseline: PodBaseline = {};
  for (const pod of pods) {
    const name = podName(pod);
    if (!name) continue;
    const containers: PodBaseline[string]['containers'] = {};
    for (const c of containerStatuses(pod)) containers[c.name] = { restartCount: num(c.restartCount) ?? 0, containerID: str(c.containerID) };
    baseline[name] = { uid: str(pod.metadata?.uid), containers };
  }
  return baseline;
}

export interface InPlaceContext {
  record: RestartRecord;
  baseline?: PodBaseline;
  updateRevision?: string;
  /** The controller has produced a new revision for this restart. */
  revisionChanged: boolean;
  startedAt?: number;
  partitionReached: boolean;
  paused: boolean;
  /** The workload's API kind, for words: `CloneSet`, `StatefulSet`, `DaemonSet`. */
  kind?: string;
  /** spec.lifecycle.inPlaceUpdate holds pods; without it `Updated` is only a moment on the way to Normal. */
  inPlaceHook: boolean;
}

export function hasInPlaceUpdateHook(cloneSet: CloneSet): boolean {
  const hook = cloneSet.spec?.lifecycle?.inPlaceUpdate;
  return Boolean(hook && (Object.keys(hook.labelsHandler ?? {}).length > 0 || (hook.finalizersHandler ?? []).length > 0));
}

export function inPlaceVerdict(ctx: InPlaceContext, pod: Pod, targets: string[], containers: ContainerProgress[]): Verdict {
  const podLabels = labels(pod);
  const lifecycle = podLabels[KRUISE.lifecycleStateLabel];
  const lifecycleSince = parseTime(annotations(pod)[LIFECYCLE_TIMESTAMP_ANNOTATION]);
  const updateReady = condition(pod, KRUISE.inPlaceUpdateReady);
  const updateReadySince = parseTime(updateReady?.lastTransitionTime);
  const ready = isPodReady(pod);
  const readySince = parseTime(condition(pod, 'Ready')?.lastTransitionTime);
  const updateState = inPlaceUpdateState(pod);
  const updatedAt = parseTime(updateState?.updateTimestamp);
  // Without the record's fromRevision the revision test cannot tell this restart's update from an earlier one; an
  // in-place update stamped well before the restart started is an earlier one.
  const earlierUpdate =
    ctx.record.fromRevision === undefined && updatedAt !== undefined && ctx.startedAt !== undefined && updatedAt < ctx.startedAt - CLOCK_SKEW_MS;
  const isNew = ctx.revisionChanged && sameRevision(podLabels[KRUISE.revisionLabel], ctx.updateRevision) && !earlierUpdate;

  if (isTerminating(pod)) {
    return { state: 'restarting', reason: 'terminating', concerns: [{ kind: 'terminating', whenStuck: true }] };
  }
  if (!isActive(pod)) {
    // Kruise counts only active pods; a Failed (e.g. evicted) pod is replaced, never updated.
    return { state: 'skipped', reason: `inactive (phase ${pod.status?.phase})`, concerns: [] };
  }

  if (!isNew) {
    // An Advanced DaemonSet's rollingUpdate.selector leaves pods on the nodes it does not pick as they are.
    if (Array.isArray(ctx.record.pods) && !ctx.record.pods.includes(podName(pod) ?? '')) return { state: 'skipped', reason: 'not on a node the rollingUpdate.selector picks', concerns: [] };
    if (podLabels[SPECIFIED_DELETE_LABEL] === 'true') {
      return { state: 'restarting', reason: 'marked by the controller to be recreated', evidenceSince: lifecycleSince, concerns: [] };
    }
    if (ctx.revisionChanged && updateReady?.status === 'False') {
      return { state: 'restarting', reason: 'in-place update starting', evidenceSince: updateReadySince, concerns: [{ kind: 'not-ready', whenStuck: true }] };
    }
    if (lifecycle === 'PreparingUpdate') {
      return {
        state: 'pending',
        reason: 'held by the inPlaceUpdate lifecycle hook (PreparingUpdate)',
        evidenceSince: lifecycleSince,
        concerns: [{ kind: 'lifecycle-hook', whenStuck: false, detail: 'PreparingUpdate' }],
      };
    }
    if (ctx.partitionReached) return { state: 'skipped', reason: 'kept at the old revision by the partition', concerns: [] };
    const reason = !ctx.revisionChanged
      ? 'waiting for the controller to pick up the new template'
      : ctx.paused
        ? `${kindTitle(ctx.kind)} is paused`
        : undefined;
    return { state: 'pending', reason, evidenceSince: ctx.startedAt, concerns: [] };
  }

  const created = parseTime(pod.metadata?.creationTimestamp);
  // Kruise's own record decides; a pod created after its recorded in-place update cannot have been updated in place.
  // Both times come from the cluster: our own clock is never compared with theirs, they may disagree.
  const before = ctx.baseline?.[podName(pod)];
  const recreated = ctx.baseline
    ? !before || (before.uid !== undefined && before.uid !== str(pod.metadata?.uid))
    : !updateState || !sameRevision(updateState.revision, ctx.updateRevision) || (created !== undefined && updatedAt !== undefined && created > updatedAt);

  if (recreated) {
    const recreatedConcern: Concern = { kind: 'recreated', whenStuck: false };
    // Not among the pods read before the restart: scaled up (or a surge pod), born at the new revision.
    const fresh = ctx.baseline && !before ? 'new pod, created during the restart at the new revision: nothing to restart' : undefined;
    if (ready) return { state: 'recreated', ...(fresh ? { reason: fresh } : {}), evidenceSince: readySince ?? created, concerns: [recreatedConcern] };
    const waiting = waitingContainer(pod, targets);
    return {
      state: 'restarting',
      reason: `recreated; waiting for Ready${waiting ? ` (${waiting})` : ''}`,
      evidenceSince: created,
      concerns: [recreatedConcern, { kind: 'not-ready', whenStuck: true, detail: waiting }],
    };
  }

  const statuses = containerStatuses(pod);
  // A target container counts as restarted when it runs since the update; with no usable timestamps, trust Kruise's
  // own check only if it was told to wait for an env-from-metadata restart.
  const notRestarted = containers.filter((c) => {
    const was = before?.containers[c.name];
    if (was) return c.containerID === was.containerID && c.restartCount <= was.restartCount;
    if (!updateState) return true;
    if (!statuses.some((s) => s.name === c.name)) return updateState.updateEnvFromMetadata !== true;
    const started = parseTime(c.startedAt);
    if (started === undefined || updatedAt === undefined) return c.startedAt !== undefined && updateState.updateEnvFromMetadata !== true;
    return started < updatedAt;
  });
  const notRunning = waitingContainer(pod, targets);

  if (annotations(pod)[INPLACE_GRACE_ANNOTATION]) {
    return { state: 'restarting', reason: 'in-place update grace period', evidenceSince: updateReadySince ?? updatedAt, concerns: [] };
  }

  if (updateReady && updateReady.status !== 'True') {
    const noEnv = notRestarted.length > 0 && !notRunning ? unreadableEnv(pod, notRestarted.map((c) => c.name)) : [];
    if (noEnv.length > 0) {
      return {
        state: 'restarting',
        reason: `kruise-daemon could not read the environment of ${noEnv.length === 1 ? 'container' : 'containers'} ${noEnv.join(', ')} (no env binary?)`,
        evidenceSince: updateReadySince ?? updatedAt,
        concerns: [{ kind: 'daemon-not-acting', whenStuck: true, detail: `no-env:${noEnv.join(', ')}` }],
      };
    }
    if (notRestarted.length > 0 && !notRunning) {
      const names = notRestarted.map((c) => c.name).join(', ');
      return {
        state: 'restarting',
        reason: `waiting for kruise-daemon to restart ${names}`,
        evidenceSince: updateReadySince ?? updatedAt,
        concerns: [{ kind: 'daemon-not-acting', whenStuck: true }],
      };
    }
    return {
      state: 'restarting',
      reason: notRunning ? notRunning : 'containers restarted; waiting for Kruise to confirm',
      evidenceSince: latestStart(containers) ?? updateReadySince,
      concerns: [{ kind: 'not-ready', whenStuck: true, detail: notRunning }],
    };
  }

  // InPlaceUpdateReady is True (or the gate is missing): Kruise considers the pod updated.
  if (notRestarted.length > 0 && !notRunning) {
    const names = notRestarted.map((c) => c.name).join(', ');
    // Kruise leaves updateEnvFromMetadata out when it is false (omitempty), so absent is "no restart planned". A missing
    // kruise-daemon is no cause here: with a restart planned, Kruise waits for the daemon's report and the pod stays
    // InPlaceUpdateReady=False (a stall, judged above), it never reaches this point.
    const planned = updateState?.updateEnvFromMetadata === true;
    const cause = planned ? `${names} reads no env var from the trigger annotation` : `Kruise planned no env-from-metadata restart: ${NO_RESTART_PLANNED}`;
    const evidence = before ? 'still runs the same container' : 'started before the in-place update';
    return {
      state: 'failed',
      reason: `not restarted: ${names} ${evidence}; ${cause}`,
      evidenceSince: updateReadySince ?? updatedAt,
      concerns: [{ kind: 'not-restarted', whenStuck: false }, ...(planned ? [] : [{ kind: 'gate-off' as const, whenStuck: false }])],
    };
  }
  if (notRunning) {
    return {
      state: 'restarting',
      reason: `restarted; ${notRunning}`,
      evidenceSince: updateReadySince,
      concerns: [{ kind: 'not-ready', whenStuck: true, detail: notRunning }],
    };
  }
  // Any spec.lifecycle makes Kruise pass pods through Updated after an in-place update; only an inPlaceUpdate hook
  // holds them there (pkg/util/lifecycle), otherwise the next reconcile moves them to Normal.
  if ((lifecycle === 'Updated' || lifecycle === 'PreparingUpdate') && !ctx.inPlaceHook) {
    return { state: 'restarting', reason: `restarted; Kruise is finishing the update (lifecycle ${lifecycle})`, evidenceSince: lifecycleSince ?? updateReadySince, concerns: [] };
  }
  if (lifecycle === 'Updated' || lifecycle === 'PreparingUpdate') {
    return {
      state: 'restarting',
      reason: `restarted; held by the inPlaceUpdate lifecycle hook (${lifecycle})`,
      evidenceSince: lifecycleSince ?? updateReadySince,
      concerns: [{ kind: 'lifecycle-hook', whenStuck: false, detail: lifecycle }],
    };
  }
  if (!ready) {
    return {
      state: 'restarting',
      reason: 'restarted; waiting for Ready',
      evidenceSince: latestStart(containers) ?? updateReadySince,
      concerns: [{ kind: 'not-ready', whenStuck: true }],
    };
  }
  return { state: 'restarted', evidenceSince: readySince ?? latestStart(containers) ?? updateReadySince, concerns: [] };
}

/** Everything of the context that inPlaceVerdict and basePod read, except the baseline (compared by identity). */
export function inPlaceKey(ctx: InPlaceContext): string {
  return JSON.stringify([
    ctx.record.fromRevision,
    ctx.record.containers,
    ctx.record.pods,
    ctx.startedAt,
    ctx.updateRevision,
    ctx.revisionChanged,
    ctx.partitionReached,
    ctx.paused,
    ctx.kind,
    ctx.inPlaceHook,
  ]);
}

/**
 * Every pod's in-place verdict, in the order given. A pod object unchanged since the last evaluation of the same
 * context keeps its verdict and document entry (see InPlaceMemo).
 */
export function inPlaceVerdicts(ctx: InPlaceContext, pods: Pod[]): Evaluated[] {
  const key = inPlaceKey(ctx);
  const shownRevision = ctx.revisionChanged ? ctx.updateRevision : undefined;
  const evaluated: Evaluated[] = [];
  for (const pod of pods) {
    const facts = factsOf(pod);
    let memo = facts.inPlace;
    if (!memo || memo.key !== key || memo.baseline !== ctx.baseline) {
      const targets = targetNames(ctx.record, pod);
      const containers = containerProgress(pod, targets);
      const verdict = inPlaceVerdict(ctx, pod, targets, containers);
      memo = { key, baseline: ctx.baseline, verdict, pod: { ...basePod(pod, containers, shownRevision), state: verdict.state } };
      facts.inPlace = memo;
    }
    const entry: Evaluated = memo.entry ?? (memo.entry = { pod: memo.pod, verdict: memo.verdict, memo });
    entry.pod = memo.pod;
    entry.sinceMs = undefined;
    evaluated.push(entry);
  }
  return evaluated;
}
