// The parts of Kubernetes and OpenKruise objects this plugin reads and writes, as they travel on the wire (JSON:
// timestamps are RFC3339 strings). Unknown fields are kept on round trips, so every object type stays open.

export type IntOrString = number | string;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { apiVersion?: string; fieldPath: string };
    [source: string]: unknown;
  };
}

export interface Container {
  name: string;
  image?: string;
  env?: EnvVar[];
  [field: string]: unknown;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
  spec: { containers: Container[]; initContainers?: Container[]; [field: string]: unknown };
}

export type UpdateStrategyType = 'ReCreate' | 'InPlaceIfPossible' | 'InPlaceOnly' | 'OnDelete';

export interface LifecycleHook {
  labelsHandler?: Record<string, string>;
  finalizersHandler?: string[];
  markPodNotReady?: boolean;
}

export interface CloneSetSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplate;
  updateStrategy?: {
    type?: UpdateStrategyType;
    partition?: IntOrString;
    maxUnavailable?: IntOrString;
    maxSurge?: IntOrString;
    paused?: boolean;
    inPlaceUpdateStrategy?: { gracePeriodSeconds?: number };
    [field: string]: unknown;
  };
  minReadySeconds?: number;
  lifecycle?: { preDelete?: LifecycleHook; inPlaceUpdate?: LifecycleHook; preNormal?: LifecycleHook };
  [field: string]: unknown;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

export interface CloneSetStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  updatedReadyReplicas?: number;
  updatedAvailableReplicas?: number;
  expectedUpdatedReplicas?: number;
  updateRevision?: string;
  currentRevision?: string;
  labelSelector?: string;
  conditions?: Condition[];
}

export interface CloneSet {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: CloneSetSpec;
  status?: CloneSetStatus;
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  containerID?: string;
  image?: string;
  imageID?: string;
  started?: boolean;
  state?: {
    running?: { startedAt?: string };
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number; finishedAt?: string };
  };
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    nodeName?: string;
    containers: Container[];
    readinessGates?: { conditionType: string }[];
    [field: string]: unknown;
  };
  status?: {
    phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
    podIP?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
    [field: string]: unknown;
  };
}

export type CrrPhase = '' | 'Pending' | 'Recreating' | 'Completed';
export type CrrContainerPhase = 'Pending' | 'Recreating' | 'Succeeded' | 'Failed';

export interface ContainerRecreateRequest {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    podName: string;
    containers: { name: string; statusContext?: { containerID: string; restartCount: number } }[];
    strategy?: {
      failurePolicy?: 'Fail' | 'Ignore';
      orderedRecreate?: boolean;
      forceRecreate?: boolean;
      terminationGracePeriodSeconds?: number;
      unreadyGracePeriodSeconds?: number;
      minStartedSeconds?: number;
    };
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
  };
  status?: {
    phase?: CrrPhase;
    completionTime?: string;
    message?: string;
    containerRecreateStates?: { name: string; phase: CrrContainerPhase; message?: string; isKilled?: boolean }[];
  };
}

/** Kruise's own well-known keys (see ../shared/kruise-semantics.md). */
export const KRUISE = {
  revisionLabel: 'controller-revision-hash',
  lifecycleStateLabel: 'lifecycle.apps.kruise.io/state',
  inPlaceUpdateStateAnnotation: 'apps.kruise.io/inplace-update-state',
  inPlaceUpdateReady: 'InPlaceUpdateReady',
  kruisePodReady: 'KruisePodReady',
  crrActiveLabel: 'crr.apps.kruise.io/active',
  crrPodUidLabel: 'crr.apps.kruise.io/pod-uid',
  crrNodeNameLabel: 'crr.apps.kruise.io/node-name',
} as const;

/** Keys this plugin owns. They live under one prefix so `kubectl get -l` and audits find them. */
export const PLUGIN = {
  prefix: 'kruise-restart.dev/',
  /** Default pod-template annotation that the trigger env var reads. */
  defaultTriggerAnnotation: 'kruise-restart.dev/restarted-at',
  defaultTriggerEnv: 'KRUISE_RESTARTED_AT',
  /** CloneSet metadata annotation holding the latest RestartRecord as JSON (metadata only: no new revision). */
  lastRestartAnnotation: 'kruise-restart.dev/last-restart',
  /** CRR labels. */
  runLabel: 'kruise-restart.dev/run',
  cloneSetLabel: 'kruise-restart.dev/cloneset',
} as const;

/**
 * What the plugin writes on the CloneSet when it starts a restart, so that `status` (in another process, maybe after
 * the plugin was killed) can find and judge the latest restart without local files.
 */
export interface RestartRecord {
  mode: 'inplace' | 'crr';
  /** inplace: the trigger value written to the annotation(s); crr: the run id (also the CRRs' run label). */
  run: string;
  /** RFC3339, the plugin's clock when it triggered. */
  startedAt: string;
  by?: string;
  reason?: string;
  /** Target containers. */
  containers: string[];
  /** inplace: the pod-template annotation keys that were bumped. */
  annotationKeys?: string[];
  /** inplace: this run added the trigger wiring (--setup), so Kruise recreates the pods once instead. */
  setup?: boolean;
  /** inplace: status.updateRevision before the trigger; completion needs a different one. */
  fromRevision?: string;
  /**
   * crr: the pods selected for the run (names), fixed at the start so a resume neither skips nor adds pods.
   * inplace: the pods the update reaches when the workload limits it to some (an Advanced DaemonSet's
   * rollingUpdate.selector); the others are not part of the restart.
   */
  pods?: string[];
  /** crr: the unavailability budget the run paces itself with (absolute number of pods). */
  maxUnavailable?: number;
  /** crr: the CRR strategy and pacing flags, so a resume creates identical requests. */
  crr?: Record<string, unknown>;
  /**
   * crr: verdicts the run itself reached that the objects alone cannot show (a pod not Ready in time after a
   * successful request, a pod skipped when its turn came, a request the webhook refused), by pod name.
   */
  outcomes?: Record<string, { state: 'failed' | 'skipped'; reason: string }>;
  /**
   * crr: pods a resume of the failed run retried, with their current attempt (2, 3…): a pod's current request is
   * named for its attempt, and the failed requests before it no longer count.
   */
  attempts?: Record<string, number>;
  /** crr: set when the run ended ('completed' | 'failed'); absent while unfinished. */
  finished?: 'completed' | 'failed';
  /** crr: renewed by the running process every few seconds (API server clock, RFC3339); see HEARTBEAT_STALE_MS. */
  heartbeatAt?: string;
  /** crr and staged inplace: set when the driving process stopped on its own (timeout, Ctrl-C, error): interrupted at once, no wait. */
  stoppedAt?: string;
  /** A staged restart (canary, batches): the stages and the one under way. */
  staged?: StagedRecord;
  /** crr: the process driving the run (where it can be told), so a resume on its machine can prove it dead. */
  driver?: DriverIdentity;
}

/** A process as another process on the same machine can check it (Linux: /proc). */
export interface DriverIdentity {
  host: string;
  /** /proc/sys/kernel/random/boot_id: pids and start times mean nothing across a reboot. */
  bootId: string;
  /** /proc/self/ns/pid: containers may share a host name and a kernel, not a PID namespace. */
  pidNamespace: string;
  pid: number;
  /** The pid's start time in clock ticks after boot (/proc/<pid>/stat field 22): a reused pid has another. */
  startTicks: string;
}

/**
 * Where a staged restart stands. Stages are cumulative pod counts; the stage under way is the one whose partition is on
 * the CloneSet (inplace) or whose pods may be started (crr). The driving process renews `heartbeatAt` of the record.
 */
export interface StagedRecord {
  /** Pods restarted once each stage is done; the last is every pod of the run. */
  through: number[];
  /** The first stage is a canary: the run stops after it until `--continue` (or `--canary-wait`). */
  canary: boolean;
  /** The stage under way, from 0. */
  stage: number;
  /** Seconds to wait between batches. */
  pauseSeconds: number;
  /** The canary goes on by itself after staying healthy this long. */
  canaryWaitSeconds?: number;
  /** inplace: spec.replicas when planned: a stage's partition is replicas − through. */
  replicas?: number;
  /** inplace: spec.updateStrategy.partition before the run (null: none), put back with the last stage. */
  partition?: IntOrString | null;
  /** The canary is done and the run stopped on purpose, waiting for `--continue`. */
  holding?: boolean;
}
