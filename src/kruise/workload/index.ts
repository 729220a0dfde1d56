// The kinds of workload the plugin restarts in place. One implementation per kind; the rest of the domain asks the
// interface, never the kind.

import { ADVANCED_DAEMONSET } from './advanced-daemonset';
import { ADVANCED_STATEFULSET } from './advanced-statefulset';
import { CLONESET } from './cloneset';
import type { InPlaceWorkload } from './in-place-workload';

export { CLONESET } from './cloneset';
export { ADVANCED_STATEFULSET, byOrdinalDescending, isParallel, ordinalOf, type AdvancedStatefulSet } from './advanced-statefulset';
export { ADVANCED_DAEMONSET, daemonSetCaveats, hasInPlaceGate, podsReachedBySelector, type AdvancedDaemonSet, type NodeLabels } from './advanced-daemonset';
export { subjectOf } from './in-place-workload';
export type { InPlaceWorkload, RolloutSettings, SettingFields, TemplateChangeHandling, WorkloadObject, WorkloadResource } from './in-place-workload';

export const IN_PLACE_WORKLOADS: readonly InPlaceWorkload[] = [CLONESET, ADVANCED_STATEFULSET, ADVANCED_DAEMONSET];

/**
 * The kind of a workload object read through `getCloneSet` (which sets `kind`); a CloneSet when the object does not
 * say (items of a list carry no kind).
 */
export function workloadOf(workload: { kind?: string }): InPlaceWorkload {
  return workloadByKind(workload.kind ?? 'CloneSet') ?? CLONESET;
}

/** The kind by its API kind (`CloneSet`), or undefined when the plugin does not restart that kind. */
export function workloadByKind(kind: string): InPlaceWorkload | undefined {
  return IN_PLACE_WORKLOADS.find((w) => w.resource.kind === kind);
}

/** How messages name a kind: `CloneSet`, `Advanced StatefulSet`, `Advanced DaemonSet`. */
export function kindTitle(kind: string | undefined): string {
  return kind === 'StatefulSet' ? 'Advanced StatefulSet' : kind === 'DaemonSet' ? 'Advanced DaemonSet' : 'CloneSet';
}

/** The workload as a command line names it, so a suggested command works as typed: `web`, `asts/db`, `ads/agent`. */
export function typedTarget(kind: string | undefined, name: string): string {
  return kind === 'StatefulSet' ? `asts/${name}` : kind === 'DaemonSet' ? `ads/${name}` : name;
}
