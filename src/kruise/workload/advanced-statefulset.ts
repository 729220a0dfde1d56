// The Advanced StatefulSet (apps.kruise.io StatefulSet, v1beta1 in Kruise v1.9) as an in-place workload. Its in-place
// switch is spec.updateStrategy.rollingUpdate.podUpdatePolicy under type RollingUpdate; its partition is an ordinal
// boundary (pods with an ordinal at or above it are updated, highest first; with unorderedUpdate, a count); its budget
// is maxUnavailable, which Kruise's webhook lets exceed 1 only under podManagementPolicy Parallel: under OrderedReady
// the controller does nothing while any pod is unavailable, so one pod restarts at a time
// (pkg/controller/statefulset/stateful_set_control.go, pkg/webhook/statefulset/validating/statefulset_validation.go).

import type { IntOrString, LabelSelector, ObjectMeta, Pod, PodTemplate } from '../types';
import type { InPlaceWorkload, RolloutSettings, TemplateChangeHandling } from './in-place-workload';

export interface AdvancedStatefulSet {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplate;
    podManagementPolicy?: string;
    updateStrategy?: {
      type?: string;
      rollingUpdate?: {
        partition?: number;
        maxUnavailable?: IntOrString;
        podUpdatePolicy?: string;
        paused?: boolean;
        unorderedUpdate?: object;
        minReadySeconds?: number;
      };
    };
    [field: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentReplicas?: number;
    updatedReplicas?: number;
    updatedReadyReplicas?: number;
    updatedAvailableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const HANDLING: Record<string, TemplateChangeHandling> = { InPlaceIfPossible: 'in-place', InPlaceOnly: 'in-place-only', ReCreate: 'recreate' };

/**
 * apimachinery's deprecated intstr.GetValueFromIntOrPercent, which the controller uses for maxUnavailable: every `%`
 * stripped, a whole number (Atoi), a string always a percentage. undefined for what Go reports as an error (the
 * controller then ends the pass and never updates a pod).
 */
export function legacyValueFromIntOrPercent(value: IntOrString, total: number, roundUp: boolean): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  const digits = value.split('%').join('');
  if (!/^[+-]?\d+$/.test(digits)) return undefined;
  const exact = (Number(digits) * total) / 100;
  return Math.trunc(roundUp ? Math.ceil(exact) : Math.floor(exact));
}

function desired(set: AdvancedStatefulSet): number {
  return Math.max(0, num(set.spec?.replicas) ?? 1);
}

function partitionOf(set: AdvancedStatefulSet): number {
  return Math.min(Math.max(num(set.spec?.updateStrategy?.rollingUpdate?.partition) ?? 0, 0), desired(set));
}

/** Under OrderedReady the controller waits for every pod to be available before it touches the next: one at a time. */
export function isParallel(set: AdvancedStatefulSet): boolean {
  return set.spec?.podManagementPolicy === 'Parallel';
}

/** The pod's ordinal (`db-3` of set `db` is 3), or undefined for a pod the set did not name. */
export function ordinalOf(setName: string, podName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

export const ADVANCED_STATEFULSET: InPlaceWorkload<AdvancedStatefulSet> = {
  resource: { kind: 'StatefulSet', group: 'apps.kruise.io', version: 'v1beta1', plural: 'statefulsets', singular: 'statefulset', shortNames: ['asts'] },
  templatePath: '/spec/template',
  fields: {
    strategy: 'spec.updateStrategy.rollingUpdate.podUpdatePolicy',
    paused: 'spec.updateStrategy.rollingUpdate.paused',
    partition: 'spec.updateStrategy.rollingUpdate.partition',
    maxUnavailable: 'spec.updateStrategy.rollingUpdate.maxUnavailable',
  },

  template(set) {
    return set.spec.template;
  },

  rollout(set): RolloutSettings {
    const status = set.status ?? {};
    const ru = set.spec?.updateStrategy?.rollingUpdate ?? {};
    const onDelete = set.spec?.updateStrategy?.type === 'OnDelete';
    // The webhook defaults podUpdatePolicy to ReCreate.
    const strategy = onDelete ? 'OnDelete' : (str(ru.podUpdatePolicy) ?? 'ReCreate');
    const replicas = desired(set);
    const partition = partitionOf(set);
    const parsed = legacyValueFromIntOrPercent(ru.maxUnavailable ?? 1, replicas, false);
    return {
      strategy,
      handling: onDelete ? 'on-delete' : (HANDLING[strategy] ?? 'recreate'),
      desired: replicas,
      // At least 1 when it parses; OrderedReady moves one pod at a time whatever the field says.
      maxUnavailable: parsed === undefined ? 0 : isParallel(set) ? Math.max(1, parsed) : 1,
      maxSurge: 0,
      partition,
      podsToUpdate: Math.max(0, replicas - partition),
      paused: ru.paused === true,
      currentRevision: str(status.currentRevision),
      updateRevision: str(status.updateRevision),
      generation: num(set.metadata?.generation),
      observedGeneration: num(status.observedGeneration),
    };
  },

  statusGap(set, fromRevision) {
    const status = set.status ?? {};
    const generation = num(set.metadata?.generation) ?? 0;
    const observed = num(status.observedGeneration);
    if (observed === undefined || observed < generation) return `the controller has not observed generation ${generation} yet`;
    const updateRevision = str(status.updateRevision);
    if (!updateRevision || (fromRevision !== undefined && updateRevision === fromRevision)) return 'the controller has not produced the new revision yet';
    const replicas = desired(set);
    if (num(status.replicas) !== replicas) return `${num(status.replicas) ?? 0} of ${replicas} replicas exist`;
    const expected = replicas - partitionOf(set);
    const updated = num(status.updatedReplicas) ?? 0;
    if (updated < expected) return `${updated} of ${expected} replicas updated`;
    // updatedAvailableReplicas is omitempty: absent once the controller wrote a status means 0.
    const available = num(status.updatedAvailableReplicas) ?? 0;
    if (available < updated) return `${available} of ${updated} updated replicas available`;
    return undefined;
  },

  rolloutUnfinished(set) {
    const s = set.status ?? {};
    const generation = set.metadata.generation ?? 0;
    if ((s.observedGeneration ?? 0) < generation) return `the controller has not yet observed generation ${generation}`;
    if (s.updateRevision && s.currentRevision && s.updateRevision !== s.currentRevision) {
      const expected = desired(set) - partitionOf(set);
      const updated = s.updatedReplicas ?? 0;
      if (updated < expected) return `revision ${s.updateRevision} is still rolling out (${updated}/${expected} pods updated)`;
    }
    return undefined;
  },

  // The partition keeps the ordinals below it (or, with unorderedUpdate, that many pods): reached once the pods the
  // controller will update are all on the new revision.
  partitionReached(set, pods, onNewRevision) {
    const partition = partitionOf(set);
    if (partition <= 0) return false;
    let updated = 0;
    for (const pod of pods) if (onNewRevision(pod)) updated++;
    return updated >= desired(set) - partition;
  },

  budgetStall(set) {
    const raw = set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable;
    if (raw === undefined || legacyValueFromIntOrPercent(raw, desired(set), false) !== undefined) return undefined;
    return `maxUnavailable ${JSON.stringify(raw)} cannot be read by the Advanced StatefulSet controller (it wants a whole number or percentage): Kruise would never update a pod`;
  },

  unpauseCommand(set) {
    return `kubectl patch statefulsets.apps.kruise.io ${set.metadata.name} -n ${set.metadata.namespace} --type merge -p '{"spec":{"updateStrategy":{"rollingUpdate":{"paused":false}}}}'`;
  },
};

/** Pods in the order the controller updates them without unorderedUpdate: highest ordinal first. */
export function byOrdinalDescending(setName: string, pods: readonly Pod[]): Pod[] {
  return [...pods].sort((a, b) => (ordinalOf(setName, b.metadata.name ?? '') ?? -1) - (ordinalOf(setName, a.metadata.name ?? '') ?? -1));
}
