import type { CloneSet, LabelSelector, Pod } from './types';
import { CLONESET, type InPlaceWorkload } from './workload';

/** The label selector as the API's `labelSelector` query parameter spells it. */
export function selectorString(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of selector.matchExpressions ?? []) {
    const values = (req.values ?? []).join(',');
    if (req.operator === 'In') parts.push(`${req.key} in (${values})`);
    else if (req.operator === 'NotIn') parts.push(`${req.key} notin (${values})`);
    else if (req.operator === 'Exists') parts.push(req.key);
    else if (req.operator === 'DoesNotExist') parts.push(`!${req.key}`);
  }
  return parts.join(',');
}

export function podSelectorOf(cloneSet: CloneSet): string {
  return cloneSet.status?.labelSelector || selectorString(cloneSet.spec.selector ?? {});
}

/**
 * Pods the CloneSet controls: a selector match alone could include another controller's pods. Pods with no
 * controller at all are orphans the CloneSet controller adopts, so they count too.
 */
export function ownedBy(cloneSet: CloneSet, pods: Pod[], kind: InPlaceWorkload = CLONESET): Pod[] {
  const uid = cloneSet.metadata.uid;
  return pods.filter((p) => {
    const controller = (p.metadata.ownerReferences ?? []).find((o) => o.controller);
    if (!controller) return true;
    return controller.kind === kind.resource.kind && (!uid || controller.uid === uid) && (!controller.name || controller.name === cloneSet.metadata.name);
  });
}

/** RFC 1123 subdomain: what Kubernetes accepts as an object name. */
export function validateObjectName(name: string, what: string): string | undefined {
  if (name.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)) {
    return `invalid ${what} name "${name}": use lower-case letters, digits, "-" and ".", starting and ending with a letter or digit`;
  }
  return undefined;
}
