// Decisions for `inplace`, from the workload alone: may we go, what will happen, and what the user must hear first.
// What differs between kinds (strategy, budget, partition, status) comes from the workload's kind (workload/).
import { describeSurge, surgeForecast, type SurgeForecast } from './hazards';
import { KRUISE, type CloneSet, type Pod } from './types';
import { CLONESET, type InPlaceWorkload } from './workload';

export interface InplaceFlags {
  allowRecreate: boolean;
  force: boolean;
  setup: boolean;
}

export interface Refusal {
  reason: string;
  remedy: string;
}

export interface InplacePlan {
  strategy: string;
  replicas: number;
  partition: number;
  /** Pods Kruise will move to the new revision (replicas − partition). */
  podsToRestart: number;
  /** The pods the update reaches, by name, when the workload limits it to some (an ADS rollingUpdate.selector). */
  reached?: string[];
  maxUnavailable: number;
  /** Rolling waves at best: the controller starts a new pod as soon as one becomes available again. */
  batches: number;
  warnings: string[];
  refusal?: Refusal;
  /** maxSurge > 0 on an in-place change: what Kruise will create, restart and delete. */
  surge?: SurgeForecast;
  /** PodDisruptionBudgets and PodUnavailableBudgets covering the pods, with what each allows. */
  budgets?: { budget: string; rule: string; allows: number }[];
}

export function strategyOf(cloneSet: CloneSet, kind: InPlaceWorkload = CLONESET): string {
  return kind.rollout(cloneSet).strategy;
}

/** True while the controller has not finished the previous template change. */
export function rolloutInProgress(cloneSet: CloneSet, pods: Pod[] = [], kind: InPlaceWorkload = CLONESET): string | undefined {
  const unfinished = kind.rolloutUnfinished(cloneSet);
  if (unfinished) return unfinished;
  // Merely unready pods are no rollout (restarting crash-looping pods may be the point); pods Kruise is still updating
  // in place are.
  const updating = pods.filter(
    (p) =>
      p.status?.conditions?.some((c) => c.type === KRUISE.inPlaceUpdateReady && c.status === 'False') ||
      p.metadata.labels?.[KRUISE.lifecycleStateLabel] === 'Updating',
  );
  if (updating.length > 0) return `${updating.length === 1 ? '1 pod is' : `${updating.length} pods are`} still being updated in place`;
  return undefined;
}

export function planInplace(cloneSet: CloneSet, flags: InplaceFlags, pods: Pod[] = [], kind: InPlaceWorkload = CLONESET): InplacePlan {
  const rollout = kind.rollout(cloneSet);
  const { strategy, partition, maxUnavailable } = rollout;
  const replicas = rollout.desired;
  const podsToRestart = rollout.podsToUpdate;
  const batches = podsToRestart === 0 ? 0 : Math.ceil(podsToRestart / Math.max(1, maxUnavailable));
  const plan: InplacePlan = { strategy, replicas, partition, podsToRestart, maxUnavailable, batches, warnings: [] };
  const name = cloneSet.metadata.name;
  const what = kind.resource.kind;

  if (rollout.handling === 'on-delete') {
    plan.refusal = {
      reason: `${what} ${name} uses updateStrategy ${strategy}: Kruise never restarts or replaces its pods by itself`,
      remedy: 'use "crr" to restart containers, or switch the strategy to InPlaceIfPossible',
    };
  } else if (rollout.handling === 'recreate' && !flags.allowRecreate) {
    plan.refusal = {
      reason: `${what} ${name} uses updateStrategy ${strategy}, so a restart would delete and recreate every pod`,
      remedy: 'switch to InPlaceIfPossible for in-place restarts, use "crr", or pass --allow-recreate for a rolling recreate',
    };
  } else if (rollout.paused) {
    plan.refusal = {
      reason: `${what} ${name} is paused: Kruise would not restart any pod`,
      remedy: `unpause it first (${kind.unpauseCommand(cloneSet)})`,
    };
  } else if (!flags.force) {
    const busy = rolloutInProgress(cloneSet, pods, kind);
    if (busy) {
      plan.refusal = {
        reason: `a rollout is already in progress on ${what} ${name}: ${busy}`,
        remedy: `wait for it (kubectl kruise-restart status ${name} -w) or pass --force`,
      };
    }
  }

  if (partition > 0) {
    plan.warnings.push(`partition is ${partition}: only ${podsToRestart} of ${replicas} pods will restart; ${partition} keep running untouched`);
  }
  if (rollout.maxSurge > 0) {
    // In place, Kruise still spends the surge: say exactly how many pods it creates, restarts and deletes.
    const surge = rollout.handling !== 'recreate' && !flags.setup ? surgeForecast(cloneSet, pods.filter((p) => !p.metadata.deletionTimestamp).length || undefined) : undefined;
    if (surge) {
      plan.surge = surge;
      plan.warnings.push(describeSurge(surge, rollout.maxSurge));
    } else plan.warnings.push('maxSurge > 0: Kruise may create surge pods and delete old ones during this change');
  }
  const hook = cloneSet.spec.lifecycle?.inPlaceUpdate;
  if (hook && (Object.keys(hook.labelsHandler ?? {}).length > 0 || (hook.finalizersHandler ?? []).length > 0)) {
    plan.warnings.push('an inPlaceUpdate lifecycle hook is set: pods wait in PreparingUpdate/Updated until its owner releases them');
  }
  if (replicas === 0) plan.warnings.push('replicas is 0: there is no pod to restart');
  const stall = kind.budgetStall(cloneSet);
  if (stall && podsToRestart > 0 && !plan.refusal) {
    plan.refusal = { reason: stall, remedy: 'set a maxUnavailable of at least one pod (a whole number, or a whole percentage such as "13%"), or use "crr" with --max-unavailable' };
  } else if (maxUnavailable === 0) plan.warnings.push('maxUnavailable resolves to 0: Kruise moves pods only through surge pods');
  return plan;
}

/** What --setup costs, said before it happens (semantics 0: adding an env var is not an in-place change). */
export function setupCost(cloneSet: CloneSet, kind: InPlaceWorkload = CLONESET): Refusal | string {
  const rollout = kind.rollout(cloneSet);
  if (rollout.handling === 'in-place-only') {
    return {
      reason: `${kind.resource.kind} ${cloneSet.metadata.name} uses ${rollout.strategy}, and Kruise rejects adding an env var in place (only image changes are allowed)`,
      remedy:
        'switch updateStrategy.type to InPlaceIfPossible for the one-time setup (every pod is recreated once), add the env var in your manifests, or use "crr" instead',
    };
  }
  if (rollout.handling === 'on-delete') {
    return { reason: `${rollout.strategy} ${kind.resource.kind}s apply template changes only when pods are deleted by hand`, remedy: 'use "crr" instead' };
  }
  // A StatefulSet's pod comes back under its ordinal's name (same identity, new UID and IP); the others get new names.
  const identity = kind.resource.kind === 'StatefulSet' ? 'same names, new UIDs and IPs' : 'new names and IPs';
  return `adding the trigger env var changes the pod spec, so Kruise recreates all ${rollout.desired} pods once (${identity}), at most ${Math.max(1, rollout.maxUnavailable)} at a time; later restarts are in place`;
}

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function readySince(pod: Pod): number | undefined {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  const at = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : Number.NaN;
  return Number.isFinite(at) ? at : undefined;
}

/**
 * The order in which the CloneSet controller picks pods to update (Kruise's default sort is Kubernetes'
 * ActivePods: unscheduled, then Pending < Unknown < Running, not Ready first, then Ready for the shortest time, more
 * container restarts, newest). Ties are left in name order: Kruise's own sort is not stable there, and a priority or
 * scatter strategy reorders further, so this is what a dry run can promise: which pods are likely, not certain.
 */
export function likelyUpdateOrder(pods: Pod[]): Pod[] {
  const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const restarts = (p: Pod) => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
  const created = (p: Pod) => (p.metadata.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : Number.POSITIVE_INFINITY);
  return [...pods]
    .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0))
    .sort((a, b) => {
      const assigned = Number(Boolean(a.spec?.nodeName)) - Number(Boolean(b.spec?.nodeName));
      if (assigned) return assigned;
      const phase = (PHASE_ORDER[a.status?.phase ?? ''] ?? 0) - (PHASE_ORDER[b.status?.phase ?? ''] ?? 0);
      if (phase) return phase;
      if (isReady(a) !== isReady(b)) return isReady(a) ? 1 : -1;
      const ra = readySince(a) ?? Number.POSITIVE_INFINITY;
      const rb = readySince(b) ?? Number.POSITIVE_INFINITY;
      if (isReady(a) && ra !== rb) return rb - ra > 0 ? 1 : -1;
      if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
      const ca = created(a);
      const cb = created(b);
      return ca === cb ? 0 : cb > ca ? 1 : -1;
    });
}
