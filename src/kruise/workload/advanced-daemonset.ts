// The Advanced DaemonSet (apps.kruise.io DaemonSet, v1beta1 in Kruise v1.9; v1alpha1 still served) as an in-place
// workload. One pod per node; in place only with rollingUpdate.rollingUpdateType InPlaceIfPossible (maxSurge must be
// 0, the webhook says so) and only for pods that carry the InPlaceUpdateReady readiness gate, which the controller
// adds to pods it creates while the type is InPlaceIfPossible: older pods are deleted and created again. The budget
// counts nodes: maxUnavailable of desiredNumberScheduled, rounded up (1 when it and maxSurge are both 0); the
// partition (int or percent of desiredNumberScheduled, rounded down) keeps that many nodes, the lowest node names;
// all three are read with apimachinery's strict parser, where "12.5%" is an error that stops the update. The status
// has no updated-ready count: the pods decide (pkg/controller/daemonset/daemonset_update.go, daemonset_util.go).

import { labelSelectorMatches } from '../disruption-budgets';
import { KRUISE, type IntOrString, type LabelSelector, type ObjectMeta, type Pod, type PodTemplate } from '../types';
import type { InPlaceWorkload, RolloutSettings } from './in-place-workload';

export interface AdvancedDaemonSet {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    selector: LabelSelector;
    template: PodTemplate;
    minReadySeconds?: number;
    updateStrategy?: {
      type?: string;
      rollingUpdate?: {
        rollingUpdateType?: string;
        maxUnavailable?: IntOrString;
        maxSurge?: IntOrString;
        partition?: IntOrString;
        selector?: LabelSelector;
        paused?: boolean;
      };
    };
    [field: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
    numberUnavailable?: number;
    updatedNumberScheduled?: number;
    updateRevision?: string;
  };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** apimachinery's intstr.GetScaledValueFromIntOrPercent: "N%" with a whole N, else an error (undefined). */
export function strictScaledValue(value: IntOrString, total: number, roundUp: boolean): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (!value.endsWith('%') || !/^[+-]?\d+$/.test(value.slice(0, -1))) return undefined;
  const exact = (Number(value.slice(0, -1)) * total) / 100;
  return Math.trunc(roundUp ? Math.ceil(exact) : Math.floor(exact));
}

/** Nodes that should run the pod, as the controller counted them last. */
function desired(ds: AdvancedDaemonSet): number {
  return Math.max(0, num(ds.status?.desiredNumberScheduled) ?? 0);
}

interface Budget {
  maxUnavailable?: number;
  maxSurge?: number;
  partition?: number;
}

function budgetOf(ds: AdvancedDaemonSet): Budget {
  const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
  const nodes = desired(ds);
  const maxSurge = ru.maxSurge === undefined ? 0 : strictScaledValue(ru.maxSurge, nodes, true);
  let maxUnavailable = ru.maxUnavailable === undefined ? 0 : strictScaledValue(ru.maxUnavailable, nodes, true);
  if (nodes > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  const partition = ru.partition === undefined ? 0 : strictScaledValue(ru.partition, nodes, false);
  return { maxUnavailable, maxSurge, partition: partition === undefined ? undefined : Math.min(Math.max(partition, 0), nodes) };
}

export function hasInPlaceGate(pod: Pod): boolean {
  return !!pod.spec.readinessGates?.some((g) => g.conditionType === KRUISE.inPlaceUpdateReady);
}

export const ADVANCED_DAEMONSET: InPlaceWorkload<AdvancedDaemonSet> = {
  resource: { kind: 'DaemonSet', group: 'apps.kruise.io', version: 'v1beta1', plural: 'daemonsets', singular: 'daemonset', shortNames: ['ads', 'daemon'] },
  templatePath: '/spec/template',
  fields: {
    strategy: 'spec.updateStrategy.rollingUpdate.rollingUpdateType',
    paused: 'spec.updateStrategy.rollingUpdate.paused',
    partition: 'spec.updateStrategy.rollingUpdate.partition',
    maxUnavailable: 'spec.updateStrategy.rollingUpdate.maxUnavailable',
  },

  template(ds) {
    return ds.spec.template;
  },

  rollout(ds): RolloutSettings {
    const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
    const onDelete = ds.spec?.updateStrategy?.type === 'OnDelete';
    const strategy = onDelete ? 'OnDelete' : (str(ru.rollingUpdateType) ?? 'Standard');
    const nodes = desired(ds);
    const b = budgetOf(ds);
    const partition = b.partition ?? 0;
    return {
      strategy,
      handling: onDelete ? 'on-delete' : strategy === 'InPlaceIfPossible' ? 'in-place' : 'recreate',
      desired: nodes,
      maxUnavailable: b.maxUnavailable ?? 0,
      maxSurge: b.maxSurge ?? 0,
      partition,
      podsToUpdate: Math.max(0, nodes - partition),
      paused: ru.paused === true,
      // The status has no current revision; the update revision is the revision's hash, as the pods' label.
      currentRevision: undefined,
      updateRevision: str(ds.status?.updateRevision),
      generation: num(ds.metadata?.generation),
      observedGeneration: num(ds.status?.observedGeneration),
    };
  },

  statusGap(ds, fromRevision, reached) {
    const status = ds.status ?? {};
    const generation = num(ds.metadata?.generation) ?? 0;
    const observed = num(status.observedGeneration);
    if (observed === undefined || observed < generation) return `the controller has not observed generation ${generation} yet`;
    const updateRevision = str(status.updateRevision);
    if (!updateRevision || (fromRevision !== undefined && updateRevision === fromRevision)) return 'the controller has not produced the new revision yet';
    // Under rollingUpdate.selector only the nodes it picks are updated: the restart counted them when it started.
    const expected = reached ?? desired(ds) - (budgetOf(ds).partition ?? 0);
    const updated = num(status.updatedNumberScheduled) ?? 0;
    if (updated < expected) return `${updated} of ${expected} nodes updated`;
    // No updated-ready count in this status: readiness is judged pod by pod.
    return undefined;
  },

  rolloutUnfinished(ds) {
    const s = ds.status ?? {};
    const generation = ds.metadata.generation ?? 0;
    if ((s.observedGeneration ?? 0) < generation) return `the controller has not yet observed generation ${generation}`;
    // Under rollingUpdate.selector the status never counts every node updated: how many the selector reaches is not
    // in it, so an update still under way is told by its pods (rolloutInProgress) instead.
    if (ds.spec?.updateStrategy?.rollingUpdate?.selector) return undefined;
    const expected = desired(ds) - (budgetOf(ds).partition ?? 0);
    const updated = s.updatedNumberScheduled ?? 0;
    if (s.updateRevision && updated < expected) return `revision ${s.updateRevision} is still rolling out (${updated}/${expected} nodes updated)`;
    return undefined;
  },

  partitionReached(ds, pods, onNewRevision) {
    const partition = budgetOf(ds).partition ?? 0;
    if (partition <= 0) return false;
    let updated = 0;
    for (const pod of pods) if (onNewRevision(pod)) updated++;
    return updated >= desired(ds) - partition;
  },

  budgetStall(ds) {
    const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
    const b = budgetOf(ds);
    for (const [field, value, resolved] of [
      ['maxUnavailable', ru.maxUnavailable, b.maxUnavailable],
      ['maxSurge', ru.maxSurge, b.maxSurge],
      ['partition', ru.partition, b.partition],
    ] as const) {
      if (value !== undefined && resolved === undefined) {
        return `${field} ${JSON.stringify(value)} cannot be read by the Advanced DaemonSet controller (it wants a whole number or a whole percentage such as "13%"): Kruise would never update a pod`;
      }
    }
    return undefined;
  },

  unpauseCommand(ds) {
    return `kubectl patch daemonsets.apps.kruise.io ${ds.metadata.name} -n ${ds.metadata.namespace} --type merge -p '{"spec":{"updateStrategy":{"rollingUpdate":{"paused":false}}}}'`;
  },
};

/** Node labels by node name, as read from the cluster (nodes are cluster-scoped). */
export type NodeLabels = ReadonlyMap<string, Record<string, string> | undefined>;

/**
 * The pods an update of this Advanced DaemonSet reaches under rollingUpdate.selector, as Kruise's
 * filterDaemonPodsNodeToUpdate picks their nodes when every pod is on the old revision (a restart starts so): node
 * names from the highest down, only those whose labels the selector matches, cut to the nodes with pods minus the
 * partition. `reached` in that order; `passed` are the pods it leaves as they are
 * (pkg/controller/daemonset/daemonset_update.go:326-391 at v1.9.0).
 */
export function podsReachedBySelector(ds: AdvancedDaemonSet, pods: readonly Pod[], nodes: NodeLabels): { reached: Pod[]; passed: Pod[] } {
  const selector = ds.spec?.updateStrategy?.rollingUpdate?.selector;
  const byNode = new Map<string, Pod>();
  for (const pod of pods) if (pod.spec.nodeName && nodes.has(pod.spec.nodeName)) byNode.set(pod.spec.nodeName, pod);
  const names = [...byNode.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).reverse();
  const partition = budgetOf(ds).partition ?? 0;
  const picked = selector ? names.filter((n) => labelSelectorMatches(selector, nodes.get(n))) : names;
  // In the order Kruise takes them: the highest node name first.
  const reached = picked.slice(0, Math.max(0, names.length - partition)).map((n) => byNode.get(n) as Pod);
  return { reached, passed: pods.filter((p) => !reached.includes(p)) };
}

/** `matchLabels` and `matchExpressions` in kubectl's selector words, for messages. */
function describeSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of selector.matchExpressions ?? []) parts.push(`${req.key} ${req.operator}${req.values?.length ? ` (${req.values.join(',')})` : ''}`);
  return parts.join(',') || '{} (every node)';
}

function podList(pods: readonly Pod[]): string {
  const names = pods.map((p) => `${p.metadata.name} (node ${p.spec.nodeName ?? '?'})`);
  return `${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}`;
}

/**
 * What an in-place restart of this Advanced DaemonSet will really do to its pods, said before it starts: pods without
 * the readiness gate are recreated (the controller only updates gated pods in place), and a rollingUpdate.selector
 * limits the update to the pods on the nodes it picks (`reached`, named; undefined without a selector). Without the
 * node labels a selector cannot be followed: refused.
 */
export function daemonSetCaveats(ds: AdvancedDaemonSet, pods: readonly Pod[], nodes?: NodeLabels): { warnings: string[]; reached?: Pod[]; refusal?: { reason: string; remedy: string } } {
  const warnings: string[] = [];
  const name = ds.metadata.name ?? '';
  const selector = ds.spec?.updateStrategy?.rollingUpdate?.selector;
  let reached: Pod[] | undefined;
  if (selector) {
    if (!nodes) {
      return {
        warnings,
        refusal: {
          reason: `Advanced DaemonSet "${name}" has spec.updateStrategy.rollingUpdate.selector: Kruise updates only the pods on nodes matching it, which cannot be told without reading the nodes`,
          remedy: 'grant list on nodes, or use "crr" with --pod for the pods you want',
        },
      };
    }
    const split = podsReachedBySelector(ds, pods, nodes);
    reached = split.reached;
    warnings.push(
      `spec.updateStrategy.rollingUpdate.selector ${describeSelector(selector)} limits the update to ${split.reached.length} of ${pods.length} pods` +
        (split.reached.length > 0 ? `: ${podList(split.reached)}` : '') +
        (split.passed.length > 0 ? `; Kruise leaves the other ${split.passed.length} as they are: ${podList(split.passed)}` : ''),
    );
  }
  if (ds.spec?.updateStrategy?.rollingUpdate?.rollingUpdateType === 'InPlaceIfPossible') {
    const gateless = (reached ?? pods).filter((p) => !hasInPlaceGate(p));
    if (gateless.length > 0) {
      warnings.push(
        `${gateless.length} of ${(reached ?? pods).length} pods lack the ${KRUISE.inPlaceUpdateReady} readiness gate (created before rollingUpdateType was InPlaceIfPossible): Kruise will delete and recreate ${gateless.length === 1 ? 'it' : 'them'} instead of restarting in place: ${podList(gateless)}`,
      );
    }
  }
  return { warnings, reached };
}
