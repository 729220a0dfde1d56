// The progress document and what goes in to make it: the one value `status`, `inplace` and `crr` render and
// `-o json|yaml` prints. Types only.

import type { CloneSet, ContainerRecreateRequest, Pod, RestartRecord } from '../types';
import type { InPlaceWorkload } from '../workload';

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
  | 'terminating'
  | 'stage';

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
  /** The workload's API kind in apps.kruise.io: `CloneSet`, `StatefulSet` (Advanced) or `DaemonSet` (Advanced). */
  kind?: string;
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

export interface ProgressInput {
  cloneSet: CloneSet;
  /** The kind of workload `cloneSet` is (default: the CloneSet): where its settings live and its completion rule. */
  kind?: InPlaceWorkload;
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
