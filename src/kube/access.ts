import { ApiError, FailedError } from '../errors';
import type { KubeClient } from './client';

export interface Permission {
  verb: string;
  group: string;
  resource: string;
  /**
   * Set for resources of optional add-ons (Kruise's PodUnavailableBudget, Kruise Rollouts): not needed, and not
   * asked for, where the cluster does not serve this group version.
   */
  optionalVersion?: string;
}

export interface ResourceRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

interface RulesReview {
  status?: { resourceRules?: ResourceRule[]; incomplete?: boolean };
}

interface AccessReview {
  status?: { allowed?: boolean };
}

export function describePermission(p: Permission): string {
  return `${p.verb} ${p.group ? `${p.resource}.${p.group}` : p.resource}`;
}

/** RBAC's own matching: `*` wildcards, and a rule limited to resourceNames does not grant the whole collection. */
export function grantedBy(rules: ResourceRule[], p: Permission): boolean {
  const has = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === '*' || v === value);
  return rules.some((r) => has(r.verbs, p.verb) && has(r.apiGroups, p.group) && has(r.resources, p.resource) && !(r.resourceNames ?? []).length);
}

async function rulesFor(client: KubeClient, namespace: string): Promise<RulesReview['status'] | undefined> {
  try {
    const review = await client.create<RulesReview>('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectRulesReview',
      spec: { namespace },
    });
    return review.status;
  } catch (err) {
    if (err instanceof ApiError && [403, 404, 405, 501].includes(err.status)) return undefined;
    throw err;
  }
}

async function accessReviews(client: KubeClient, namespace: string, needed: Permission[]): Promise<Permission[] | undefined> {
  try {
    const answers = await Promise.all(
      needed.map((p) =>
        client.create<AccessReview>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { namespace, verb: p.verb, group: p.group, resource: p.resource } },
        }),
      ),
    );
    return needed.filter((_, i) => answers[i]?.status?.allowed !== true);
  } catch (err) {
    if (err instanceof ApiError && [404, 405, 501].includes(err.status)) return undefined;
    throw err;
  }
}

/**
 * Asks the API server, before anything is read or written, whether the user may do everything the command will need,
 * so a half-permitted user is told everything at once instead of failing halfway through a restart. One rules
 * review answers it all; access reviews settle only what the rules review cannot (webhook authorizers make it
 * incomplete). A server offering neither is not pre-checked: every write still meets its own 403.
 */
export async function requirePermissions(client: KubeClient, namespace: string, needed: Permission[]): Promise<void> {
  const missing = await missingPermissions(client, namespace, needed);
  const served = new Map<string, Promise<boolean>>();
  const isNeeded = async (p: Permission) => {
    if (!p.optionalVersion) return true;
    const gv = `${p.group}/${p.optionalVersion}`;
    if (!served.has(gv)) served.set(gv, groupVersionServed(client, p.group, p.optionalVersion));
    return served.get(gv) as Promise<boolean>;
  };
  const reallyMissing: Permission[] = [];
  for (const p of missing) if (await isNeeded(p)) reallyMissing.push(p);
  if (reallyMissing.length > 0) {
    throw new FailedError(
      `you are not allowed to ${reallyMissing.map(describePermission).join(', ')} in namespace "${namespace}"; nothing was changed`,
      'ask a cluster admin for the role in the README (section RBAC)',
    );
  }
}

/**
 * Cluster-scoped permissions (nodes), asked with access reviews without a namespace: a namespace's rules review
 * would list a Role's rule for nodes, which RBAC never applies to a cluster-scoped resource. `why` says what needs it.
 */
export async function requireClusterPermissions(client: KubeClient, needed: Permission[], why: string): Promise<void> {
  const missing = await accessReviews(client, '', needed);
  if (missing && missing.length > 0) {
    throw new FailedError(
      `you are not allowed to ${missing.map(describePermission).join(', ')} (cluster-scoped), which ${why}; nothing was changed`,
      `ask a cluster admin for a ClusterRole with ${missing.map((p) => `"${p.verb}" on "${p.resource}"`).join(', ')} bound to you (a namespace Role cannot grant it)`,
    );
  }
}

/** Whether the API server serves a group version (discovery is open to every authenticated user). */
export async function groupVersionServed(client: KubeClient, group: string, version: string): Promise<boolean> {
  try {
    await client.get(`/apis/${group}/${version}`);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return false;
    throw err;
  }
}

async function missingPermissions(client: KubeClient, namespace: string, needed: Permission[]): Promise<Permission[]> {
  const rules = await rulesFor(client, namespace);
  const granted = rules ? needed.filter((p) => grantedBy(rules.resourceRules ?? [], p)) : [];
  const unsettled = needed.filter((p) => !granted.includes(p));
  let missing = rules && !rules.incomplete ? unsettled : [];
  if (unsettled.length > 0 && (!rules || rules.incomplete)) {
    const denied = await accessReviews(client, namespace, unsettled);
    if (!denied) {
      client.debug(2, 'permission pre-check not available on this server; continuing');
      return [];
    }
    missing = denied;
  }
  return missing;
}
