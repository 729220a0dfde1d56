// Concise builders of CloneSets, pods, CRRs and restart records for unit tests. Every builder returns a plain wire
// object (like the API server would send) and takes only what a test cares about.

import {
  KRUISE,
  PLUGIN,
  type CloneSet,
  type CloneSetStatus,
  type Condition,
  type ContainerRecreateRequest,
  type CrrContainerPhase,
  type CrrPhase,
  type IntOrString,
  type Pod,
  type RestartRecord,
  type UpdateStrategyType,
} from '../../src/kruise/types';
import { expectedUpdatedReplicas } from '../../src/kruise/budget';

/** The fixtures' epoch: the restart starts here. */
export const T0 = Date.parse('2026-11-26T10:00:00Z');
/** RFC3339 `seconds` after T0 (negative: before). */
export function at(seconds: number): string {
  return new Date(T0 + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
/** Milliseconds `seconds` after T0, for `now`. */
export function ms(seconds: number): number {
  return T0 + seconds * 1000;
}

export const OLD_REV = 'web-6b7c9d5f4';
export const NEW_REV = 'web-7d8f9b6c5';

export interface CloneSetOptions {
  name?: string;
  namespace?: string;
  replicas?: number;
  strategy?: UpdateStrategyType;
  maxUnavailable?: IntOrString;
  maxSurge?: IntOrString;
  partition?: IntOrString;
  paused?: boolean;
  generation?: number;
  containers?: string[];
  /** Overrides on top of the status `statusFrom(pods)` computes (or a bare status when no pods are given). */
  status?: Partial<CloneSetStatus>;
  /** Compute the status as a settled controller would from these pods. */
  pods?: Pod[];
  lifecycle?: CloneSet['spec']['lifecycle'];
}

export function cloneSet(o: CloneSetOptions = {}): CloneSet {
  const name = o.name ?? 'web';
  const replicas = o.replicas ?? o.pods?.length ?? 3;
  const updateStrategy: NonNullable<CloneSet['spec']['updateStrategy']> = { type: o.strategy ?? 'InPlaceIfPossible' };
  if (o.maxUnavailable !== undefined) updateStrategy.maxUnavailable = o.maxUnavailable;
  if (o.maxSurge !== undefined) updateStrategy.maxSurge = o.maxSurge;
  if (o.partition !== undefined) updateStrategy.partition = o.partition;
  if (o.paused !== undefined) updateStrategy.paused = o.paused;
  const cs: CloneSet = {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name, namespace: o.namespace ?? 'default', generation: o.generation ?? 2, uid: `uid-${name}` },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: (o.containers ?? ['app']).map((c) => ({ name: c, image: `${c}:1` })) },
      },
      updateStrategy,
    },
  };
  if (o.lifecycle) cs.spec.lifecycle = o.lifecycle;
  // Like Kruise, expectedUpdatedReplicas is left out when it is 0 (omitempty).
  const expected = expectedUpdatedReplicas(cs);
  const base: CloneSetStatus = o.pods
    ? { ...statusFrom(o.pods, NEW_REV), ...(expected > 0 ? { expectedUpdatedReplicas: expected } : {}) }
    : { observedGeneration: cs.metadata.generation, replicas, updateRevision: NEW_REV, currentRevision: OLD_REV };
  cs.status = { observedGeneration: cs.metadata.generation, ...base, ...o.status };
  return cs;
}

/** What the CloneSet controller would report for these pods (readiness per section 1.2, no minReadySeconds). */
export function statusFrom(pods: Pod[], updateRevision: string): CloneSetStatus {
  const active = pods.filter((p) => !p.metadata.deletionTimestamp);
  const isReady = (p: Pod) =>
    p.status?.phase === 'Running' &&
    p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true &&
    p.status.conditions?.find((c) => c.type === KRUISE.inPlaceUpdateReady)?.status !== 'False';
  const isAvailable = (p: Pod) => isReady(p) && ['', 'Normal', undefined].includes(p.metadata.labels?.[KRUISE.lifecycleStateLabel]);
  const updated = active.filter((p) => p.metadata.labels?.[KRUISE.revisionLabel] === updateRevision);
  return {
    replicas: active.length,
    readyReplicas: active.filter(isReady).length,
    availableReplicas: active.filter(isAvailable).length,
    updatedReplicas: updated.length,
    updatedReadyReplicas: updated.filter(isReady).length,
    updatedAvailableReplicas: updated.filter(isAvailable).length,
    updateRevision,
    currentRevision: updated.length === active.length ? updateRevision : OLD_REV,
  };
}

export interface ContainerOptions {
  name?: string;
  restartCount?: number;
  /** Seconds after T0 the running container started; null: not running (waiting). */
  startedAt?: number | null;
  ready?: boolean;
  id?: string;
  waitingReason?: string;
}

export interface PodOptions {
  name: string;
  revision?: string;
  node?: string;
  ip?: string;
  phase?: NonNullable<Pod['status']>['phase'];
  ready?: boolean;
  /** Seconds after T0 the Ready condition last changed. */
  readySince?: number;
  /** undefined: condition True since long ago; a boolean or {status, since}. */
  inPlaceUpdateReady?: boolean | { status: boolean; since: number } | null;
  /** The apps.kruise.io/inplace-update-state annotation: an object, a raw string, or absent. */
  updateState?: { revision?: string; updateTimestamp?: number; updateEnvFromMetadata?: boolean } | string;
  /** Seconds after T0 the pod was created (default: a day before). */
  created?: number;
  lifecycle?: string;
  containers?: ContainerOptions[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deleting?: boolean;
  uid?: string;
}

export function pod(o: PodOptions): Pod {
  const labels: Record<string, string> = { app: 'web', [KRUISE.revisionLabel]: o.revision ?? OLD_REV, ...o.labels };
  if (o.lifecycle !== undefined) labels[KRUISE.lifecycleStateLabel] = o.lifecycle;
  else labels[KRUISE.lifecycleStateLabel] = 'Normal';
  const annotations: Record<string, string> = { ...o.annotations };
  if (typeof o.updateState === 'string') annotations[KRUISE.inPlaceUpdateStateAnnotation] = o.updateState;
  else if (o.updateState) {
    annotations[KRUISE.inPlaceUpdateStateAnnotation] = JSON.stringify({
      revision: o.updateState.revision ?? NEW_REV,
      updateTimestamp: o.updateState.updateTimestamp === undefined ? undefined : at(o.updateState.updateTimestamp),
      lastContainerStatuses: null,
      // Kruise leaves it out when false (omitempty).
      ...((o.updateState.updateEnvFromMetadata ?? true) ? { updateEnvFromMetadata: true } : {}),
    });
  }
  const ready = o.ready ?? true;
  const conditions: Condition[] = [
    { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at(o.readySince ?? -3600) },
    { type: KRUISE.kruisePodReady, status: 'True' },
  ];
  if (o.inPlaceUpdateReady !== null) {
    const iur = o.inPlaceUpdateReady ?? true;
    const status = typeof iur === 'boolean' ? iur : iur.status;
    const since = typeof iur === 'boolean' ? -3600 : iur.since;
    conditions.push({ type: KRUISE.inPlaceUpdateReady, status: status ? 'True' : 'False', lastTransitionTime: at(since) });
  }
  const containers = o.containers ?? [{}];
  const name = o.name;
  const result: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: o.uid ?? `uid-${name}`,
      creationTimestamp: at(o.created ?? -86400),
      labels,
      annotations,
      ownerReferences: [{ apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'web', uid: 'uid-web', controller: true }],
    },
    spec: {
      nodeName: o.node ?? 'node-1',
      containers: containers.map((c) => ({ name: c.name ?? 'app', image: `${c.name ?? 'app'}:1` })),
      readinessGates: [{ conditionType: KRUISE.inPlaceUpdateReady }, { conditionType: KRUISE.kruisePodReady }],
    },
    status: {
      phase: o.phase ?? 'Running',
      podIP: o.ip ?? '10.0.0.1',
      conditions,
      containerStatuses: containers.map((c, i) => {
        const cname = c.name ?? 'app';
        const running = c.startedAt !== null;
        return {
          name: cname,
          ready: c.ready ?? (ready && running),
          restartCount: c.restartCount ?? 0,
          containerID: c.id ?? `containerd://${name}-${cname}-${i}-${c.restartCount ?? 0}`,
          image: `${cname}:1`,
          started: running,
          state: running
            ? { running: { startedAt: at(c.startedAt ?? -86000) } }
            : { waiting: { reason: c.waitingReason ?? 'ContainerCreating' } },
        };
      }),
    },
  };
  if (o.deleting) result.metadata.deletionTimestamp = at(30);
  return result;
}

/** A pod untouched by the restart so far. */
export function oldPod(name: string, o: Partial<PodOptions> = {}): Pod {
  return pod({ name, revision: OLD_REV, ...o });
}

/** Updated in place at T0+10s, containers restarted at T0+15s, Ready again at T0+20s. */
export function restartedPod(name: string, o: Partial<PodOptions> = {}): Pod {
  return pod({
    name,
    revision: NEW_REV,
    updateState: { updateTimestamp: 10 },
    inPlaceUpdateReady: { status: true, since: 18 },
    readySince: 20,
    containers: [{ restartCount: 1, startedAt: 15 }],
    ...o,
  });
}

/** The early-done trap: the revision label already flipped, InPlaceUpdateReady False, containers not restarted yet. */
export function restartingPod(name: string, o: Partial<PodOptions> = {}): Pod {
  return pod({
    name,
    revision: NEW_REV,
    updateState: { updateTimestamp: 10 },
    inPlaceUpdateReady: { status: false, since: 10 },
    ready: false,
    readySince: 10,
    lifecycle: 'Updating',
    containers: [{ restartCount: 0, startedAt: -86000 }],
    ...o,
  });
}

/** Kruise finished the "update" (InPlaceUpdateReady True) but the containers still run from before it. */
export function notRestartedPod(name: string, o: Partial<PodOptions> & { envFromMetadata?: boolean } = {}): Pod {
  const { envFromMetadata, ...rest } = o;
  return pod({
    name,
    revision: NEW_REV,
    // Kruise leaves updateEnvFromMetadata out when false (omitempty).
    updateState: { updateTimestamp: 10, updateEnvFromMetadata: envFromMetadata ?? false },
    inPlaceUpdateReady: { status: true, since: 11 },
    containers: [{ restartCount: 0, startedAt: -86000 }],
    ...rest,
  });
}

/** A replacement pod created from the new revision at T0+20s (no inplace-update-state). */
export function recreatedPod(name: string, o: Partial<PodOptions> = {}): Pod {
  return pod({
    name,
    revision: NEW_REV,
    created: 20,
    readySince: 30,
    inPlaceUpdateReady: { status: true, since: 22 },
    containers: [{ restartCount: 0, startedAt: 25 }],
    ...o,
  });
}

export function inplaceRecord(o: Partial<RestartRecord> = {}): RestartRecord {
  return {
    mode: 'inplace',
    run: '2026-11-26T10:00:00Z',
    startedAt: at(0),
    containers: ['app'],
    annotationKeys: [PLUGIN.defaultTriggerAnnotation],
    fromRevision: OLD_REV,
    ...o,
  };
}

export const RUN = '20261126-100000-abcd';

export function crrRecord(pods: string[], o: Partial<RestartRecord> = {}): RestartRecord {
  return { mode: 'crr', run: RUN, startedAt: at(0), containers: ['app'], pods, maxUnavailable: 1, ...o };
}

export interface CrrOptions {
  pod: string;
  run?: string;
  name?: string;
  /** Seconds after T0. */
  created?: number;
  phase?: CrrPhase;
  /** Seconds after T0; sets phase Completed. */
  completed?: number;
  message?: string;
  states?: { name?: string; phase: CrrContainerPhase; message?: string }[];
  containers?: string[];
  failurePolicy?: 'Fail' | 'Ignore';
  node?: string;
}

export function crr(o: CrrOptions): ContainerRecreateRequest {
  const containers = o.containers ?? ['app'];
  const result: ContainerRecreateRequest = {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'ContainerRecreateRequest',
    metadata: {
      name: o.name ?? `${o.pod}-${(o.run ?? RUN).slice(-4)}`,
      namespace: 'default',
      creationTimestamp: at(o.created ?? 1),
      labels: {
        [PLUGIN.runLabel]: o.run ?? RUN,
        [PLUGIN.cloneSetLabel]: 'web',
        [KRUISE.crrNodeNameLabel]: o.node ?? 'node-1',
        [KRUISE.crrPodUidLabel]: `uid-${o.pod}`,
      },
    },
    spec: {
      podName: o.pod,
      containers: containers.map((name) => ({ name })),
      strategy: { failurePolicy: o.failurePolicy ?? 'Fail' },
      ttlSecondsAfterFinished: 3600,
    },
    status: { phase: o.completed !== undefined ? 'Completed' : (o.phase ?? '') },
  };
  if (o.completed !== undefined) result.status!.completionTime = at(o.completed);
  if (o.message !== undefined) result.status!.message = o.message;
  if (o.states) result.status!.containerRecreateStates = o.states.map((s) => ({ name: s.name ?? 'app', phase: s.phase, message: s.message }));
  return result;
}

/** A CRR that completed successfully at `completed` seconds after T0. */
export function succeededCrr(podName: string, completed = 20, o: Partial<CrrOptions> = {}): ContainerRecreateRequest {
  return crr({ pod: podName, completed, states: [{ phase: 'Succeeded' }], ...o });
}

/** Strips ANSI escape sequences (SGR and cursor control), for width assertions. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}
