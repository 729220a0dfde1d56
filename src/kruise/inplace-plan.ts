// Decisions for `inplace`, from the CloneSet alone: may we go, what will happen, and what the user must hear first.
import { desiredReplicas, resolveMaxSurge, resolveMaxUnavailable, resolvePartition } from './budget';
import { describeSurge, surgeForecast, type SurgeForecast } from './hazards';
import { KRUISE, type CloneSet, type Pod } from './types';

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

export function strategyOf(cloneSet: CloneSet): string {
  // The webhook defaults a missing type to ReCreate.
  return cloneSet.spec.updateStrategy?.type ?? 'ReCreate';
}

/** True while the controller has not finished the previous template change. */
export function rolloutInProgress(cloneSet: CloneSet, pods: Pod[] = []): string | undefined {
  const s = cloneSet.status ?? {};
  const generation = cloneSet.metadata.generation ?? 0;
  if ((s.observedGeneration ?? 0) < generation) return `the controller has not yet observed generation ${generation}`;
  if (s.updateRevision && s.currentRevision && s.updateRevision !== s.currentRevision) {
    const updated = s.updatedReplicas ?? 0;
    const expected = s.expectedUpdatedReplicas ?? desiredReplicas(cloneSet) - resolvePartition(cloneSet);
    if (updated < expected) return `revision ${s.updateRevision} is still rolling out (${updated}/${expected} pods updated)`;
  }
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

function unpauseCommand(cloneSet: CloneSet): string {
  return `kubectl patch clone ${cloneSet.metadata.name} -n ${cloneSet.metadata.namespace} --type merge -p '{"spec":{"updateStrategy":{"paused":false}}}'`;
}

export function planInplace(cloneSet: CloneSet, flags: InplaceFlags, pods: Pod[] = []): InplacePlan {
  const strategy = strategyOf(cloneSet);
  const replicas = desiredReplicas(cloneSet);
  const partition = resolvePartition(cloneSet);
  const maxUnavailable = resolveMaxUnavailable(cloneSet);
  const podsToRestart = Math.max(0, replicas - partition);
  const batches = podsToRestart === 0 ? 0 : Math.ceil(podsToRestart / Math.max(1, maxUnavailable));
  const plan: InplacePlan = { strategy, replicas, partition, podsToRestart, maxUnavailable, batches, warnings: [] };
  const name = cloneSet.metadata.name;

  if (strategy === 'OnDelete') {
    plan.refusal = {
      reason: `CloneSet ${name} uses updateStrategy OnDelete: Kruise never restarts or replaces its pods by itself`,
      remedy: 'use "crr" to restart containers, or switch the strategy to InPlaceIfPossible',
    };
  } else if (strategy === 'ReCreate' && !flags.allowRecreate) {
    plan.refusal = {
      reason: `CloneSet ${name} uses updateStrategy ReCreate, so a restart would delete and recreate every pod`,
      remedy: 'switch to InPlaceIfPossible for in-place restarts, use "crr", or pass --allow-recreate for a rolling recreate',
    };
  } else if (cloneSet.spec.updateStrategy?.paused) {
    plan.refusal = {
      reason: `CloneSet ${name} is paused: Kruise would not restart any pod`,
      remedy: `unpause it first (${unpauseCommand(cloneSet)})`,
    };
  } else if (!flags.force) {
    const busy = rolloutInProgress(cloneSet, pods);
    if (busy) {
      plan.refusal = {
        reason: `a rollout is already in progress on CloneSet ${name}: ${busy}`,
        remedy: `wait for it (kubectl kruise-restart status ${name} -w) or pass --force`,
      };
    }
  }

  if (partition > 0) {
    plan.warnings.push(`partition is ${partition}: only ${podsToRestart} of ${replicas} pods will restart; ${partition} keep running untouched`);
  }
  if (resolveMaxSurge(cloneSet) > 0) {
    // In place, Kruise still spends the surge: say exactly how many pods it creates, restarts and deletes.
    const surge = strategy !== 'ReCreate' && !flags.setup ? surgeForecast(cloneSet, pods.filter((p) => !p.metadata.deletionTimestamp).length || undefined) : undefined;
    if (surge) {
      plan.surge = surge;
      plan.warnings.push(describeSurge(surge, resolveMaxSurge(cloneSet)));
    } else plan.warnings.push('maxSurge > 0: Kruise may create surge pods and delete old ones during this change');
  }
  const hook = cloneSet.spec.lifecycle?.inPlaceUpdate;
  if (hook && (Object.keys(hook.labelsHandler ?? {}).length > 0 || (hook.finalizersHandler ?? []).length > 0)) {
    plan.warnings.push('an inPlaceUpdate lifecycle hook is set: pods wait in PreparingUpdate/Updated until its owner releases them');
  }
  if (replicas === 0) plan.warnings.push('replicas is 0: there is no pod to restart');
  if (maxUnavailable === 0 && resolveMaxSurge(cloneSet) === 0 && podsToRestart > 0 && !plan.refusal) {
    plan.refusal = { reason: zeroBudgetStall(cloneSet), remedy: 'set a maxUnavailable of at least one pod (a whole number, or a whole percentage such as "13%"), or use "crr" with --max-unavailable' };
  } else if (maxUnavailable === 0) plan.warnings.push('maxUnavailable resolves to 0: Kruise moves pods only through surge pods');
  return plan;
}

/**
 * maxUnavailable and maxSurge both 0 in the controller: no pod is ever updated. The webhook reads percentages as
 * floats and rounds up, the controller as whole numbers (cloneset_sync_utils.go), so a fractional "12.5%" passes
 * validation and still resolves to 0 here.
 */
export function zeroBudgetStall(cloneSet: CloneSet): string {
  const raw = cloneSet.spec.updateStrategy?.maxUnavailable;
  const fractional = typeof raw === 'string' && /\./.test(raw);
  return `maxUnavailable ${JSON.stringify(raw ?? '20%')} resolves to 0 pods in the CloneSet controller${fractional ? ' (it reads percentages as whole numbers, although the webhook accepted this one)' : ''} and maxSurge is 0: Kruise would never update a pod`;
}

/** What --setup costs, said before it happens (semantics 0: adding an env var is not an in-place change). */
export function setupCost(cloneSet: CloneSet): Refusal | string {
  const strategy = strategyOf(cloneSet);
  const replicas = desiredReplicas(cloneSet);
  const maxUnavailable = resolveMaxUnavailable(cloneSet);
  if (strategy === 'InPlaceOnly') {
    return {
      reason: `CloneSet ${cloneSet.metadata.name} uses InPlaceOnly, and Kruise rejects adding an env var in place (only image changes are allowed)`,
      remedy:
        'switch updateStrategy.type to InPlaceIfPossible for the one-time setup (every pod is recreated once), add the env var in your manifests, or use "crr" instead',
    };
  }
  if (strategy === 'OnDelete') {
    return { reason: 'OnDelete CloneSets apply template changes only when pods are deleted by hand', remedy: 'use "crr" instead' };
  }
  return `adding the trigger env var changes the pod spec, so Kruise recreates all ${replicas} pods once (new names and IPs), at most ${Math.max(1, maxUnavailable)} at a time; later restarts are in place`;
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
