// The `crr` run as pure decisions: which pods and containers, what each ContainerRecreateRequest looks like, and
// which pods may start now. CRRs bypass the CloneSet's maxUnavailable and every PodDisruptionBudget
// (kruise-semantics.md 3.4), so this pacing is the only thing standing between a restart and an outage.

import { roomUnder, takeRoom, type UnavailabilityLimit } from './disruption-budgets';
import { nativeSidecars, sidecarRefusal } from './hazards';
import { matchesSelector, type SelectorRequirement } from './label-selector';
import { KRUISE, PLUGIN, type CloneSet, type ContainerRecreateRequest, type Pod, type PodTemplate } from './types';

// ---------------------------------------------------------------------------------------------------------------
// Run ids and names
// ---------------------------------------------------------------------------------------------------------------

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * `20261126-101500-k3x9`: sorts by start time (UTC), is a valid label value, and the random tail keeps two runs
 * started in the same second apart.
 */
export function newRunId(now: number, random: () => number): string {
  const d = new Date(now);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  let tail = '';
  for (let i = 0; i < 4; i++) tail += ID_ALPHABET[Math.min(ID_ALPHABET.length - 1, Math.floor(random() * ID_ALPHABET.length))];
  return `${date}-${time}-${tail}`;
}

const RUN_ID = /^\d{8}-\d{6}-[0-9a-z]{4}$/;

export function validateRunId(run: string): string | undefined {
  return RUN_ID.test(run) ? undefined : `invalid run id "${run}": expected the id printed when the run started, like 20261126-101500-k3x9`;
}

/** FNV-1a, 32 bits: a short stable digest for names that must be shortened. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36).padStart(7, '0');
}

/** Cuts `text` to `max` characters without leaving a separator at the end (names must end alphanumeric). */
function cut(text: string, max: number): string {
  return text.slice(0, max).replace(/[-.]+$/, '');
}

const MAX_NAME = 253;

/**
 * The CRR of one pod in one run. Deterministic, so creating it twice (a retry, a resumed run, a crash between the
 * create and anything else) hits AlreadyExists instead of restarting the pod a second time.
 */
export function crrName(pod: string, run: string): string {
  const name = `${pod}-${run}`;
  if (name.length <= MAX_NAME) return name;
  const digest = fnv1a(pod);
  return `${cut(pod, MAX_NAME - run.length - digest.length - 2)}-${digest}-${run}`;
}

/** Label values are at most 63 characters; a long CloneSet name keeps a recognisable prefix and a digest. */
export function labelValue(text: string): string {
  if (text.length <= 63) return text;
  const digest = fnv1a(text);
  return `${cut(text, 63 - digest.length - 1)}-${digest}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------------------------------------------

export type ContainerChoice = { ok: true; containers: string[] } | { ok: false; usage: boolean; message: string; hint?: string };

/** Which containers each CRR names, from -c/--all-containers against the CloneSet's pod template. */
export function chooseContainers(cloneSet: CloneSet, requested: string[] | undefined, all: boolean): ContainerChoice {
  const names = (cloneSet.spec.template?.spec?.containers ?? []).map((c) => c.name);
  const cs = cloneSet.metadata.name ?? '';
  if (all && requested?.length) return { ok: false, usage: true, message: '-c/--container and --all-containers cannot be combined', hint: 'pick one' };
  if (all) return { ok: true, containers: names };
  if (!requested?.length) {
    if (names.length === 1) return { ok: true, containers: names };
    return {
      ok: false,
      usage: false,
      message: `the pods of CloneSet "${cs}" have ${names.length} containers (${names.join(', ')}): say which to restart`,
      hint: `use -c/--container NAME (repeatable) or --all-containers`,
    };
  }
  const unique = [...new Set(requested)];
  const sidecars = nativeSidecars(cloneSet.spec.template).filter((c) => unique.includes(c));
  if (sidecars.length > 0) {
    const { reason, remedy } = sidecarRefusal(cloneSet, sidecars);
    return { ok: false, usage: false, message: reason, hint: remedy };
  }
  const unknown = unique.filter((c) => !names.includes(c));
  if (unknown.length > 0) {
    return {
      ok: false,
      usage: false,
      message: `CloneSet "${cs}" has no container ${unknown.map((c) => `"${c}"`).join(', ')}`,
      hint: `use -c with one of: ${names.join(', ')}`,
    };
  }
  return { ok: true, containers: unique };
}

// ---------------------------------------------------------------------------------------------------------------
// Pod liveness, shared by selection and pacing
// ---------------------------------------------------------------------------------------------------------------

function isTerminating(pod: Pod): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

/** The message Kruise completes a request with when its pod was deleted or replaced (crr_controller.go, Reconcile). */
const POD_GONE_MESSAGE = 'pod has gone';

/**
 * Whether the pod a request was made for is gone as Kruise judges it (crr_controller.go, Reconcile): not found, being
 * deleted, or replaced by a pod of the same name. Kruise then ends the request "pod has gone": no failed restart.
 */
export function requestPodGone(crr: ContainerRecreateRequest, pod: Pod | undefined): boolean {
  // Kruise's own verdict wins over our pod cache: its CRR event can reach us before the pod's DELETED event does, and
  // a stale cached pod must not turn a scale-down into a failed restart.
  if (crr.status?.message === POD_GONE_MESSAGE) return true;
  if (!pod || isTerminating(pod)) return true;
  const uid = crr.metadata.labels?.[KRUISE.crrPodUidLabel];
  return Boolean(uid && pod.metadata.uid && uid !== pod.metadata.uid);
}

function isActive(pod: Pod): boolean {
  return !isTerminating(pod) && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

function isReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Why a pod cannot take a CRR now (the webhook would refuse it, or it is on its way out), or undefined. */
function notRestartable(pod: Pod | undefined): string | undefined {
  if (!pod) return 'pod gone';
  if (isTerminating(pod)) return 'terminating';
  if (pod.status?.phase !== 'Running') return `not running (phase ${pod.status?.phase ?? 'unknown'})`;
  return undefined;
}

function isActiveCrr(crr: ContainerRecreateRequest): boolean {
  return crr.metadata.labels?.[KRUISE.crrActiveLabel] === 'true' && !crr.status?.completionTime && crr.status?.phase !== 'Completed';
}

// ---------------------------------------------------------------------------------------------------------------
// Selection
// ---------------------------------------------------------------------------------------------------------------

export interface SkippedPod {
  pod: string;
  reason: string;
}

export interface SelectionInput {
  /** The CloneSet's pods (owned by it), any state. */
  pods: Pod[];
  /** CRRs of the namespace that Kruise still considers active (label crr.apps.kruise.io/active=true). */
  activeCrrs: ContainerRecreateRequest[];
  containers: string[];
  selector?: SelectorRequirement[];
  /** --pod: only these. */
  podNames?: string[];
  /** The command that lists the CloneSet's pods, for the hint when --pod names a stranger. */
  listPodsCommand?: string;
}

export type Selection =
  | { ok: true; pods: string[]; skipped: SkippedPod[] }
  | { ok: false; message: string; hint?: string };

/**
 * Natural order, so web-2 comes before web-10 and the run's order is the one a human expects. One collator for every
 * comparison: localeCompare with options builds one per call, and the pacing loop sorts on every watch event.
 */
const NATURAL = new Intl.Collator('en', { numeric: true });

export function compareNames(a: string, b: string): number {
  return NATURAL.compare(a, b);
}

/** The pods a new run restarts, in the order it restarts them, and every pod it leaves out with the reason. */
export function selectPods(input: SelectionInput): Selection {
  const byName = new Map(input.pods.map((p) => [p.metadata.name ?? '', p]));
  const wanted = input.podNames?.length ? [...new Set(input.podNames)] : undefined;
  const strangers = (wanted ?? []).filter((n) => !byName.has(n));
  if (strangers.length > 0) {
    return {
      ok: false,
      message: `${strangers.map((n) => `pod "${n}"`).join(', ')} ${strangers.length === 1 ? 'is not a pod' : 'are not pods'} of this CloneSet`,
      hint: `list them with: ${input.listPodsCommand ?? 'kubectl get pods'}`,
    };
  }
  const busy = new Map<string, string>();
  for (const crr of input.activeCrrs) if (isActiveCrr(crr)) busy.set(crr.spec?.podName ?? '', crr.metadata.name ?? '?');

  const pods: string[] = [];
  const skipped: SkippedPod[] = [];
  for (const name of [...byName.keys()].sort(compareNames)) {
    const pod = byName.get(name) as Pod;
    if (wanted && !wanted.includes(name)) continue;
    if (input.selector && !matchesSelector(pod.metadata.labels, input.selector)) continue;
    const problem = notRestartable(pod);
    const missing = input.containers.filter((c) => !(pod.spec?.containers ?? []).some((pc) => pc.name === c));
    const noId = input.containers.filter((c) => {
      const status = (pod.status?.containerStatuses ?? []).find((s) => s.name === c);
      return !missing.includes(c) && !status?.containerID;
    });
    if (problem) skipped.push({ pod: name, reason: problem });
    else if (busy.has(name)) skipped.push({ pod: name, reason: `CRR ${busy.get(name)} is already active on it` });
    else if (missing.length > 0) skipped.push({ pod: name, reason: `has no container ${missing.join(', ')}` });
    // The webhook refuses a CRR for a container that never started (kruise-semantics.md 3.1).
    else if (noId.length > 0) skipped.push({ pod: name, reason: `container ${noId.join(', ')} has not started` });
    else pods.push(name);
  }
  return { ok: true, pods, skipped };
}

// ---------------------------------------------------------------------------------------------------------------
// The request
// ---------------------------------------------------------------------------------------------------------------

/** The CRR fields the user chose; stored in the run record so a resume creates identical requests. */
export interface CrrStrategy {
  failurePolicy: 'Fail' | 'Ignore';
  orderedRecreate: boolean;
  forceRecreate: boolean;
  terminationGracePeriodSeconds?: number;
  unreadyGracePeriodSeconds?: number;
  minStartedSeconds: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished: number;
}

/** The floor of the default deadline: short enough to end a stuck request, long enough for any ordinary restart. */
export const MIN_DEFAULT_ACTIVE_DEADLINE_SECONDS = 300;

function wholeSeconds(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** Seconds a probe may take to pass after a start: initial delay plus every allowed failure (Kubernetes defaults). */
function probeBudget(probe: unknown): number {
  if (!probe || typeof probe !== 'object') return 0;
  const p = probe as Record<string, unknown>;
  return wholeSeconds(p.initialDelaySeconds, 0) + wholeSeconds(p.periodSeconds, 10) * wholeSeconds(p.failureThreshold, 3);
}

/**
 * The `activeDeadlineSeconds` a request gets when the user sets none. A container kruise-daemon cannot find on the
 * node (container removed, never created) leaves the request `Recreating` with state Pending, "not found container
 * on Node", until this deadline (pkg/daemon/containerrecreate/crr_daemon_util.go): without one it never ends. Three
 * times what a restart of the chosen containers may take when everything is slow but healthy (each stopped in turn
 * within its grace period, 10 s to start, its startup or readiness probe allowed every failure), plus the unready
 * grace and minStartedSeconds, and never under 5 minutes.
 */
export function defaultActiveDeadlineSeconds(template: PodTemplate, containers: string[], s: CrrStrategy): number {
  const grace = s.terminationGracePeriodSeconds ?? wholeSeconds(template.spec.terminationGracePeriodSeconds, 30);
  const perContainer = containers.map((name) => {
    const c = template.spec.containers.find((x) => x.name === name);
    return grace + 10 + Math.max(probeBudget(c?.startupProbe), probeBudget(c?.readinessProbe));
  });
  const restart = perContainer.reduce((a, b) => a + b, 0);
  return Math.max(MIN_DEFAULT_ACTIVE_DEADLINE_SECONDS, Math.ceil(3 * restart + (s.unreadyGracePeriodSeconds ?? 0) + s.minStartedSeconds));
}

/** The strategy with a deadline: the user's, or the default above. */
export function withDeadline(s: CrrStrategy, template: PodTemplate, containers: string[]): CrrStrategy {
  return s.activeDeadlineSeconds !== undefined ? s : { ...s, activeDeadlineSeconds: defaultActiveDeadlineSeconds(template, containers, s) };
}

export interface CrrRequest {
  namespace: string;
  cloneSet: string;
  run: string;
  pod: string;
  containers: string[];
  strategy: CrrStrategy;
  /** The request's name (requestName: a retried pod's names its attempt); default: the run's own for the pod. */
  name?: string;
}

/**
 * The object to POST. Only fields the user may set: the webhook fills preStop, ports and statusContext and refuses
 * them from clients (kruise-semantics.md 3.1).
 */
export function buildCrr(r: CrrRequest): ContainerRecreateRequest {
  const s = r.strategy;
  const strategy: NonNullable<ContainerRecreateRequest['spec']['strategy']> = {
    failurePolicy: s.failurePolicy,
    orderedRecreate: s.orderedRecreate,
    forceRecreate: s.forceRecreate,
    minStartedSeconds: s.minStartedSeconds,
  };
  if (s.terminationGracePeriodSeconds !== undefined) strategy.terminationGracePeriodSeconds = s.terminationGracePeriodSeconds;
  if (s.unreadyGracePeriodSeconds !== undefined) strategy.unreadyGracePeriodSeconds = s.unreadyGracePeriodSeconds;
  const spec: ContainerRecreateRequest['spec'] = {
    podName: r.pod,
    containers: r.containers.map((name) => ({ name })),
    strategy,
    ttlSecondsAfterFinished: s.ttlSecondsAfterFinished,
  };
  if (s.activeDeadlineSeconds !== undefined) spec.activeDeadlineSeconds = s.activeDeadlineSeconds;
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'ContainerRecreateRequest',
    metadata: {
      name: r.name ?? crrName(r.pod, r.run),
      namespace: r.namespace,
      labels: { [PLUGIN.runLabel]: r.run, [PLUGIN.cloneSetLabel]: labelValue(r.cloneSet) },
    },
    spec,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Outcome of one request (the client rule of kruise-semantics.md 3.3)
// ---------------------------------------------------------------------------------------------------------------

export interface PodFailure {
  pod: string;
  container?: string;
  message: string;
}

export type CrrOutcome = { state: 'running' } | { state: 'succeeded' } | { state: 'failed'; failures: PodFailure[] };

/** `Completed` is not success: every named container must have Succeeded (Failed only tolerated under Ignore). */
export function crrOutcome(crr: ContainerRecreateRequest): CrrOutcome {
  if (!crr.status?.completionTime && crr.status?.phase !== 'Completed') return { state: 'running' };
  const pod = crr.spec.podName;
  const failures: PodFailure[] = [];
  const states = crr.status?.containerRecreateStates ?? [];
  const tolerate = crr.spec.strategy?.failurePolicy === 'Ignore';
  for (const { name } of crr.spec.containers) {
    const state = states.find((s) => s.name === name);
    if (!state) failures.push({ pod, container: name, message: 'no recreate state reported' });
    else if (state.phase === 'Failed' && !tolerate) failures.push({ pod, container: name, message: state.message || 'Failed' });
    else if (state.phase !== 'Succeeded' && state.phase !== 'Failed') failures.push({ pod, container: name, message: `ended ${state.phase || 'without a phase'}` });
  }
  const message = crr.status?.message;
  if (message) {
    // The request-level message explains the containers' missing states ("pod has gone", deadline): say it once.
    return { state: 'failed', failures: [{ pod, message, ...(failures.length === 1 ? { container: failures[0].container } : {}) }] };
  }
  return failures.length > 0 ? { state: 'failed', failures } : { state: 'succeeded' };
}

/**
 * The live containers are new instances compared with the snapshot the webhook took at creation. Without a snapshot
 * (an old Kruise, or a request we did not see created) the CRR's own verdict has to do.
 */
function containersRestarted(crr: ContainerRecreateRequest, pod: Pod): boolean {
  const states = crr.status?.containerRecreateStates ?? [];
  return crr.spec.containers.every((c) => {
    if (states.find((s) => s.name === c.name)?.phase === 'Failed') return true;
    if (!c.statusContext) return true;
    const live = (pod.status?.containerStatuses ?? []).find((s) => s.name === c.name);
    return Boolean(live) && (live!.restartCount > c.statusContext.restartCount || (live!.containerID ?? '') !== c.statusContext.containerID);
  });
}

/** Some target container is already a new instance (or crashed again): from here on it should come back Ready. */
function anyContainerRestarted(crr: ContainerRecreateRequest, pod: Pod): boolean {
  return crr.spec.containers.some((c) => {
    if (!c.statusContext) return false;
    const live = (pod.status?.containerStatuses ?? []).find((s) => s.name === c.name);
    return Boolean(live) && (live!.restartCount > c.statusContext.restartCount || (live!.containerID ?? '') !== c.statusContext.containerID);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Pacing
// ---------------------------------------------------------------------------------------------------------------

/**
 * What the loop remembers between two decisions, on the plugin's own clock: server timestamps come from other
 * machines' clocks and cannot be compared with ours. Plain data, threaded through by the caller.
 */
export interface PacingMemory {
  /** Pod → when it was first seen Ready after its request succeeded (reset when seen not Ready). */
  readySince: Record<string, number>;
  /** Pod → when its containers were first seen restarted (or the request succeeded): the ready timeout runs from here. */
  restartedAt: Record<string, number>;
  /** Sticky: a failed pod stays failed even if it recovers later, so the run's verdict cannot flip back. */
  failed: Record<string, PodFailure[]>;
  /** Sticky: pods not started because they could not take a request when their turn came. */
  skipped: Record<string, string>;
}

export function emptyMemory(): PacingMemory {
  return { readySince: {}, restartedAt: {}, failed: {}, skipped: {} };
}

export interface PacingInput {
  /** The run's pods in the order they restart (the record's list). */
  order: string[];
  /** Every live pod of the CloneSet, in the run or not: unready ones use up the budget too. */
  pods: Pod[];
  /** The run's CRRs as last seen. */
  crrs: ContainerRecreateRequest[];
  /** Pods whose CRR is being created right now (sent, not yet seen): they already count as unavailable. */
  creating?: string[];
  budget: number;
  /**
   * Disruption budgets covering some of the pods (PDBs, PUBs), as live as the caller's watches: a pod that is up
   * starts only when every cap covering it has room, on top of `budget`.
   */
  limits?: UnavailabilityLimit[];
  minReadySeconds: number;
  readyTimeoutSeconds: number;
  maxFailures: number;
  now: number;
  memory: PacingMemory;
}

export interface PacingDecision {
  /** Create a request for these pods now. */
  start: string[];
  done: string[];
  inFlight: string[];
  failed: PodFailure[];
  failedPods: string[];
  skipped: SkippedPod[];
  /** Not started yet (and not skipped). */
  waiting: string[];
  /** Every pod counted against the budget right now. */
  unavailable: string[];
  /** Failures exceed --max-failures: nothing more starts. */
  stopped: boolean;
  /** Nothing in flight and nothing more will start. */
  finished: boolean;
  /** Decide again at this time (plugin clock) even if the cluster stays quiet: a min-ready or ready timeout ends. */
  wakeAt?: number;
  memory: PacingMemory;
}

/** Records a pod whose request the API refused (e.g. the webhook found it inactive): it counts as a failure. */
export function withFailure(memory: PacingMemory, failure: PodFailure): PacingMemory {
  return { ...memory, failed: { ...memory.failed, [failure.pod]: [...(memory.failed[failure.pod] ?? []), failure] } };
}

/**
 * Which pods may start now. A pod is unavailable from its request's creation until the request succeeded for every
 * container and the pod has been Ready for minReadySeconds; pods already not Ready (in the run or not) count too,
 * as in Kruise's own accounting (kruise-semantics.md 2.3): at most `budget` at once.
 */
export function nextPodsToStart(input: PacingInput): PacingDecision {
  const { now } = input;
  const memory: PacingMemory = {
    readySince: { ...input.memory.readySince },
    restartedAt: { ...input.memory.restartedAt },
    failed: { ...input.memory.failed },
    skipped: { ...input.memory.skipped },
  };
  const timeoutMs = input.readyTimeoutSeconds * 1000;
  const minReadyMs = input.minReadySeconds * 1000;
  const podsByName = new Map(input.pods.map((p) => [p.metadata.name ?? '', p]));
  const crrByPod = new Map<string, ContainerRecreateRequest>();
  for (const crr of input.crrs) if (crr?.spec?.podName) crrByPod.set(crr.spec.podName, crr);
  const creating = new Set(input.creating ?? []);

  const done: string[] = [];
  const inFlight: string[] = [];
  const candidates: string[] = [];
  let wakeAt: number | undefined;
  const wake = (t: number) => (wakeAt = wakeAt === undefined ? t : Math.min(wakeAt, t));

  for (const name of input.order) {
    if (memory.failed[name]) continue;
    const crr = crrByPod.get(name);
    const pod = podsByName.get(name);
    if (!crr) {
      if (creating.has(name)) inFlight.push(name);
      else if (!memory.skipped[name]) candidates.push(name);
      continue;
    }
    const outcome = crrOutcome(crr);
    if (outcome.state === 'failed') {
      // Deleted under its request (scaled down, evicted): Kruise ends the request "pod has gone". A pod that is no
      // more is no failed restart.
      if (requestPodGone(crr, pod)) {
        memory.skipped[name] = 'pod gone during its restart (deleted, e.g. scaled down)';
        continue;
      }
      memory.failed[name] = outcome.failures;
      continue;
    }
    if (outcome.state === 'running') {
      if (pod && anyContainerRestarted(crr, pod)) memory.restartedAt[name] ??= now;
    } else {
      memory.restartedAt[name] ??= now;
      if (!pod) {
        // Restarted, then deleted by someone else: nothing more to wait for, and its replacement is counted below.
        done.push(name);
        continue;
      }
      if (isReady(pod) && containersRestarted(crr, pod)) {
        memory.readySince[name] ??= now;
        const readyFor = now - memory.readySince[name];
        if (readyFor >= minReadyMs) {
          done.push(name);
          continue;
        }
        wake(memory.readySince[name] + minReadyMs);
      } else delete memory.readySince[name];
    }
    const restartedAt = memory.restartedAt[name];
    if (restartedAt !== undefined && memory.readySince[name] === undefined) {
      if (now - restartedAt >= timeoutMs) {
        memory.failed[name] = [{ pod: name, message: `not Ready within ${input.readyTimeoutSeconds}s after its containers restarted` }];
        continue;
      }
      wake(restartedAt + timeoutMs);
    }
    inFlight.push(name);
  }

  const failed = input.order.flatMap((n) => memory.failed[n] ?? []);
  const failedPods = input.order.filter((n) => memory.failed[n]);
  const stopped = failedPods.length > input.maxFailures;

  const unavailable = new Set(inFlight);
  for (const pod of input.pods) {
    const name = pod.metadata.name ?? '';
    if (isActive(pod) && !isReady(pod)) unavailable.add(name);
  }

  const start: string[] = [];
  const waiting: string[] = [];
  let capacity = input.budget - unavailable.size;
  let slots = input.budget - inFlight.length;
  const limits = input.limits ?? [];
  const room = roomUnder(limits, unavailable);
  let blocked = stopped;
  for (const name of candidates) {
    const pod = podsByName.get(name);
    const problem = notRestartable(pod);
    if (problem) {
      memory.skipped[name] = problem;
      continue;
    }
    if (blocked || slots <= 0) {
      waiting.push(name);
      blocked = true;
      continue;
    }
    // A pod that is already down costs nothing more when it restarts; one that is up spends a unit of the budget.
    const costs = !unavailable.has(name);
    if (costs && (capacity <= 0 || !takeRoom(limits, room, name))) {
      waiting.push(name);
      blocked = true;
      continue;
    }
    if (costs) capacity--;
    slots--;
    unavailable.add(name);
    start.push(name);
  }

  const skipped = input.order.filter((n) => memory.skipped[n] && !memory.failed[n]).map((n) => ({ pod: n, reason: memory.skipped[n] }));
  const finished = inFlight.length === 0 && start.length === 0 && (stopped || waiting.length === 0);
  return {
    start,
    done,
    inFlight,
    failed,
    failedPods,
    skipped,
    waiting,
    unavailable: [...unavailable].sort(compareNames),
    stopped,
    finished,
    wakeAt: finished ? undefined : wakeAt,
    memory,
  };
}

/** Batches a plan needs at the given budget: the dry run's estimate (pods already down can make it more). */
export function batchCount(pods: number, budget: number): number {
  return budget > 0 ? Math.ceil(pods / budget) : 0;
}
