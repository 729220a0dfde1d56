// The controllers and settings around a CloneSet that change what a restart does: another controller owning it, a
// Kruise Rollout watching its template, surge pods, containers without readiness probes, native sidecars. Pure
// decisions from objects already read; the commands turn them into refusals and warnings.

import { desiredReplicas, resolveMaxSurge, resolveMaxUnavailable, resolvePartition } from './budget';
import type { CloneSet, Container, ObjectMeta, OwnerReference, PodTemplate } from './types';

// ---------------------------------------------------------------------------------------------------------------
// Another controller owns the CloneSet
// ---------------------------------------------------------------------------------------------------------------

export interface ForeignOwner {
  owner: OwnerReference;
  /** Why a template change of ours would not last. */
  reason: string;
  /** What to restart instead. */
  instead: string;
}

/**
 * The controller that owns the CloneSet, if any. A UnitedDeployment writes its own template into each child CloneSet
 * on every subset update (Kruise v1.9 cloneset_adapter.go ApplySubsetTemplate replaces spec.template), so a trigger
 * written on the child is reverted and its pods restart a second time; any other controller may do the same.
 */
export function foreignOwner(cloneSet: CloneSet): ForeignOwner | undefined {
  const owner = (cloneSet.metadata.ownerReferences ?? []).find((o) => o.controller);
  if (!owner) return undefined;
  const name = cloneSet.metadata.name;
  if (owner.kind === 'UnitedDeployment' && owner.apiVersion.startsWith('apps.kruise.io/')) {
    const subset = cloneSet.metadata.labels?.['apps.kruise.io/subset-name'];
    return {
      owner,
      reason: `CloneSet "${name}" is a subset${subset ? ` (${subset})` : ''} of UnitedDeployment "${owner.name}", which writes its own template into the CloneSet: a restart written here would be reverted, restarting every pod a second time`,
      instead: `restart the UnitedDeployment instead (change an annotation under spec.template.cloneSetTemplate.spec.template of ud/${owner.name}), or use "crr", which leaves the template alone`,
    };
  }
  return {
    owner,
    reason: `CloneSet "${name}" is controlled by ${owner.kind} "${owner.name}" (${owner.apiVersion}), which owns its template and may revert a restart written here, restarting the pods a second time`,
    instead: `restart it through ${owner.kind} "${owner.name}", or use "crr", which leaves the template alone`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A Kruise Rollout targets the CloneSet
// ---------------------------------------------------------------------------------------------------------------

interface WorkloadRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
}

/** rollouts.kruise.io Rollout, v1beta1 (`spec.workloadRef`) or v1alpha1 (`spec.objectRef.workloadRef`). */
export interface KruiseRollout {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: {
    workloadRef?: WorkloadRef;
    objectRef?: { workloadRef?: WorkloadRef };
    strategy?: { canary?: unknown; blueGreen?: unknown; [field: string]: unknown };
    disabled?: boolean;
    [field: string]: unknown;
  };
  status?: { phase?: string; message?: string; [field: string]: unknown };
}

/**
 * The Rollout whose workload webhook takes over this CloneSet's next template change, as Kruise Rollouts v0.6 decides
 * it (workload_update_handler.go): not being deleted, not Disabled, with a canary or blue-green strategy, naming a
 * CloneSet of group apps.kruise.io by name. The webhook compares templates with EqualIgnoreHash, annotations
 * included, so our trigger annotation is such a change; it then sets partition to 100% and the release waits on the
 * Rollout's steps. A CloneSet with 0 replicas never enters a release.
 */
export function targetingRollout(cloneSet: CloneSet, rollouts: KruiseRollout[]): KruiseRollout | undefined {
  if (desiredReplicas(cloneSet) === 0) return undefined;
  return rollouts.find((r) => {
    if (r.metadata.deletionTimestamp || r.status?.phase === 'Disabled') return false;
    if (!r.spec?.strategy?.canary && !r.spec?.strategy?.blueGreen) return false;
    const ref = r.spec.workloadRef ?? r.spec.objectRef?.workloadRef;
    const group = (ref?.apiVersion ?? '').includes('/') ? (ref?.apiVersion ?? '').split('/')[0] : '';
    return group === 'apps.kruise.io' && ref?.kind === 'CloneSet' && ref.name === cloneSet.metadata.name;
  });
}

export function rolloutRefusal(cloneSet: CloneSet, rollout: KruiseRollout): { reason: string; remedy: string } {
  const style = rollout.spec?.strategy?.blueGreen ? 'blue-green' : 'canary';
  return {
    reason: `Rollout "${rollout.metadata.name}" (rollouts.kruise.io) targets CloneSet "${cloneSet.metadata.name}": its webhook turns any template change, this restart's trigger annotation included, into a staged ${style} release (partition set to 100%, then each step waits for its pause or an approval)`,
    remedy: `use "crr", which leaves the template alone; or release through the Rollout (kubectl-kruise rollout approve rollout/${rollout.metadata.name} at each step)`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------------------------------------------

/** Init containers with restartPolicy Always: Kubernetes' native sidecars. */
export function nativeSidecars(template: PodTemplate | undefined): string[] {
  return (template?.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name);
}

/**
 * A ContainerRecreateRequest cannot restart a native sidecar: Kruise's webhook finds the container among the init
 * containers but looks for its status among the regular containers only (pkg/util/pods.go GetContainerStatus), and
 * refuses the request ("not found ... containerStatus in Pod Status").
 */
export function sidecarRefusal(cloneSet: CloneSet, sidecars: string[]): { reason: string; remedy: string } {
  const names = sidecars.map((s) => `"${s}"`).join(', ');
  return {
    reason: `${sidecars.length === 1 ? 'container' : 'containers'} ${names} of CloneSet "${cloneSet.metadata.name}" ${sidecars.length === 1 ? 'is a native sidecar' : 'are native sidecars'} (an init container with restartPolicy: Always), which a ContainerRecreateRequest cannot restart: Kruise refuses the request`,
    remedy: `drop -c ${sidecars[0]}; a native sidecar restarts only with its pod (kubectl delete pod, or a template change that recreates the pods)`,
  };
}

/**
 * Target containers without a readinessProbe: such a container is Ready as soon as it starts, so a budget that
 * counts Ready pods guards nothing while it warms up.
 */
export function containersWithoutReadiness(template: PodTemplate | undefined, targets: string[]): string[] {
  const byName = new Map<string, Container>((template?.spec?.containers ?? []).map((c) => [c.name, c]));
  return targets.filter((name) => {
    const c = byName.get(name);
    return c !== undefined && !c.readinessProbe;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// maxSurge with an in-place change
// ---------------------------------------------------------------------------------------------------------------

export interface SurgeForecast {
  /** Surge pods Kruise creates at the new revision: new names, IPs and fresh containers. */
  created: number;
  /** Old pods restarted in place. */
  restartedInPlace: number;
  /** Old pods deleted once the surge is given back: replaced by the surge pods, never restarted. */
  deletedOld: number;
  /** Updated pods deleted when more surge was created than given back through old pods. */
  deletedNew: number;
  /** Most pods alive at once. */
  peakPods: number;
}

/**
 * What Kruise v1.9 does with maxSurge > 0 when the new revision could be applied in place (an annotation bump):
 * calculateDiffsWithExpectation (cloneset_sync_utils.go) spends the surge whenever old pods are above the partition
 * and new ones below their target, whatever the update type, and scales down old pods first
 * (choosePodsToDelete) once the target is reached. Replayed here count by count, one step per reconcile (scale
 * and update never happen in the same one), as if every pod were available at once: the totals, not the timing.
 */
export function surgeForecast(cloneSet: CloneSet, currentPods?: number): SurgeForecast | undefined {
  const replicas = desiredReplicas(cloneSet);
  const maxSurge = resolveMaxSurge(cloneSet);
  if (maxSurge <= 0) return undefined;
  const partition = resolvePartition(cloneSet);
  const maxUnavailable = resolveMaxUnavailable(cloneSet);
  let oldPods = currentPods ?? replicas;
  let newPods = 0;
  const f: SurgeForecast = { created: 0, restartedInPlace: 0, deletedOld: 0, deletedNew: 0, peakPods: oldPods };
  for (let step = 0; step < 10_000; step++) {
    const oldDiff = Math.max(oldPods - partition, 0);
    const newDiff = Math.min(newPods - (replicas - partition), 0);
    let surge = 0;
    let surgeOld = 0;
    if ((oldDiff > 0 && newDiff < 0) || (oldDiff < 0 && newDiff > 0)) {
      const updateSurge = Math.abs(oldDiff) <= Math.abs(newDiff) ? Math.abs(oldDiff) : Math.abs(newDiff);
      const updateOldSurge = Math.abs(oldDiff) <= Math.abs(newDiff) ? (oldDiff < 0 ? updateSurge : 0) : newDiff > 0 ? updateSurge : 0;
      surge = Math.min(maxSurge, updateSurge);
      surgeOld = Math.min(surge, updateOldSurge);
    }
    const total = oldPods + newPods;
    const expected = replicas + surge;
    if (expected > total) {
      const createOld = Math.min(Math.max(partition + surgeOld - oldPods, 0), expected - total);
      oldPods += createOld;
      newPods += expected - total - createOld;
      f.created += expected - total - createOld;
    } else if (total > expected) {
      const down = total - expected;
      const downOld = Math.min(down, Math.max(oldPods - (partition + surgeOld), 0));
      oldPods -= downOld;
      newPods -= down - downOld;
      f.deletedOld += downOld;
      f.deletedNew += down - downOld;
    } else {
      const updateNum = Math.abs(oldDiff) <= Math.abs(newDiff) ? oldDiff : -newDiff;
      // At least one per reconcile: with every pod available, maxUnavailable plus the surge bounds each wave.
      const wave = Math.min(updateNum, Math.max(1, maxUnavailable + total - replicas));
      if (wave <= 0) break;
      oldPods -= wave;
      newPods += wave;
      f.restartedInPlace += wave;
    }
    f.peakPods = Math.max(f.peakPods, oldPods + newPods);
  }
  return f;
}

/** The forecast in one sentence for the plan. */
export function describeSurge(f: SurgeForecast, maxSurge: number): string {
  if (f.created === 0) return `maxSurge ${maxSurge}: no surge pod is needed for this change`;
  const deleted = f.deletedOld + f.deletedNew;
  return (
    `maxSurge ${maxSurge} with an in-place change (Kruise v1.9 spends surge on every update): Kruise first creates ${f.created} new pod${f.created === 1 ? '' : 's'} ` +
    `(new names and IPs, up to ${f.peakPods} pods at once), restarts ${f.restartedInPlace} in place, then deletes ${deleted} ` +
    `${f.deletedOld === deleted ? `old pod${deleted === 1 ? '' : 's'} that ${deleted === 1 ? 'is' : 'are'} replaced, not restarted` : `pod${deleted === 1 ? '' : 's'} (${f.deletedOld} old, ${f.deletedNew} already updated)`}; ` +
    'set maxSurge to 0 for a restart purely in place'
  );
}
