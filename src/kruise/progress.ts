// The progress model: a CloneSet, its pods and (for CRR runs) the run's ContainerRecreateRequests in, one
// `RestartProgress` out. `status`, `inplace` and `crr` all render this one value; it is also the `-o json|yaml`
// document. Pure: no I/O, no clock (the caller passes `now`), never throws on odd objects.
//
// Why so much per-pod evidence: Kruise flips a pod's revision label the moment it starts an in-place update, so the
// CloneSet's `updatedReplicas` says "done" while containers are still restarting (the early-done trap), and with the
// InPlaceUpdateEnvFromMetadata gate off Kruise finishes the "update" without restarting anything. Only the
// containers' start times against the update's timestamp prove a restart happened.

import {
  desiredReplicas,
  expectedUpdatedReplicas as computeExpectedUpdated,
  resolveMaxSurge,
  resolveMaxUnavailable,
  resolvePartition,
} from './budget';
import { formatDuration, formatCount, listNames } from './duration';
import {
  KRUISE,
  PLUGIN,
  type CloneSet,
  type CloneSetStatus,
  type Condition,
  type ContainerRecreateRequest,
  type ContainerStatus,
  type Pod,
  type RestartRecord,
} from './types';
import { crrRunAbandoned } from './record';
import { unreadableEnv } from './trigger';
import { zeroBudgetStall } from './inplace-plan';

// ---------------------------------------------------------------------------------------------------------------
// The document. Field names are a public contract (`-o json|yaml`, README): add fields, never rename or remove.
// Times are RFC3339 strings; durations are seconds.
// ---------------------------------------------------------------------------------------------------------------

export type RestartMode = 'inplace' | 'crr' | 'none';

/**
 * Where the restart stands, in one word (the `state` field):
 * - `none`: no restart recorded on this CloneSet.
 * - `in-progress`: moving: the controller (inplace) or a live crr process is restarting pods.
 * - `paused`: inplace, the CloneSet is paused (`spec.updateStrategy.paused`): Kruise starts no pod until unpaused.
 * - `interrupted`: crr, the run is unfinished and no process drives it (its heartbeat stopped): nothing starts until
 *   `crr --resume`.
 * - `complete`, `failed`: as `complete` / `failed`.
 */
export type RestartState = 'none' | 'in-progress' | 'paused' | 'interrupted' | 'complete' | 'failed';

/**
 * - `pending`: not started yet (old revision / no CRR yet).
 * - `restarting`: in flight: Kruise or kruise-daemon is working on it, or its restarted containers are not Ready yet.
 * - `restarted`: target containers verifiably restarted and the pod is Ready.
 * - `failed`: will not get there on its own (containers not restarted although Kruise says done; CRR failed).
 * - `recreated`: replaced by a new pod instead of being restarted in place (Ready again).
 * - `skipped`: not part of the work: kept at the old revision by the partition, gone, or no restart recorded.
 */
export type PodRestartState = 'pending' | 'restarting' | 'restarted' | 'failed' | 'recreated' | 'skipped';

export type DiagnosisKind =
  | 'stalled'
  | 'recreated'
  | 'not-restarted'
  | 'gate-off'
  | 'paused'
  | 'partition'
  | 'not-ready'
  | 'lifecycle-hook'
  | 'daemon-not-acting'
  | 'not-observed'
  | 'budget-exhausted'
  | 'container-missing'
  | 'update-failed'
  | 'crr-failed'
  | 'interrupted'
  | 'terminating';

export type Severity = 'info' | 'warning' | 'error';

export interface Diagnosis {
  kind: DiagnosisKind;
  severity: Severity;
  /** One line, names at most a few pods. */
  message: string;
  /** Every pod concerned, when the diagnosis is about pods. */
  pods?: string[];
}

export interface ContainerProgress {
  name: string;
  restartCount: number;
  containerID?: string;
  ready: boolean;
  /** `state.running.startedAt` (cluster clock), absent when the container is not running. */
  startedAt?: string;
}

export interface PodProgress {
  name: string;
  node?: string;
  ip?: string;
  /** The pod's `Ready` condition (which includes Kruise's readiness gates). */
  ready: boolean;
  /** `new` when the pod's `controller-revision-hash` is the CloneSet's updateRevision of this restart. */
  revision: 'old' | 'new';
  /** The pod's `controller-revision-hash` label, as is. */
  revisionHash?: string;
  /** Sum of the target containers' restartCount. */
  restarts: number;
  /** The target containers only. */
  containers: ContainerProgress[];
  state: PodRestartState;
  reason?: string;
  /** When the pod entered `state`: from the cluster's evidence when there is some, else first seen by this process. */
  since?: string;
  /** crr mode: the CRR's top-level phase as Kruise wrote it (`''` = created, not yet picked up). */
  crrPhase?: string;
  /** crr mode: the CRR's name. */
  crr?: string;
}

export interface CloneSetProgress {
  namespace: string;
  name: string;
  /** `spec.updateStrategy.type` (Kruise's default `ReCreate` when absent). */
  strategy: string;
  replicas: number;
  currentRevision?: string;
  updateRevision?: string;
  /** Resolved exactly as the controller does (section 2.3 of kruise-semantics.md). */
  maxUnavailable: number;
  /** Resolved: the number of pods kept at old revisions. */
  partition: number;
  paused: boolean;
  observedGeneration?: number;
  generation?: number;
}

export interface ProgressSummary {
  /** Pods in this restart: inplace/none: the CloneSet's pods; crr: the run's selected pods. */
  total: number;
  restarted: number;
  restarting: number;
  pending: number;
  failed: number;
  skipped: number;
  recreated: number;
  /** Pods of the CloneSet not Ready or not Running now, plus pods missing against spec.replicas. */
  unavailable: number;
  /** The unavailability budget: inplace: resolved maxUnavailable; crr: the run's own maxUnavailable. */
  budget: number;
}

export interface RestartProgress {
  /** See RestartState. */
  state: RestartState;
  /** The restart finished successfully (mode none: false: there is no restart to have finished). */
  complete: boolean;
  /** Some pod will not finish on its own, or the run recorded itself as failed. */
  failed: boolean;
  mode: RestartMode;
  /** inplace: the trigger value; crr: the run id. */
  run?: string;
  startedAt?: string;
  /** `now` of this evaluation. */
  observedAt: string;
  /** Last time any pod changed state, as far as this process or the cluster's timestamps tell. */
  lastProgressAt?: string;
  cloneSet: CloneSetProgress;
  summary: ProgressSummary;
  /** Sorted by name. */
  pods: PodProgress[];
  diagnoses: Diagnosis[];
  /** Seconds left at the observed pace; null until one pod restarted, once complete, and while paused or interrupted. */
  eta: number | null;
  /** crr: when the process driving the run last said it is alive (server clock, see HEARTBEAT_STALE_MS). */
  heartbeatAt?: string;
  /** state interrupted: the command that finishes the run. */
  resume?: string;
  /** One-line human summary, like `kubectl rollout status`. */
  message: string;
}

/**
 * What must survive between two evaluations of the same restart (serialisable; the caller threads it through).
 * Without it every evaluation stands alone and "since"/stall fall back to the cluster's own timestamps.
 */
export interface ProgressHistory {
  run?: string;
  /** First evaluation of this run by this process (ms). */
  firstSeenAt: number;
  /** Last time a pod changed state or appeared or vanished (ms). */
  lastChangeAt: number;
  pods: Record<string, { state: PodRestartState; since: number }>;
}

export type PodBaseline = Record<string, { uid?: string; containers: Record<string, { restartCount: number; containerID?: string }> }>;

/** What `baseline` needs from pods read before a restart. */
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

export interface ProgressInput {
  cloneSet: CloneSet;
  /** The CloneSet's pods (owned, any phase). */
  pods: Pod[];
  /** The latest restart (from the CloneSet's last-restart annotation); absent: no restart ever made. */
  record?: RestartRecord;
  /** crr mode: the CRRs of the namespace or of the run (filtered here by the run label). */
  crrs?: ContainerRecreateRequest[];
  /** The caller's clock, ms since the epoch. */
  now: number;
  history?: ProgressHistory;
  /**
   * The pods as read just before the trigger, when the caller has them (inplace follows its own restart): then a pod
   * is recreated iff its UID is new, and restarted iff a target container has a new containerID or a higher
   * restartCount. Without it (status in another process), Kruise's inplace-update-state annotation decides.
   */
  baseline?: PodBaseline;
  /** No state change for this long while incomplete is a stall (default 60; raised to 3x the observed per-pod time). */
  stallAfterSeconds?: number;
  /** The API server's clock minus the caller's (ms), when known: a crr run's heartbeat is judged on the server's clock. */
  serverClockOffsetMs?: number;
  /** The caller itself drives this crr run, so it cannot be interrupted whatever its heartbeat says. */
  driving?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Small readers that tolerate anything.
// ---------------------------------------------------------------------------------------------------------------

const LIFECYCLE_TIMESTAMP_ANNOTATION = 'lifecycle.apps.kruise.io/timestamp';
const INPLACE_GRACE_ANNOTATION = 'apps.kruise.io/inplace-update-grace';
const SPECIFIED_DELETE_LABEL = 'apps.kruise.io/specified-delete';
const DEFAULT_STALL_SECONDS = 60;
/** Tolerance when a cluster timestamp is compared with the plugin's clock. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Why Kruise can update a pod to the new revision without planning a container restart: the env gate is off (the
 * KruiseDaemon gate off turns it off too), or the template had no annotations before the trigger, so the revision
 * diff was one whole-map `add /metadata/annotations` that Kruise copies as plain metadata (inplace_update_defaults.go).
 */
const NO_RESTART_PLANNED =
  'the InPlaceUpdateEnvFromMetadata (or KruiseDaemon) feature gate is off, or the template had no annotations before this restart (Kruise then copies the first annotations to the pods as plain metadata: the next restart works)';

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function isoSeconds(ms: number): string {
  if (!Number.isFinite(ms)) return new Date(0).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * A CloneSet status count Kruise declares `omitempty` (cloneset_types.go: updatedAvailableReplicas,
 * expectedUpdatedReplicas): Go leaves it out when it is 0, so once the controller has written a status (it always
 * sets observedGeneration) an absent field is 0. Before that, undefined: nothing is known yet.
 */
function omitemptyCount(status: CloneSetStatus, field: 'updatedAvailableReplicas' | 'expectedUpdatedReplicas'): number | undefined {
  const value = num(status[field]);
  if (value !== undefined) return value;
  return num(status.observedGeneration) !== undefined ? 0 : undefined;
}

function labels(obj: { metadata?: { labels?: Record<string, string> } } | undefined): Record<string, string> {
  const l = obj?.metadata?.labels;
  return l && typeof l === 'object' ? l : {};
}

function annotations(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): Record<string, string> {
  const a = obj?.metadata?.annotations;
  return a && typeof a === 'object' ? a : {};
}

function condition(pod: Pod, type: string): Condition | undefined {
  const conditions = pod.status?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find((c) => c && c.type === type);
}

function podName(pod: Pod): string {
  return str(pod.metadata?.name) ?? '';
}

function isPodReady(pod: Pod): boolean {
  return condition(pod, 'Ready')?.status === 'True';
}

function isRunning(pod: Pod): boolean {
  return pod.status?.phase === 'Running';
}

function isActive(pod: Pod): boolean {
  return pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

function isTerminating(pod: Pod): boolean {
  return typeof pod.metadata?.deletionTimestamp === 'string' && pod.metadata.deletionTimestamp !== '';
}

/** Kruise's revision match: equal, or equal short hash (the part after the last `-`), for CloneSetShortHash. */
export function sameRevision(podRevision: string | undefined, revision: string | undefined): boolean {
  if (!podRevision || !revision) return false;
  if (podRevision === revision) return true;
  // Called for every pod on every evaluation: compare the suffix in place rather than splitting both strings.
  const short = shortHashOf(revision);
  return podRevision.endsWith(short) && (podRevision.length === short.length || podRevision.charCodeAt(podRevision.length - short.length - 1) === 45 /* - */);
}

let lastRevision: string | undefined;
let lastShortHash = '';
/** The CloneSet's revision is the same for every pod of an evaluation: split it once. */
function shortHashOf(revision: string): string {
  if (revision !== lastRevision) {
    lastRevision = revision;
    lastShortHash = shortHash(revision);
  }
  return lastShortHash;
}

export function shortHash(revision: string): string {
  const parts = revision.split('-');
  return parts[parts.length - 1];
}

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

function containerStatuses(pod: Pod): ContainerStatus[] {
  const list = pod.status?.containerStatuses;
  return Array.isArray(list) ? list.filter((c) => c && typeof c.name === 'string') : [];
}

/** The containers this restart is about: the record's, else every container of the pod. */
function targetNames(record: RestartRecord | undefined, pod: Pod): string[] {
  const fromRecord = Array.isArray(record?.containers) ? record.containers.filter((c) => typeof c === 'string') : [];
  if (fromRecord.length > 0) return fromRecord;
  const fromSpec = Array.isArray(pod.spec?.containers) ? pod.spec.containers.map((c) => c?.name).filter((n): n is string => typeof n === 'string') : [];
  return fromSpec.length > 0 ? fromSpec : containerStatuses(pod).map((c) => c.name);
}

function containerProgress(pod: Pod, targets: string[]): ContainerProgress[] {
  const statuses = containerStatuses(pod);
  return targets.map((name) => {
    const status = statuses.find((c) => c.name === name);
    return {
      name,
      restartCount: num(status?.restartCount) ?? 0,
      containerID: str(status?.containerID) || undefined,
      ready: status?.ready === true,
      startedAt: str(status?.state?.running?.startedAt) || undefined,
    };
  });
}

/** The first target container that is not running, with kubelet's reason (CrashLoopBackOff, ImagePullBackOff…). */
function waitingContainer(pod: Pod, targets: string[]): string | undefined {
  for (const status of containerStatuses(pod)) {
    if (!targets.includes(status.name)) continue;
    const waiting = status.state?.waiting;
    if (waiting) return `container ${status.name} ${str(waiting.reason) ?? 'waiting'}`;
    const terminated = status.state?.terminated;
    if (terminated) return `container ${status.name} ${str(terminated.reason) ?? 'terminated'}`;
  }
  return undefined;
}

function latestStart(containers: ContainerProgress[]): number | undefined {
  let latest: number | undefined;
  for (const c of containers) {
    const t = parseTime(c.startedAt);
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  }
  return latest;
}

// ---------------------------------------------------------------------------------------------------------------
// Per-pod verdicts.
// ---------------------------------------------------------------------------------------------------------------

/** A concern about one pod; `whenStuck` ones only count once the pod has been in its state longer than the threshold. */
interface Concern {
  kind: DiagnosisKind;
  whenStuck: boolean;
  detail?: string;
}

interface Verdict {
  state: PodRestartState;
  reason?: string;
  /** Evidence of when the pod entered this state (cluster clock), if any. */
  evidenceSince?: number;
  concerns: Concern[];
  crrPhase?: string;
  crr?: string;
}

interface InPlaceContext {
  record: RestartRecord;
  baseline?: PodBaseline;
  updateRevision?: string;
  /** The controller has produced a new revision for this restart. */
  revisionChanged: boolean;
  startedAt?: number;
  partitionReached: boolean;
  paused: boolean;
  /** spec.lifecycle.inPlaceUpdate holds pods; without it `Updated` is only a moment on the way to Normal. */
  inPlaceHook: boolean;
}

function hasInPlaceUpdateHook(cloneSet: CloneSet): boolean {
  const hook = cloneSet.spec?.lifecycle?.inPlaceUpdate;
  return Boolean(hook && (Object.keys(hook.labelsHandler ?? {}).length > 0 || (hook.finalizersHandler ?? []).length > 0));
}

function inPlaceVerdict(ctx: InPlaceContext, pod: Pod, targets: string[], containers: ContainerProgress[]): Verdict {
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
        ? 'CloneSet is paused'
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
    if (ready) return { state: 'recreated', evidenceSince: readySince ?? created, concerns: [recreatedConcern] };
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

function crrFinished(crr: ContainerRecreateRequest): boolean {
  return Boolean(crr.status?.completionTime) || crr.status?.phase === 'Completed';
}

/** The client rule of section 3.3: `Completed` is not success; every container must have Succeeded. */
function crrFailure(crr: ContainerRecreateRequest): string | undefined {
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

function crrVerdict(record: RestartRecord, podName: string, pod: Pod | undefined, crr: ContainerRecreateRequest | undefined): Verdict {
  const outcomes = record.outcomes && typeof record.outcomes === 'object' ? record.outcomes : {};
  const outcome = Object.prototype.hasOwnProperty.call(outcomes, podName) ? outcomes[podName] : undefined;
  if (outcome?.state === 'failed') {
    return { state: 'failed', reason: String(outcome.reason), concerns: [{ kind: 'crr-failed', whenStuck: false }], crrPhase: str(crr?.status?.phase), crr: str(crr?.metadata?.name) };
  }
  if (outcome?.state === 'skipped' && !crr) return { state: 'skipped', reason: String(outcome.reason), concerns: [] };
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
function crrsByPod(crrs: ContainerRecreateRequest[] | undefined, run: string): Map<string, ContainerRecreateRequest> {
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

// ---------------------------------------------------------------------------------------------------------------
// The whole picture.
// ---------------------------------------------------------------------------------------------------------------

function cloneSetProgress(cloneSet: CloneSet): CloneSetProgress {
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

interface Evaluated {
  pod: PodProgress;
  verdict: Verdict;
  sinceMs?: number;
  memo?: InPlaceMemo;
}

/**
 * A pod's verdict depends only on the pod object and the restart's context. The watch replaces a pod's object when
 * it changes and keeps it otherwise, so between two evaluations of a live restart nearly every pod is the same object:
 * its verdict and document entry are reused instead of recomputed (at 5,000 pods a full evaluation took ~80 ms,
 * mostly garbage, on every watch event). Callers must treat pods and the returned document as immutable, which they
 * do: the watch replaces objects, it never edits them.
 */
interface InPlaceMemo {
  key: string;
  baseline?: PodBaseline;
  verdict: Verdict;
  /** Without reason and since, which depend on the evaluation. */
  pod: PodProgress;
  last?: PodProgress;
  lastSinceMs?: number;
  /** This pod's entry of the evaluation in progress, reused from one evaluation to the next (they never overlap). */
  entry?: Evaluated;
}


/** Everything of the context that inPlaceVerdict and basePod read, except the baseline (compared by identity). */
function inPlaceKey(ctx: InPlaceContext): string {
  return JSON.stringify([
    ctx.record.fromRevision,
    ctx.record.containers,
    ctx.startedAt,
    ctx.updateRevision,
    ctx.revisionChanged,
    ctx.partitionReached,
    ctx.paused,
    ctx.inPlaceHook,
  ]);
}

function emptySummary(budget: number): ProgressSummary {
  return { total: 0, restarted: 0, restarting: 0, pending: 0, failed: 0, skipped: 0, recreated: 0, unavailable: 0, budget };
}

/** What every evaluation asks of every pod, whatever the restart: depends on the pod object alone. */
interface PodFacts {
  terminating: boolean;
  active: boolean;
  /** Not Running, or not Ready. */
  down: boolean;
  revisionHash?: string;
  /** One lookup per pod and evaluation: the in-place memo lives here too. */
  inPlace?: InPlaceMemo;
}

const podFactsMemo = new WeakMap<Pod, PodFacts>();

function factsOf(pod: Pod): PodFacts {
  let facts = podFactsMemo.get(pod);
  if (!facts) {
    facts = { terminating: isTerminating(pod), active: isActive(pod), down: !isRunning(pod) || !isPodReady(pod), revisionHash: labels(pod)[KRUISE.revisionLabel] };
    podFactsMemo.set(pod, facts);
  }
  return facts;
}

function countUnavailable(cloneSet: CloneSet, pods: Pod[]): number {
  let active = 0;
  let down = 0;
  for (const p of pods) {
    const f = factsOf(p);
    if (f.terminating || !f.active) continue;
    active++;
    if (f.down) down++;
  }
  return down + Math.max(0, desiredReplicas(cloneSet) - active);
}

function sinceOf(verdict: Verdict, previous: ProgressHistory['pods'][string] | undefined, now: number): number {
  if (previous && previous.state === verdict.state) return previous.since;
  if (verdict.evidenceSince !== undefined && verdict.evidenceSince <= now) return verdict.evidenceSince;
  return now;
}

/** Evaluate a restart. See `RestartProgress` for the document it returns. */
export function buildProgress(input: ProgressInput): RestartProgress {
  const { cloneSet, record, now } = input;
  const pods = (Array.isArray(input.pods) ? input.pods : []).filter((p): p is Pod => Boolean(p && p.metadata));
  const cs = cloneSetProgress(cloneSet);
  const observedAt = isoSeconds(now);
  const unavailable = countUnavailable(cloneSet, pods);
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
      message: `cloneset ${cs.name}: no restart recorded (${formatCount(podList.length)} ${podList.length === 1 ? 'pod' : 'pods'})`,
    };
  }

  const run = str(record.run);
  const startedAt = parseTime(record.startedAt);
  const budget = record.mode === 'crr' && num(record.maxUnavailable) !== undefined ? (record.maxUnavailable as number) : cs.maxUnavailable;
  const evaluated: Evaluated[] = [];
  let statusGap: string | undefined;

  if (record.mode === 'inplace') {
    const revisionChanged = Boolean(cs.updateRevision) && (record.fromRevision === undefined || cs.updateRevision !== record.fromRevision);
    const status = cloneSet.status ?? {};
    const expected = omitemptyCount(status, 'expectedUpdatedReplicas') ?? computeExpectedUpdated(cloneSet);
    const newActive = revisionChanged
      ? pods.filter((p) => {
          const f = factsOf(p);
          return !f.terminating && sameRevision(f.revisionHash, cs.updateRevision);
        }).length
      : 0;
    const ctx: InPlaceContext = {
      record,
      baseline: input.baseline,
      updateRevision: cs.updateRevision,
      revisionChanged,
      startedAt,
      partitionReached: cs.partition > 0 && revisionChanged && newActive >= expected,
      paused: cs.paused,
      inPlaceHook: hasInPlaceUpdateHook(cloneSet),
    };
    const key = inPlaceKey(ctx);
    for (const pod of inNameOrder(pods, byNameMap)) {
      const facts = factsOf(pod);
      let memo = facts.inPlace;
      if (!memo || memo.key !== key || memo.baseline !== ctx.baseline) {
        const targets = targetNames(record, pod);
        const containers = containerProgress(pod, targets);
        const verdict = inPlaceVerdict(ctx, pod, targets, containers);
        memo = { key, baseline: ctx.baseline, verdict, pod: { ...basePod(pod, containers, revisionChanged ? cs.updateRevision : undefined), state: verdict.state } };
        facts.inPlace = memo;
      }
      const entry: Evaluated = memo.entry ?? (memo.entry = { pod: memo.pod, verdict: memo.verdict, memo });
      entry.pod = memo.pod;
      entry.sinceMs = undefined;
      evaluated.push(entry);
    }
    statusGap = inPlaceStatusGap(cloneSet, record);
  } else {
    const crrs = crrsByPod(input.crrs, run ?? '');
    const byName = byNameMap();
    const selected = Array.isArray(record.pods) ? record.pods.filter((p) => typeof p === 'string') : sortedNames(byName);
    for (const name of [...new Set(selected)].sort(compareNames)) {
      const pod = byName.get(name);
      const crr = crrs.get(name);
      const verdict = crrVerdict(record, name, pod, crr);
      const containers = pod ? containerProgress(pod, targetNames(record, pod)) : [];
      const base: PodProgress = pod
        ? basePod(pod, containers, cs.updateRevision)
        : { name, ready: false, revision: 'old', restarts: 0, containers: [], state: verdict.state };
      if (!pod && crr) base.node = labels(crr)[KRUISE.crrNodeNameLabel];
      evaluated.push({ pod: { ...base, state: verdict.state }, verdict });
    }
  }

  const sameRunHistory = input.history && input.history.run === run ? input.history : undefined;
  // Whether any pod changed state since the history: computed here, where each pod's entry is looked up anyway.
  let statesChanged = sameRunHistory !== undefined && keyCount(sameRunHistory.pods ?? {}) !== evaluated.length;
  for (const e of evaluated) {
    const previous = sameRunHistory?.pods?.[e.pod.name];
    if (sameRunHistory && previous?.state !== e.pod.state) statesChanged = true;
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

  const summary = emptySummary(budget);
  summary.total = evaluated.length;
  summary.unavailable = unavailable;
  // Counted in locals: summary[state] += 1 is a megamorphic keyed store, slow over thousands of pods.
  let restarted = 0, restarting = 0, pending = 0, failed = 0, skipped = 0, recreated = 0;
  for (const e of evaluated) {
    const state = e.pod.state;
    if (state === 'restarted') restarted++;
    else if (state === 'restarting') restarting++;
    else if (state === 'pending') pending++;
    else if (state === 'failed') failed++;
    else if (state === 'skipped') skipped++;
    else recreated++;
  }
  Object.assign(summary, { restarted, restarting, pending, failed, skipped, recreated });

  const anyFailed = summary.failed > 0 || record.finished === 'failed';
  const allDone = evaluated.every((e) => e.pod.state === 'restarted' || e.pod.state === 'recreated' || e.pod.state === 'skipped');
  const complete = !anyFailed && allDone && (record.mode === 'crr' || statusGap === undefined);

  // Pace: pods finished per second of the run, on the plugin's clock at both ends.
  const done = summary.restarted + summary.recreated;
  const elapsedMs = startedAt !== undefined ? now - startedAt : undefined;
  const remaining =
    record.mode === 'inplace'
      ? Math.max(0, Math.min(summary.pending + summary.restarting, Math.max(0, cs.replicas - cs.partition) - done))
      : summary.pending + summary.restarting;
  const state = runState(input, record, cs, summary, complete, anyFailed);
  let eta: number | null = null;
  // Paused or interrupted, nothing moves: a pace-based guess would only grow.
  if (!complete && state !== 'paused' && state !== 'interrupted' && done > 0 && elapsedMs !== undefined && elapsedMs > 0 && remaining > 0) {
    eta = Math.ceil((remaining * elapsedMs) / done / 1000);
  }

  // A stall is judged against the pace seen so far: a CloneSet whose pods take 5 minutes each is not stalled at 61 s.
  // The pace is measured up to the last progress, or a stall would keep stretching its own threshold.
  const lastProgressAt = lastProgress(evaluated, sameRunHistory, statesChanged, startedAt, now);
  const activeMs = startedAt !== undefined && lastProgressAt !== undefined ? lastProgressAt - startedAt : 0;
  const perPodMs = done > 0 && activeMs > 0 ? (activeMs * Math.max(1, budget)) / done : 0;
  const stallAfterMs = Math.max((num(input.stallAfterSeconds) ?? DEFAULT_STALL_SECONDS) * 1000, 3 * perPodMs);

  const diagnoses = diagnose({ input, cs, record, evaluated, summary, complete, anyFailed, statusGap, stallAfterMs, lastProgressAt, pods });
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
    pods: evaluated.map((e) => e.pod),
    diagnoses,
    eta,
    ...(record.mode === 'crr' && str(record.heartbeatAt) ? { heartbeatAt: str(record.heartbeatAt) } : {}),
    ...(resume ? { resume } : {}),
    message: '',
  };
  progress.message = summarize(progress, statusGap);
  changedAgainst.set(progress, { history: input.history, changed: statesChanged });
  return progress;
}

function resumeCommand(cs: CloneSetProgress, run: string): string {
  return `kubectl kruise-restart crr ${cs.name} -n ${cs.namespace} --resume ${run}`;
}

/**
 * The one-word state. A crr run is driven by a process: unfinished, with pods still to start, and no heartbeat for
 * HEARTBEAT_STALE_MS (server clock), nobody will start them. Requests already created finish on their own, so a run
 * with nothing left but in-flight pods still moves.
 */
function runState(input: ProgressInput, record: RestartRecord, cs: CloneSetProgress, summary: ProgressSummary, complete: boolean, failed: boolean): RestartState {
  if (failed) return 'failed';
  if (complete) return 'complete';
  if (record.mode === 'inplace' && cs.paused && summary.pending > 0) return 'paused';
  if (record.mode === 'crr' && !input.driving && summary.pending > 0 && crrRunAbandoned(record, input.now + (num(input.serverClockOffsetMs) ?? 0))) {
    return 'interrupted';
  }
  return 'in-progress';
}

/** buildProgress already compared the pods with the history it was given; observe reuses that when given the same. */
const changedAgainst = new WeakMap<RestartProgress, { history: ProgressHistory | undefined; changed: boolean }>();

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The pods by name, one per name (the last one wins, as in byName). A watch keeps pods in the order the API server
 * listed them, which is by name: then the input is already the answer, and checking that costs less than sorting.
 */
function inNameOrder(pods: Pod[], byNameMap: () => Map<string, Pod>): Pod[] {
  let sorted = true;
  for (let i = 1; i < pods.length && sorted; i++) sorted = podName(pods[i - 1]) < podName(pods[i]);
  if (sorted) return pods;
  const byName = byNameMap();
  return sortedNames(byName).map((name) => byName.get(name) as Pod);
}

function sortedNames(byName: Map<string, Pod>): string[] {
  return [...byName.keys()].sort(compareNames);
}

function basePod(pod: Pod, containers: ContainerProgress[], updateRevision: string | undefined): PodProgress {
  const revisionHash = labels(pod)[KRUISE.revisionLabel];
  const base: PodProgress = {
    name: podName(pod),
    ready: isPodReady(pod),
    revision: sameRevision(revisionHash, updateRevision) ? 'new' : 'old',
    restarts: containers.reduce((sum, c) => sum + c.restartCount, 0),
    containers,
    state: 'pending',
  };
  const node = str(pod.spec?.nodeName);
  if (node) base.node = node;
  const ip = str(pod.status?.podIP);
  if (ip) base.ip = ip;
  if (typeof revisionHash === 'string') base.revisionHash = revisionHash;
  return base;
}

/** The latest moment anything moved: a state change seen by this process, or the newest evidence timestamp. */
function lastProgress(
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

function changedSince(history: ProgressHistory, pods: readonly { name: string; state: PodRestartState }[]): boolean {
  const known = history.pods ?? {};
  for (const p of pods) if (known[p.name]?.state !== p.state) return true;
  return keyCount(known) !== pods.length;
}

const keyCounts = new WeakMap<object, number>();
/** History records are never edited once made (observe builds a new one on change), so their size can be remembered. */
function keyCount(record: object): number {
  let n = keyCounts.get(record);
  if (n === undefined) {
    n = Object.keys(record).length;
    keyCounts.set(record, n);
  }
  return n;
}

interface DiagnoseArgs {
  input: ProgressInput;
  cs: CloneSetProgress;
  record: RestartRecord;
  evaluated: Evaluated[];
  summary: ProgressSummary;
  complete: boolean;
  anyFailed: boolean;
  statusGap?: string;
  stallAfterMs: number;
  lastProgressAt?: number;
  pods: Pod[];
}

function diagnose(a: DiagnoseArgs): Diagnosis[] {
  const { input, cs, record, evaluated, summary, complete } = a;
  const now = input.now;
  const diagnoses: Diagnosis[] = [];
  // One pass over the pods, not one per kind: most pods have no concern at all.
  const byKind = new Map<DiagnosisKind, Evaluated[]>();
  for (const e of evaluated) {
    for (const c of e.verdict.concerns) {
      if (c.whenStuck && !(e.sinceMs !== undefined && now - e.sinceMs > a.stallAfterMs)) continue;
      const list = byKind.get(c.kind);
      if (!list) byKind.set(c.kind, [e]);
      else if (list[list.length - 1] !== e) list.push(e);
    }
  }
  const concerned = (kind: DiagnosisKind): Evaluated[] => byKind.get(kind) ?? [];
  const names = (list: Evaluated[]) => list.map((e) => e.pod.name);
  const nodes = (list: Evaluated[]) => [...new Set(list.map((e) => e.pod.node ?? '(unscheduled)'))];
  const add = (kind: DiagnosisKind, severity: Severity, message: string, pods?: string[]) => {
    diagnoses.push(pods && pods.length > 0 ? { kind, severity, message, pods } : { kind, severity, message });
  };

  // Kruise sets FailedUpdate on any update error and never clears it, keeping the first message and transition time
  // (cloneset_controller.go, SetCloneSetCondition): one older than this restart is about something else.
  const restartBegan = parseTime(record.startedAt);
  const failedUpdate = (Array.isArray(input.cloneSet.status?.conditions) ? input.cloneSet.status.conditions : []).find((c) => {
    if (!c || c.type !== 'FailedUpdate' || c.status !== 'True') return false;
    const since = parseTime(c.lastTransitionTime);
    return since === undefined || restartBegan === undefined || since >= restartBegan;
  });
  if (failedUpdate && !complete) add('update-failed', 'error', `the CloneSet controller reports FailedUpdate: ${failedUpdate.message ?? failedUpdate.reason ?? ''}`.trim());

  // CRRs bypass the CloneSet controller, so pausing it does not hold a CRR run.
  if (record.mode === 'inplace' && cs.paused && !complete && summary.pending > 0) {
    add('paused', 'warning', `CloneSet ${cs.name} is paused (spec.updateStrategy.paused): no new pod will restart until it is unpaused`);
  }

  if (record.mode === 'inplace' && a.statusGap && !complete) {
    const startedAt = parseTime(record.startedAt);
    const notObserved = /not observed|new revision/.test(a.statusGap);
    if (notObserved && startedAt !== undefined && now - startedAt > a.stallAfterMs) {
      add('not-observed', 'error', `${a.statusGap} after ${formatDuration((now - startedAt) / 1000)}: is kruise-manager running?`);
    }
  }

  if (record.mode === 'inplace' && cs.partition > 0) {
    add('partition', 'info', `partition ${formatCount(cs.partition)} keeps ${formatCount(cs.partition)} of ${formatCount(cs.replicas)} pods at the old revision: they will not restart`);
  }

  const hooked = concerned('lifecycle-hook');
  if (hooked.length > 0) {
    add('lifecycle-hook', 'warning', `${listNames(names(hooked))} ${hooked.length === 1 ? 'is' : 'are'} held by the inPlaceUpdate lifecycle hook: whoever owns the hook must release ${hooked.length === 1 ? 'it' : 'them'}`, names(hooked));
  }

  // Nothing would ever move: Kruise updates no pod with a budget of 0 and no surge.
  if (record.mode === 'inplace' && !complete && summary.pending > 0 && cs.maxUnavailable === 0 && resolveMaxSurge(input.cloneSet) === 0) {
    add('budget-exhausted', 'error', zeroBudgetStall(input.cloneSet));
  }

  const missing = concerned('container-missing');
  if (missing.length > 0) {
    add(
      'container-missing',
      'error',
      `kruise-daemon finds the container to recreate missing on the node of ${listNames(names(missing))}: Kruise keeps such a request Recreating until its activeDeadlineSeconds, then completes it as failed`,
      names(missing),
    );
  }

  const daemon = concerned('daemon-not-acting');
  const noEnvDetail = (e: Evaluated) => e.verdict.concerns.find((c) => c.kind === 'daemon-not-acting' && c.detail?.startsWith('no-env:'))?.detail?.slice('no-env:'.length);
  const noEnv = daemon.filter((e) => noEnvDetail(e) !== undefined);
  const silent = daemon.filter((e) => noEnvDetail(e) === undefined);
  if (noEnv.length > 0) {
    const containers = [...new Set(noEnv.flatMap((e) => (noEnvDetail(e) ?? '').split(', ')))];
    add(
      'daemon-not-acting',
      'error',
      `kruise-daemon could not read the environment of ${containers.length === 1 ? 'container' : 'containers'} ${listNames(containers)} (no env binary?) in ${listNames(names(noEnv))}: it reads it by running \`env\` in the container and never restarts one it cannot read, so Kruise waits forever; restart ${noEnv.length === 1 ? 'it' : 'them'} with "crr", or add an env binary to the image`,
      names(noEnv),
    );
  }
  if (silent.length > 0) {
    const hint = record.mode === 'crr' ? 'is it running there?' : 'is it running there, and does the image have an `env` binary?';
    add('daemon-not-acting', 'error', `kruise-daemon has not restarted containers of ${listNames(names(silent))} on node ${listNames(nodes(silent))}: ${hint}`, names(silent));
  }

  const gateOff = concerned('gate-off');
  if (gateOff.length > 0) {
    add('gate-off', 'error', `Kruise updated ${listNames(names(gateOff))} in place without restarting containers: ${NO_RESTART_PLANNED}`, names(gateOff));
  }
  const notRestarted = concerned('not-restarted');
  if (notRestarted.length > 0) {
    add('not-restarted', 'error', `${listNames(names(notRestarted))}: containers not restarted although Kruise marked the in-place update done`, names(notRestarted));
  }

  const crrFailed = concerned('crr-failed');
  if (crrFailed.length > 0) {
    const first = crrFailed[0];
    add('crr-failed', 'error', `${crrFailed.length === 1 ? 'the CRR' : `${formatCount(crrFailed.length)} CRRs`} of ${listNames(names(crrFailed))} failed: ${first.pod.reason ?? ''}`.trim(), names(crrFailed));
  }

  const recreated = concerned('recreated');
  if (recreated.length > 0) {
    // Expected when this run added the trigger wiring (--setup) or the strategy is ReCreate; a surprise otherwise.
    const expected = record.setup === true || cs.strategy === 'ReCreate';
    const why =
      record.setup === true
        ? 'this run added the trigger env var (--setup), which Kruise can only apply by recreating pods'
        : cs.strategy === 'ReCreate'
          ? 'the ReCreate strategy replaces pods on every template change'
          : 'the template change could not be applied in place (e.g. the trigger env var was added for the first time)';
    add('recreated', expected ? 'info' : 'warning', `${listNames(names(recreated))} ${recreated.length === 1 ? 'was' : 'were'} recreated instead of restarted in place: ${why}`, names(recreated));
  }

  const notReady = concerned('not-ready');
  if (notReady.length > 0) {
    const detail = notReady.map((e) => e.verdict.concerns.find((c) => c.kind === 'not-ready')?.detail).find(Boolean);
    add('not-ready', 'warning', `${listNames(names(notReady))} not Ready for over ${formatDuration(a.stallAfterMs / 1000)}${detail ? ` (${detail})` : ''}`, names(notReady));
  }

  const terminating = concerned('terminating');
  if (terminating.length > 0) {
    add('terminating', 'warning', `${listNames(names(terminating))} still terminating after ${formatDuration(a.stallAfterMs / 1000)} (finalizers or a long grace period)`, names(terminating));
  }

  // Unavailable pods that are not part of the restart's own work eat the budget the restart paces with.
  if (!complete && summary.pending > 0 && summary.budget >= 0 && summary.unavailable >= summary.budget) {
    const inFlight = new Set(evaluated.filter((e) => e.pod.state === 'restarting').map((e) => e.pod.name));
    const outsiders = a.pods
      .filter((p) => {
        const f = factsOf(p);
        return !f.terminating && f.down && !inFlight.has(podName(p));
      })
      .map(podName)
      .sort(compareNames);
    if (outsiders.length > 0) {
      add('budget-exhausted', 'warning', `${listNames(outsiders)} ${outsiders.length === 1 ? 'is' : 'are'} unavailable outside the restart and use${outsiders.length === 1 ? 's' : ''} up the budget of ${formatCount(summary.budget)}`, outsiders);
    }
  }

  if (!complete && a.lastProgressAt !== undefined && now - a.lastProgressAt > a.stallAfterMs) {
    const order: DiagnosisKind[] = ['update-failed', 'paused', 'not-observed', 'lifecycle-hook', 'container-missing', 'daemon-not-acting', 'gate-off', 'not-restarted', 'crr-failed', 'not-ready', 'terminating', 'budget-exhausted'];
    const cause = order.map((kind) => diagnoses.find((d) => d.kind === kind)).find(Boolean);
    const partitionCause = record.mode === 'inplace' && cs.partition > 0 && summary.pending === 0 && summary.restarting === 0;
    const because = cause
      ? cause.message
      : partitionCause
        ? 'the partition keeps the remaining pods at the old revision'
        : 'no cause found: check `kubectl describe cloneset` and the kruise-manager logs';
    diagnoses.unshift({ kind: 'stalled', severity: 'warning', message: `no progress for ${formatDuration((now - a.lastProgressAt) / 1000)}: ${because}` });
  }
  return diagnoses;
}

function summarize(p: RestartProgress, statusGap: string | undefined): string {
  const s = p.summary;
  const subject = `cloneset ${p.cloneSet.name}`;
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
    return `${subject}: restart paused (spec.updateStrategy.paused): ${doneText}${moving}, ${formatCount(s.pending)} waiting${skipped}; unpause with: kubectl patch clone ${p.cloneSet.name} -n ${p.cloneSet.namespace} --type merge -p '{"spec":{"updateStrategy":{"paused":false}}}'`;
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

/** `buildProgress` then `observe`, for callers that loop. */
export function track(input: ProgressInput): { progress: RestartProgress; history: ProgressHistory } {
  const progress = buildProgress(input);
  return { progress, history: observe(input.history, progress, input.now) };
}
