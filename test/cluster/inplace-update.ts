// Kruise's in-place update machinery (pkg/util/inplaceupdate), shared by the CloneSet, Advanced StatefulSet and
// Advanced DaemonSet controllers: the revision diff that decides whether a pod can be updated in place, the
// InPlaceUpdateReady handshake and state annotation written when it starts, and the completion check (Refresh) that
// turns the condition back to True once kruise-daemon reports what really runs.

import { type KObj } from './store';
import { diff } from './patch';
import { envHash, getCondition, metadataEnvRefs, resolveMetadataEnv, type Sim, withCondition } from './sim';
import { RUNTIME_META } from './kubelet';
import { KRUISE, type Pod, type PodTemplate } from '../../src/kruise/types';

export const LIFECYCLE_TS = 'lifecycle.apps.kruise.io/timestamp';

export interface InPlaceState {
  revision: string;
  updateTimestamp: string;
  lastContainerStatuses?: Record<string, { imageID?: string }> | null;
  updateEnvFromMetadata?: boolean;
  updateImages?: boolean;
  containerBatchesRecord?: Array<{ timestamp: string; containers: string[] }>;
}

export interface InPlacePlan {
  images: Record<string, string>;
  labels: Record<string, string | null>;
  annotations: Record<string, string | null>;
  updateEnvFromMetadata: boolean;
  containers: string[];
}

/** defaultCalculateInPlaceUpdateSpec (2.7): undefined when the change cannot be applied in place. */
export function inPlacePlan(from: PodTemplate, to: PodTemplate, envGate: boolean): InPlacePlan | undefined {
  const images: Record<string, string> = {};
  for (const op of diff(from.spec, to.spec)) {
    const m = op.op === 'replace' ? op.path.match(/^\/containers\/(\d+)\/image$/) : null;
    if (!m) return undefined;
    images[to.spec.containers[Number(m[1])].name] = op.value as string;
  }
  const labels: Record<string, string | null> = {};
  const annotations: Record<string, string | null> = {};
  const changedKeys: Array<{ kind: 'labels' | 'annotations'; key: string }> = [];
  for (const kind of ['labels', 'annotations'] as const) {
    const a = (from.metadata?.[kind] ?? {}) as Record<string, string>;
    const b = (to.metadata?.[kind] ?? {}) as Record<string, string>;
    const out = kind === 'labels' ? labels : annotations;
    // The revision diff is a JSON patch between the two revisions' templates (appscode/jsonpatch over Go-marshalled
    // templates, where an empty map is omitted like an absent one): a map that was empty becomes one
    // `add /metadata/<kind>` op with the whole map, and only `/metadata/<kind>/<key>` ops count as env-from-metadata
    // changes (inplace_update_defaults.go). The keys still reach the pod, as plain metadata.
    const wholeMap = Object.keys(a).length === 0;
    for (const k of Object.keys(a)) if (!(k in b)) out[k] = null;
    for (const [k, v] of Object.entries(b)) {
      if (a[k] !== v) {
        out[k] = v;
        if (!wholeMap) changedKeys.push({ kind, key: k });
      }
    }
  }
  const envContainers = envGate
    ? to.spec.containers.filter((c) => metadataEnvRefs(c).some((r) => changedKeys.some((k) => k.kind === r.kind && k.key === r.key))).map((c) => c.name)
    : [];
  return {
    images,
    labels,
    annotations,
    updateEnvFromMetadata: envContainers.length > 0,
    containers: [...new Set([...Object.keys(images), ...envContainers])],
  };
}

export function hasInPlaceGate(pod: Pod): boolean {
  return !!pod.spec.readinessGates?.some((g) => g.conditionType === KRUISE.inPlaceUpdateReady);
}

export interface StartOptions {
  /** Pod labels that carry the revision (controller-revision-hash, and pod-template-hash for CloneSets). */
  revisionLabels: Record<string, string>;
  /** The revision name recorded in the in-place update state. */
  revision: string;
  /** Set the lifecycle state label to Updating (CloneSet, and Advanced StatefulSet pods that have a state). */
  lifecycleUpdating: boolean;
}

/**
 * realControl.Update: InPlaceUpdateReady=False first (only for pods with the readiness gate:
 * CheckPodNeedsBeUnready), then one pod write with the new revision labels, the changed metadata, the images and the
 * in-place update state.
 */
export function startInPlaceUpdate(sim: Sim, pod: Pod, plan: InPlacePlan, opts: StartOptions): Pod {
  const now = sim.clock.iso();
  let afterStatus = pod;
  if (hasInPlaceGate(pod)) {
    let conds = withCondition(pod.status?.conditions, { type: KRUISE.inPlaceUpdateReady, status: 'False', reason: 'StartInPlaceUpdate', lastTransitionTime: now });
    if (getCondition(pod, 'ContainersReady')?.status === 'True') {
      conds = withCondition(conds, { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: `the status of pod readiness gate "${KRUISE.inPlaceUpdateReady}" is not "True", but False`, lastTransitionTime: now });
    }
    afterStatus = sim.store.replace('pods', { ...(pod as unknown as KObj), status: { ...pod.status, conditions: conds } }) as unknown as Pod;
  }
  const labels = { ...afterStatus.metadata.labels };
  const annotations = { ...afterStatus.metadata.annotations };
  for (const [k, v] of Object.entries(plan.labels)) if (v === null) delete labels[k]; else labels[k] = v;
  for (const [k, v] of Object.entries(plan.annotations)) if (v === null) delete annotations[k]; else annotations[k] = v;
  Object.assign(labels, opts.revisionLabels);
  if (opts.lifecycleUpdating) {
    labels[KRUISE.lifecycleStateLabel] = 'Updating';
    annotations[LIFECYCLE_TS] = now;
  }
  const lastContainerStatuses: Record<string, { imageID?: string }> = {};
  for (const c of Object.keys(plan.images)) lastContainerStatuses[c] = { imageID: afterStatus.status?.containerStatuses?.find((s) => s.name === c)?.imageID };
  const state: InPlaceState = {
    revision: opts.revision,
    updateTimestamp: now,
    lastContainerStatuses: Object.keys(lastContainerStatuses).length ? lastContainerStatuses : null,
    // omitempty in Go: false is left out, never written.
    ...(plan.updateEnvFromMetadata ? { updateEnvFromMetadata: true } : {}),
    ...(Object.keys(plan.images).length > 0 ? { updateImages: true } : {}),
    containerBatchesRecord: [{ timestamp: now, containers: plan.containers }],
  };
  annotations[KRUISE.inPlaceUpdateStateAnnotation] = JSON.stringify(state);
  delete annotations['inplace-update-state'];
  const containers = afterStatus.spec.containers.map((c) => (plan.images[c.name] ? { ...c, image: plan.images[c.name] } : c));
  return sim.store.replace('pods', { ...(afterStatus as unknown as KObj), metadata: { ...afterStatus.metadata, labels, annotations }, spec: { ...afterStatus.spec, containers } }) as unknown as Pod;
}

/**
 * realControl.Refresh for the readiness gate: a pod with the gate and no condition gets True; one with False gets
 * True once its in-place update is complete. Returns the pod as stored afterwards.
 */
export function refreshInPlaceCondition(sim: Sim, p: Pod): { pod: Pod; changed: boolean } {
  if (!hasInPlaceGate(p)) return { pod: p, changed: false };
  const ipr = getCondition(p, KRUISE.inPlaceUpdateReady);
  if (ipr && !(ipr.status === 'False' && inPlaceDone(p))) return { pod: p, changed: false };
  const conds = withCondition(p.status?.conditions, { type: KRUISE.inPlaceUpdateReady, status: 'True', lastTransitionTime: sim.clock.iso() });
  return { pod: sim.store.replace('pods', { ...(p as unknown as KObj), status: { ...p.status, conditions: conds } }) as unknown as Pod, changed: true };
}

/** DefaultCheckInPlaceUpdateCompleted (2.5). */
export function inPlaceDone(p: Pod): boolean {
  const raw = p.metadata.annotations?.[KRUISE.inPlaceUpdateStateAnnotation];
  if (!raw) return true;
  let state: InPlaceState;
  try {
    state = JSON.parse(raw) as InPlaceState;
  } catch {
    return true;
  }
  if (state.updateEnvFromMetadata) {
    const metaRaw = p.metadata.annotations?.[RUNTIME_META];
    if (!metaRaw) return false;
    const meta = JSON.parse(metaRaw) as { containers: Array<{ name: string; containerID: string; hashes: { extractedEnvFromMetadataHash?: number } }> };
    for (const c of p.spec.containers) {
      const m = meta.containers.find((x) => x.name === c.name);
      const st = p.status?.containerStatuses?.find((x) => x.name === c.name);
      if (!m || !st || m.containerID !== st.containerID) return false;
      if ((m.hashes.extractedEnvFromMetadataHash ?? 0) !== envHash(resolveMetadataEnv(c, p.metadata))) return false;
    }
  }
  for (const [name, last] of Object.entries(state.lastContainerStatuses ?? {})) {
    const st = p.status?.containerStatuses?.find((x) => x.name === name);
    const spec = p.spec.containers.find((x) => x.name === name);
    if (!st) return false;
    if (st.imageID === last.imageID && st.image !== spec?.image) return false;
    if (st.imageID === last.imageID) return false;
  }
  return true;
}
