// Where each resource lives on the API server. CloneSet and CRR are pinned to apps.kruise.io/v1alpha1: in Kruise v1.9
// the group's preferred version is v1beta1, which does not serve them.

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export const CLONESETS: ResourceType = { group: 'apps.kruise.io', version: 'v1alpha1', plural: 'clonesets', kind: 'CloneSet' };
export const CRRS: ResourceType = {
  group: 'apps.kruise.io',
  version: 'v1alpha1',
  plural: 'containerrecreaterequests',
  kind: 'ContainerRecreateRequest',
};
export const PODS: ResourceType = { group: '', version: 'v1', plural: 'pods', kind: 'Pod' };
export const EVENTS: ResourceType = { group: '', version: 'v1', plural: 'events', kind: 'Event' };

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
