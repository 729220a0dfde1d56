// Which version of a resource to use, as discovery reports it: the group's preferred version when it serves the
// resource, else the first other served version that does. Kruise v1.9 serves Advanced StatefulSets and
// DaemonSets in v1beta1 (preferred) and v1alpha1; a version the server does not serve is never used.
import { ApiError } from '../errors';
import type { KubeClient } from './client';
import type { ResourceType } from './resources';

interface ApiGroup {
  versions?: { groupVersion?: string; version?: string }[];
  preferredVersion?: { version?: string };
}

/** The resource type with the version discovery picks for it. One request for the group, one per version tried. */
export async function discoverVersion(client: KubeClient, type: ResourceType): Promise<ResourceType> {
  let group: ApiGroup;
  try {
    group = await client.get<ApiGroup>(`/apis/${type.group}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      throw new ApiError(`OpenKruise is not installed in this cluster (${type.group} is not served)`, 404, 'KruiseNotInstalled', 'install OpenKruise, or check that --context points at the right cluster');
    }
    throw err;
  }
  const preferred = group.preferredVersion?.version;
  const served = (group.versions ?? []).map((v) => v.version).filter((v): v is string => typeof v === 'string');
  const order = [...(preferred ? [preferred] : []), ...served.filter((v) => v !== preferred)];
  for (const version of order) {
    const list = await client.get<{ resources?: { name: string }[] }>(`/apis/${type.group}/${version}`);
    if (list.resources?.some((r) => r.name === type.plural)) return { ...type, version };
  }
  throw new ApiError(`the CRD ${type.plural}.${type.group} is not installed in this cluster`, 404, 'NotFound', 'install or upgrade OpenKruise (v1.0 or later) with its CRDs');
}
