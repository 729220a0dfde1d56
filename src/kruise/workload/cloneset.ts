// The CloneSet (apps.kruise.io/v1alpha1) as an in-place workload: its strategy in spec.updateStrategy, the budget
// and partition arithmetic of Kruise v1.9.0 (../budget.ts), and the five-point completion rule on its status
// (kruise-semantics.md section 0).

import { desiredReplicas, expectedUpdatedReplicas, resolveMaxSurge, resolveMaxUnavailable, resolvePartition } from '../budget';
import type { CloneSet, CloneSetStatus } from '../types';
import type { InPlaceWorkload, RolloutSettings, TemplateChangeHandling } from './in-place-workload';

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * A CloneSet status count Kruise declares `omitempty` (cloneset_types.go: updatedAvailableReplicas,
 * expectedUpdatedReplicas): Go leaves it out when it is 0, so once the controller has written a status (it always
 * sets observedGeneration) an absent field is 0. Before that, undefined: nothing is known yet.
 */
export function omitemptyCount(status: CloneSetStatus, field: 'updatedAvailableReplicas' | 'expectedUpdatedReplicas'): number | undefined {
  const value = num(status[field]);
  if (value !== undefined) return value;
  return num(status.observedGeneration) !== undefined ? 0 : undefined;
}

/** Pods the controller means to have on the update revision: its own count when it wrote one, else the same arithmetic. */
function expectedUpdated(cloneSet: CloneSet): number {
  return omitemptyCount(cloneSet.status ?? {}, 'expectedUpdatedReplicas') ?? expectedUpdatedReplicas(cloneSet);
}

const HANDLING: Record<string, TemplateChangeHandling> = {
  InPlaceIfPossible: 'in-place',
  InPlaceOnly: 'in-place-only',
  ReCreate: 'recreate',
  OnDelete: 'on-delete',
};

export const CLONESET: InPlaceWorkload<CloneSet> = {
  resource: { kind: 'CloneSet', group: 'apps.kruise.io', version: 'v1alpha1', plural: 'clonesets', singular: 'cloneset', shortNames: ['clone'] },
  templatePath: '/spec/template',
  fields: {
    strategy: 'spec.updateStrategy.type',
    paused: 'spec.updateStrategy.paused',
    partition: 'spec.updateStrategy.partition',
    maxUnavailable: 'spec.updateStrategy.maxUnavailable',
  },

  template(cloneSet) {
    return cloneSet.spec.template;
  },

  rollout(cloneSet): RolloutSettings {
    const status = cloneSet.status ?? {};
    // The webhook defaults a missing type to ReCreate.
    const strategy = str(cloneSet.spec?.updateStrategy?.type) ?? 'ReCreate';
    const desired = desiredReplicas(cloneSet);
    const partition = resolvePartition(cloneSet);
    return {
      strategy,
      // The webhook admits no other type; were one there, the plan would go ahead as for InPlaceIfPossible.
      handling: HANDLING[strategy] ?? 'in-place',
      desired,
      maxUnavailable: resolveMaxUnavailable(cloneSet),
      maxSurge: resolveMaxSurge(cloneSet),
      partition,
      podsToUpdate: Math.max(0, desired - partition),
      paused: cloneSet.spec?.updateStrategy?.paused === true,
      currentRevision: str(status.currentRevision),
      updateRevision: str(status.updateRevision),
      generation: num(cloneSet.metadata?.generation),
      observedGeneration: num(status.observedGeneration),
    };
  },

  statusGap(cloneSet, fromRevision) {
    const status = cloneSet.status ?? {};
    const replicas = desiredReplicas(cloneSet);
    const generation = num(cloneSet.metadata?.generation) ?? 0;
    const observed = num(status.observedGeneration);
    if (observed === undefined || observed < generation) return `the controller has not observed generation ${generation} yet`;
    const updateRevision = str(status.updateRevision);
    if (!updateRevision || (fromRevision !== undefined && updateRevision === fromRevision)) {
      return 'the controller has not produced the new revision yet';
    }
    if (num(status.replicas) !== replicas) return `${num(status.replicas) ?? 0} of ${replicas} replicas exist`;
    const updated = num(status.updatedReplicas) ?? 0;
    const partition = resolvePartition(cloneSet);
    const expected = expectedUpdated(cloneSet);
    if (!(updated === replicas || (partition > 0 && updated >= expected))) {
      return `${updated} of ${partition > 0 ? expected : replicas} replicas updated`;
    }
    // Absent is 0 here, never "unknown": falling back to updatedReadyReplicas said "done" before minReadySeconds passed.
    const available = omitemptyCount(status, 'updatedAvailableReplicas') ?? 0;
    if (available !== updated) return `${available} of ${updated} updated replicas available`;
    return undefined;
  },

  rolloutUnfinished(cloneSet) {
    const s = cloneSet.status ?? {};
    const generation = cloneSet.metadata.generation ?? 0;
    if ((s.observedGeneration ?? 0) < generation) return `the controller has not yet observed generation ${generation}`;
    if (s.updateRevision && s.currentRevision && s.updateRevision !== s.currentRevision) {
      const updated = s.updatedReplicas ?? 0;
      const expected = s.expectedUpdatedReplicas ?? desiredReplicas(cloneSet) - resolvePartition(cloneSet);
      if (updated < expected) return `revision ${s.updateRevision} is still rolling out (${updated}/${expected} pods updated)`;
    }
    return undefined;
  },

  // A CloneSet's partition is a count: the controller picks which pods stay old in its own order, so the partition
  // is reached once as many pods as it expects are on the new revision.
  partitionReached(cloneSet, pods, onNewRevision) {
    if (resolvePartition(cloneSet) <= 0) return false;
    let updated = 0;
    for (const pod of pods) if (onNewRevision(pod)) updated++;
    return updated >= expectedUpdated(cloneSet);
  },

  /**
   * maxUnavailable and maxSurge both 0 in the controller: no pod is ever updated. The webhook reads percentages as
   * floats and rounds up, the controller as whole numbers (cloneset_sync_utils.go), so a fractional "12.5%" passes
   * validation and still resolves to 0 here.
   */
  budgetStall(cloneSet) {
    if (resolveMaxUnavailable(cloneSet) !== 0 || resolveMaxSurge(cloneSet) !== 0) return undefined;
    const raw = cloneSet.spec.updateStrategy?.maxUnavailable;
    const fractional = typeof raw === 'string' && /\./.test(raw);
    return `maxUnavailable ${JSON.stringify(raw ?? '20%')} resolves to 0 pods in the CloneSet controller${fractional ? ' (it reads percentages as whole numbers, although the webhook accepted this one)' : ''} and maxSurge is 0: Kruise would never update a pod`;
  },

  unpauseCommand(cloneSet) {
    return `kubectl patch clone ${cloneSet.metadata.name} -n ${cloneSet.metadata.namespace} --type merge -p '{"spec":{"updateStrategy":{"paused":false}}}'`;
  },
};
