// Reads of what surrounds a CloneSet: the disruption budgets covering its pods and the Kruise Rollouts that may
// target it. PodUnavailableBudgets and Rollouts come from optional add-ons: a cluster without them has none, which is
// no error.
import type { PodDisruptionBudget, PodUnavailableBudget } from '../kruise/disruption-budgets';
import type { KruiseRollout } from '../kruise/hazards';
import { ApiError } from '../errors';
import type { KubeClient, ListResult } from './client';
import { PDBS, PUBS, ROLLOUTS, collectionPath, type ResourceType } from './resources';

/** A list of a resource that may not be installed: undefined when the server does not serve it. */
export async function listIfServed<T>(client: KubeClient, type: ResourceType, namespace: string): Promise<ListResult<T> | undefined> {
  try {
    return await client.list<T>(collectionPath(type, namespace), {}, { type });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

export interface BudgetsRead {
  pdbs: ListResult<PodDisruptionBudget>;
  /** Undefined: the PodUnavailableBudget CRD is not installed. */
  pubs?: ListResult<PodUnavailableBudget>;
}

/** Every PDB and PUB of the namespace (which of them cover the CloneSet's pods is decided on the pods' labels). */
export async function readBudgets(client: KubeClient, namespace: string): Promise<BudgetsRead> {
  const [pdbs, pubs] = await Promise.all([client.list<PodDisruptionBudget>(collectionPath(PDBS, namespace), {}, { type: PDBS }), listIfServed<PodUnavailableBudget>(client, PUBS, namespace)]);
  return { pdbs, pubs };
}

/**
 * The namespace's Kruise Rollouts, at v1beta1 or, from a Rollouts release older than v0.5, v1alpha1 (whose
 * spec.objectRef.workloadRef names the workload). One discovery request tells which, and that there are none.
 */
export async function readRollouts(client: KubeClient, namespace: string): Promise<KruiseRollout[]> {
  let versions: string[];
  try {
    const group = await client.get<{ versions?: { version?: string }[] }>(`/apis/${ROLLOUTS.group}`);
    versions = (group.versions ?? []).map((v) => v.version ?? '');
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
  const version = versions.includes('v1beta1') ? 'v1beta1' : versions.includes('v1alpha1') ? 'v1alpha1' : undefined;
  if (!version) return [];
  const list = await listIfServed<KruiseRollout>(client, { ...ROLLOUTS, version }, namespace);
  return list?.items ?? [];
}
