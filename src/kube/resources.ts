// Where each resource lives on the API server. CloneSet and CRR are pinned to apps.kruise.io/v1alpha1: in Kruise v1.9
// the group's preferred version is v1beta1, which does not serve them.
import { trimPod } from '../kruise/pod-fields';
import type { Pod } from '../kruise/types';

import { CLONESET, workloadOf, type InPlaceWorkload } from '../kruise/workload';

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** What of each object is kept when a list page or a watch event is parsed (default: all of it). */
  trim?: (object: never) => unknown;
}

/** Where an in-place workload kind lives, from the kind's own description. */
export function workloadResourceType(kind: InPlaceWorkload): ResourceType {
  const { group, version, plural, kind: name } = kind.resource;
  return { group, version, plural, kind: name };
}

export const CLONESETS: ResourceType = workloadResourceType(CLONESET);

/** Where a workload object read through getCloneSet lives: its kind's resource at the version it was read with. */
export function resourceTypeOfObject(workload: { kind?: string; apiVersion?: string }): ResourceType {
  const type = workloadResourceType(workloadOf(workload));
  const version = workload.apiVersion?.split('/')[1];
  return version ? { ...type, version } : type;
}
export const CRRS: ResourceType = {
  group: 'apps.kruise.io',
  version: 'v1alpha1',
  plural: 'containerrecreaterequests',
  kind: 'ContainerRecreateRequest',
};
export const PODS: ResourceType = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', trim: (pod: Pod) => trimPod(pod) };
export const EVENTS: ResourceType = { group: '', version: 'v1', plural: 'events', kind: 'Event' };
export const PDBS: ResourceType = { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', kind: 'PodDisruptionBudget' };
/** Kruise's PodUnavailableBudget: part of OpenKruise, but its CRD may be left out of an install. */
export const PUBS: ResourceType = { group: 'policy.kruise.io', version: 'v1alpha1', plural: 'podunavailablebudgets', kind: 'PodUnavailableBudget' };
/** Kruise Rollouts, a separate install: v1beta1 is its storage version since v0.5 (spec.workloadRef). */
export const ROLLOUTS: ResourceType = { group: 'rollouts.kruise.io', version: 'v1beta1', plural: 'rollouts', kind: 'Rollout' };

export function groupVersionPath(type: ResourceType): string {
  return type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
}

export function apiVersion(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export function collectionPath(type: ResourceType, namespace: string): string {
  return `${groupVersionPath(type)}/namespaces/${encodeURIComponent(namespace)}/${type.plural}`;
}

export function objectPath(type: ResourceType, namespace: string, name: string, subresource?: string): string {
  const base = `${collectionPath(type, namespace)}/${encodeURIComponent(name)}`;
  return subresource ? `${base}/${subresource}` : base;
}

/** "clonesets.apps.kruise.io", as kubectl and RBAC messages name a resource. */
export function qualifiedName(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}
