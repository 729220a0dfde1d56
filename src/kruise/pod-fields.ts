// A pod as the plugin keeps it: only the fields the Pod type declares (./types.ts), which are all that any decision
// or rendering reads. Lists and watches cut each pod down as its page or event is parsed, so a 5,000-pod CloneSet is
// held once, small: no managed fields, volumes, tolerations, probes or resource requests. A field read later must be
// declared in the Pod type and kept here.
import type { Condition, ContainerStatus, EnvVar, ObjectMeta, Pod } from './types';

type Fields<T> = readonly (keyof T)[];

const META: Fields<ObjectMeta> = ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'labels', 'annotations', 'ownerReferences', 'finalizers'];
const CONDITION: Fields<Condition> = ['type', 'status', 'reason', 'message', 'lastTransitionTime', 'lastUpdateTime'];
const CONTAINER_STATUS: Fields<ContainerStatus> = ['name', 'ready', 'restartCount', 'containerID', 'image', 'imageID', 'started', 'state'];

function pick<T extends object>(from: T | undefined, fields: Fields<T>): T | undefined {
  if (!from || typeof from !== 'object') return from;
  const out = {} as T;
  for (const field of fields) if (from[field] !== undefined) out[field] = from[field];
  return out;
}

function pickAll<T extends object>(list: T[] | undefined, fields: Fields<T>): T[] | undefined {
  return Array.isArray(list) ? list.map((item) => pick(item, fields) as T) : list;
}

export function trimPod(pod: Pod): Pod {
  const spec = pod.spec ?? ({} as Pod['spec']);
  const status = pod.status;
  const trimmed: Pod = {
    metadata: pick(pod.metadata, META) as ObjectMeta,
    spec: {
      containers: Array.isArray(spec.containers)
        ? spec.containers.map((c) => {
            const kept: { name: string; image?: string; env?: EnvVar[] } = { name: c.name };
            if (c.image !== undefined) kept.image = c.image;
            if (c.env !== undefined) kept.env = c.env;
            return kept;
          })
        : spec.containers,
    },
  };
  if (pod.apiVersion !== undefined) trimmed.apiVersion = pod.apiVersion;
  if (pod.kind !== undefined) trimmed.kind = pod.kind;
  if (spec.nodeName !== undefined) trimmed.spec.nodeName = spec.nodeName;
  if (spec.readinessGates !== undefined) trimmed.spec.readinessGates = spec.readinessGates;
  if (status && typeof status === 'object') {
    trimmed.status = {};
    if (status.phase !== undefined) trimmed.status.phase = status.phase;
    if (status.podIP !== undefined) trimmed.status.podIP = status.podIP;
    if (status.conditions !== undefined) trimmed.status.conditions = pickAll(status.conditions, CONDITION);
    if (status.containerStatuses !== undefined) trimmed.status.containerStatuses = pickAll(status.containerStatuses, CONTAINER_STATUS);
  } else if (status !== undefined) trimmed.status = status;
  return trimmed;
}
