import { ApiError, FailedError } from '../cli/errors';
import type { KubeClient } from './client';

export interface Permission {
  verb: string;
  group: string;
  resource: string;
}

interface AccessReview {
  status?: { allowed?: boolean; denied?: boolean; reason?: string };
}

export function describePermission(p: Permission): string {
  return `${p.verb} ${p.group ? `${p.resource}.${p.group}` : p.resource}`;
}

/**
 * Asks the API server, before anything is written, whether the user may do everything the command will need, so a
 * half-permitted user is told everything at once instead of failing halfway through a restart.
 */
export async function requirePermissions(client: KubeClient, namespace: string, needed: Permission[]): Promise<void> {
  let answers: AccessReview[];
  try {
    answers = await Promise.all(
      needed.map((p) =>
        client.create<AccessReview>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { namespace, verb: p.verb, group: p.group, resource: p.resource } },
        }),
      ),
    );
  } catch (err) {
    // An API server (or proxy) that does not serve access reviews cannot pre-check: the writes themselves still get
    // a clear 403, and every write comes after all reads, so nothing is left half done by a refused read.
    if (err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 501)) {
      client.debug(2, `permission pre-check not available (${err.status}); continuing`);
      return;
    }
    throw err;
  }
  const missing = needed.filter((_, i) => answers[i]?.status?.allowed !== true);
  if (missing.length > 0) {
    throw new FailedError(
      `you are not allowed to ${missing.map(describePermission).join(', ')} in namespace "${namespace}"; nothing was changed`,
      'ask a cluster admin for the role in the README (section RBAC)',
    );
  }
}
